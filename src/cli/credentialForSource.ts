import type { TokenCredential } from "@azure/core-auth";
import { CREDENTIALS_BY_SOURCE } from "../credentials/credentialsBySource.js";
import type { ManagedIdentityRetryOptions } from "../options.js";
import type { ManagedIdentitySourceName } from "../sources/source.js";
import type { IdentityOptions } from "./arguments.js";

/** What the command line passes to a credential. @internal */
export interface CredentialSettings extends IdentityOptions {
  /** `--endpoint`: the token endpoint, in place of the environment's. */
  endpoint?: string;
  /** `--token-folder`: the Arc agent's token folder. */
  tokenFolder?: string;
  retryOptions?: ManagedIdentityRetryOptions;
}

/**
 * The package's own credential for a source, as an application would construct it; the command
 * line adds nothing of its own to the token request.
 * @throws `TypeError` from the constructor when the options do not fit the source (an identity on Cloud Shell).
 * @internal
 */
export function credentialForSource(source: ManagedIdentitySourceName, settings: CredentialSettings): TokenCredential {
  return CREDENTIALS_BY_SOURCE[source](settings);
}
