import { CredentialUnavailableError } from "../errors.js";
import { readEnv } from "../environment.js";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import { parseEndpoint } from "./endpoint.js";
import type { ManagedIdentitySource } from "./source.js";

const NOT_HERE =
  "Azure ML: MSI_ENDPOINT and MSI_SECRET are not both set, so this is not Azure Machine Learning compute with a managed identity.";

/**
 * Azure Machine Learning compute: `GET $MSI_ENDPOINT?api-version=2017-09-01&resource=R&clientid=…`
 * with `secret: $MSI_SECRET`. The compute's identity is named by client id only, by default the one in
 * `DEFAULT_IDENTITY_CLIENT_ID`.
 * @internal
 */
export const azureMlSource: ManagedIdentitySource<ManagedIdentityCredentialOptions, "azureml"> = {
  name: "azureml",
  displayName: "Azure ML",
  credentialName: "AzureMLCredential",
  variables: [
    { name: "MSI_ENDPOINT", kind: "url" },
    { name: "MSI_SECRET", kind: "secret" },
    { name: "DEFAULT_IDENTITY_CLIENT_ID", kind: "value" },
  ],
  identityParameters: { clientId: "clientid" },
  identityRestriction: "Azure Machine Learning names a user-assigned identity by its client id only",
  retry: "standard",
  detectedBy: ["MSI_ENDPOINT", "MSI_SECRET"],
  configure(options: ManagedIdentityCredentialOptions, env) {
    const secret = readEnv("MSI_SECRET", env);
    if (secret === undefined) throw new CredentialUnavailableError(NOT_HERE, "no-endpoint");
    const [value, from] =
      options.endpoint !== undefined
        ? [options.endpoint, "The endpoint option"]
        : [readEnv("MSI_ENDPOINT", env), "MSI_ENDPOINT"];
    if (value === undefined) throw new CredentialUnavailableError(NOT_HERE, "no-endpoint");
    const computeIdentity = readEnv("DEFAULT_IDENTITY_CLIENT_ID", env);
    return {
      endpoint: parseEndpoint(value, from),
      request({ resource, identityParameter }) {
        const query: Record<string, string> = { "api-version": "2017-09-01", resource };
        // The compute names its own identity; an explicit clientId overrides it.
        const clientId = identityParameter?.[1] ?? computeIdentity;
        if (clientId !== undefined) query["clientid"] = clientId;
        return { method: "GET", query, headers: { secret }, secrets: { MSI_SECRET: secret } };
      },
    };
  },
  advice: () =>
    "Check that the compute instance or cluster has a managed identity and, for a user-assigned identity, that its client id is right.",
  // Azure ML sends no Metadata header: its proof is MSI_SECRET.
  denied: {
    cause:
      "MSI_SECRET is not the one the compute's endpoint expects: a copy of the variables from another compute or session goes stale.",
    fix: "Run on the compute itself with the variables it sets (restart the job or kernel), and do not copy MSI_SECRET elsewhere.",
  },
};
