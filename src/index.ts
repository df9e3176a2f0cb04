/**
 * Azure managed identity credentials for the Azure SDK for JavaScript: one small `TokenCredential` per host
 * (IMDS, Azure Arc, Cloud Shell, App Service, Service Fabric, Azure ML, workload identity), a chain that finds the
 * host's, the detection alone, the errors with their codes, and the pipeline policies they are built from.
 *
 * @packageDocumentation
 */
export { ImdsCredential, type ImdsCredentialOptions } from "./credentials/imdsCredential.js";
export { ArcCredential, type ArcCredentialOptions } from "./credentials/arcCredential.js";
export { CloudShellCredential, type CloudShellCredentialOptions } from "./credentials/cloudShellCredential.js";
export { AppServiceCredential, type AppServiceCredentialOptions } from "./credentials/appServiceCredential.js";
export { ServiceFabricCredential, type ServiceFabricCredentialOptions } from "./credentials/serviceFabricCredential.js";
export { AzureMLCredential, type AzureMLCredentialOptions } from "./credentials/azureMLCredential.js";
export {
  WorkloadIdentityCredential,
  type WorkloadIdentityCredentialOptions,
} from "./credentials/workloadIdentityCredential.js";
export {
  ManagedIdentityChainCredential,
  type ManagedIdentityChainCredentialOptions,
} from "./credentials/managedIdentityChainCredential.js";
export {
  detectManagedIdentity,
  type DetectManagedIdentityOptions,
  type ManagedIdentityCheck,
  type ManagedIdentityDetection,
} from "./detection/detectManagedIdentity.js";
export {
  thumbprintPinningPolicy,
  thumbprintPinningPolicyName,
  type ThumbprintPinningPolicyOptions,
} from "./pipeline/thumbprintPinningPolicy.js";
export {
  AuthenticationError,
  type AuthenticationErrorCode,
  CredentialUnavailableError,
  type CredentialUnavailableErrorCode,
  type ErrorResponse,
} from "./errors.js";
export type {
  AdditionalPolicyConfig,
  ManagedIdentityCredentialOptions,
  ManagedIdentityRetryOptions,
} from "./options.js";
export type { ManagedIdentitySourceName } from "./sources/source.js";
export { metadataHeaderPolicy, metadataHeaderPolicyName } from "./pipeline/metadataHeaderPolicy.js";
export {
  imdsRetryPolicy,
  imdsRetryPolicyName,
  managedIdentityRetryPolicy,
  managedIdentityRetryPolicyName,
} from "./pipeline/retryPolicy.js";
export {
  arcChallengePolicy,
  arcChallengePolicyName,
  type ArcChallengePolicyOptions,
} from "./sources/arc/arcChallengePolicy.js";
export { tryTimeoutPolicy, tryTimeoutPolicyName } from "./pipeline/tryTimeoutPolicy.js";
export { responseBodyPolicy, responseBodyPolicyName } from "./pipeline/responseBodyPolicy.js";
export {
  createManagedIdentityPipeline,
  type ManagedIdentityPipelineOptions,
} from "./pipeline/createManagedIdentityPipeline.js";
