import type { TokenCredential } from "@azure/core-auth";
import { AppServiceCredential } from "../credentials/appServiceCredential.js";
import { ArcCredential } from "../credentials/arcCredential.js";
import { AzureMLCredential } from "../credentials/azureMLCredential.js";
import { CloudShellCredential } from "../credentials/cloudShellCredential.js";
import { ImdsCredential } from "../credentials/imdsCredential.js";
import { ServiceFabricCredential } from "../credentials/serviceFabricCredential.js";
import { WorkloadIdentityCredential } from "../credentials/workloadIdentityCredential.js";
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
  const { tokenFolder, ...options } = settings;
  switch (source) {
    case "imds":
      return new ImdsCredential(options);
    case "arc":
      return new ArcCredential({ ...options, tokenFolder });
    case "cloudshell":
      return new CloudShellCredential(options);
    case "appservice":
      return new AppServiceCredential(options);
    case "servicefabric":
      return new ServiceFabricCredential(options);
    case "azureml":
      return new AzureMLCredential(options);
    case "workloadidentity":
      return new WorkloadIdentityCredential(options);
  }
}
