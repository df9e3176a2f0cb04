import { readEnv } from "../environment.js";
import { METADATA_HEADER_DENIED, metadataHeaderPolicy } from "../pipeline/metadataHeaderPolicy.js";
import { parseEndpoint } from "./endpoint.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import type { ManagedIdentitySource } from "./source.js";

/** Where Cloud Shell's token endpoint listens when `MSI_ENDPOINT` is not set. */
export const CLOUD_SHELL_DEFAULT_ENDPOINT = "http://localhost:50342/oauth2/token";

/**
 * Azure Cloud Shell: `POST $MSI_ENDPOINT` with `Metadata: true` and the form body `resource=R`.
 * It gives tokens for the signed-in user, so it takes no user-assigned identity.
 * @internal
 */
export const cloudShellSource: ManagedIdentitySource<ManagedIdentityCredentialOptions, "cloudshell"> = {
  name: "cloudshell",
  displayName: "Cloud Shell",
  credentialName: "CloudShellCredential",
  variables: [{ name: "MSI_ENDPOINT", kind: "url" }],
  identityParameters: {},
  identityRestriction: "Cloud Shell gives tokens for the signed-in user only, not for a user-assigned identity",
  retry: "standard",
  // Azure ML, checked before, sets MSI_SECRET as well.
  detectedBy: ["MSI_ENDPOINT"],
  configure(options, env) {
    const endpoint =
      options.endpoint !== undefined
        ? parseEndpoint(options.endpoint, "The endpoint option")
        : parseEndpoint(readEnv("MSI_ENDPOINT", env) ?? CLOUD_SHELL_DEFAULT_ENDPOINT, "MSI_ENDPOINT");
    return {
      endpoint,
      request: ({ resource }) => ({ method: "POST", form: { resource } }),
      policies: { headers: [metadataHeaderPolicy()] },
    };
  },
  advice: () => "Run this inside Azure Cloud Shell, where MSI_ENDPOINT is set.",
  denied: METADATA_HEADER_DENIED,
};
