export { ImdsCredential, type ImdsCredentialOptions } from "./credentials/imdsCredential.js";
export { ArcCredential, type ArcCredentialOptions } from "./credentials/arcCredential.js";
export { CloudShellCredential, type CloudShellCredentialOptions } from "./credentials/cloudShellCredential.js";
export { AuthenticationError, CredentialUnavailableError, type ErrorResponse } from "./errors.js";
export type { AdditionalPolicyConfig, ManagedIdentityCredentialOptions, ManagedIdentityRetryOptions } from "./options.js";
export type { ManagedIdentitySourceName } from "./sources/source.js";
export { metadataHeaderPolicy, metadataHeaderPolicyName } from "./pipeline/metadataHeaderPolicy.js";
export {
  imdsRetryPolicy,
  imdsRetryPolicyName,
  managedIdentityRetryPolicy,
  managedIdentityRetryPolicyName,
} from "./pipeline/retryPolicy.js";
export { arcChallengePolicy, arcChallengePolicyName, type ArcChallengePolicyOptions } from "./pipeline/arcChallengePolicy.js";
export { tryTimeoutPolicy, tryTimeoutPolicyName } from "./pipeline/tryTimeoutPolicy.js";
export { responseBodyPolicy, responseBodyPolicyName } from "./pipeline/responseBodyPolicy.js";
export {
  createManagedIdentityPipeline,
  type ManagedIdentityPipelineOptions,
} from "./pipeline/createManagedIdentityPipeline.js";
