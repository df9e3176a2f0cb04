import { readEnv } from "../../environment.js";
import { arcChallengePolicy, type ArcChallengePolicyOptions } from "./arcChallengePolicy.js";
import { METADATA_HEADER_DENIED, metadataHeaderPolicy } from "../../pipeline/metadataHeaderPolicy.js";
import type { ManagedIdentityCredentialOptions } from "../../options.js";
import { parseEndpoint } from "../endpoint.js";
import { defaultArcAgentPath, isArcAgentInstalled } from "./arcAgent.js";
import { defaultArcTokenFolder } from "./arcChallengeFile.js";
import type { ManagedIdentitySource } from "../source.js";

/** Where the Azure Connected Machine agent (himds) listens by default. */
export const ARC_DEFAULT_ENDPOINT = "http://127.0.0.1:40342/metadata/identity/oauth2/token";

/**
 * Options of {@link ArcCredential}.
 */
export interface ArcCredentialOptions extends ManagedIdentityCredentialOptions, ArcChallengePolicyOptions {}

/**
 * Azure Arc-enabled servers: the local himds agent with the file challenge.
 * `GET $IDENTITY_ENDPOINT?api-version=2020-06-01&resource=R` with `Metadata: true`, answered by a 401
 * naming a file whose content proves that the caller may read it.
 * @internal
 */
export const arcSource: ManagedIdentitySource<ArcCredentialOptions, "arc"> = {
  name: "arc",
  displayName: "Azure Arc",
  credentialName: "ArcCredential",
  variables: [
    { name: "IDENTITY_ENDPOINT", kind: "url" },
    { name: "IMDS_ENDPOINT", kind: "url" },
  ],
  identityParameters: { clientId: "client_id", objectId: "object_id", resourceId: "msi_res_id" },
  retry: "standard",
  detectedBy: ["IDENTITY_ENDPOINT", "IMDS_ENDPOINT"],
  // Or the agent installed, with the variables unset (a service started before the agent set them).
  async detect({ env, arcAgentPath }) {
    const agentPath = arcAgentPath ?? defaultArcAgentPath(process.platform, env);
    return (await isArcAgentInstalled(agentPath))
      ? { found: true, why: `the Azure Connected Machine agent is installed (${agentPath})` }
      : { found: false, checked: `no agent at ${agentPath}` };
  },
  configure(options, env) {
    const endpoint =
      options.endpoint !== undefined
        ? parseEndpoint(options.endpoint, "The endpoint option")
        : parseEndpoint(readEnv("IDENTITY_ENDPOINT", env) ?? ARC_DEFAULT_ENDPOINT, "IDENTITY_ENDPOINT");
    // On Windows the default folder is under %ProgramData%, read from the credential's environment.
    const tokenFolder = options.tokenFolder ?? defaultArcTokenFolder(process.platform, env);
    return {
      endpoint,
      request({ resource, identityParameter }) {
        const query: Record<string, string> = { "api-version": "2020-06-01", resource };
        if (identityParameter) query[identityParameter[0]] = identityParameter[1];
        return { method: "GET", query };
      },
      policies: { headers: [metadataHeaderPolicy()], challenge: arcChallengePolicy({ tokenFolder }) },
    };
  },
  // Older agents ignore a user-assigned identity and answer with the system-assigned one.
  verifiesIdentityClaims: true,
  advice: () =>
    "Check that the Azure Connected Machine agent runs (azcmagent show) and that this process may read its token folder (the 'himds' group on Linux).",
  denied: METADATA_HEADER_DENIED,
};
