import type { TokenCredential } from "@azure/core-auth";
import type { ManagedIdentityCredentialOptions } from "../options.js";
import type { ManagedIdentitySourceName } from "../sources/source.js";
import type { ArcCredentialOptions } from "../sources/arc/arcSource.js";
import { AppServiceCredential } from "./appServiceCredential.js";
import { ArcCredential } from "./arcCredential.js";
import { AzureMLCredential } from "./azureMLCredential.js";
import { CloudShellCredential } from "./cloudShellCredential.js";
import { ImdsCredential } from "./imdsCredential.js";
import { ServiceFabricCredential } from "./serviceFabricCredential.js";
import { WorkloadIdentityCredential } from "./workloadIdentityCredential.js";

/**
 * The options every source's credential takes, and Arc's token folder, which only Arc's does (the others never
 * see it).
 * @internal
 */
export type SourceCredentialOptions = ArcCredentialOptions;

/** The options without Arc's token folder, for the credentials that do not take it. */
function common({ tokenFolder: _tokenFolder, ...options }: SourceCredentialOptions): ManagedIdentityCredentialOptions {
  return options;
}

/**
 * Each source's public credential, as an application constructs it: the command line's `--source` and the doctor
 * use these. A source the registry gains without its credential here fails the typecheck.
 * @internal
 */
export const CREDENTIALS_BY_SOURCE: {
  [N in ManagedIdentitySourceName]: (options: SourceCredentialOptions) => TokenCredential;
} = {
  servicefabric: (options) => new ServiceFabricCredential(common(options)),
  appservice: (options) => new AppServiceCredential(common(options)),
  azureml: (options) => new AzureMLCredential(common(options)),
  cloudshell: (options) => new CloudShellCredential(common(options)),
  arc: (options) => new ArcCredential(options),
  workloadidentity: (options) => new WorkloadIdentityCredential(common(options)),
  imds: (options) => new ImdsCredential(common(options)),
};
