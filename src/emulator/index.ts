// The emulator's entry point, `azure-managed-identity/emulator`: kept out of the package's main
// entry so that importing the credentials never loads it.
export { startEmulator, type Emulator } from "./startEmulator.js";
export type { EmulatedArcOptions, EmulatedSourceName, EmulatorEndpoints, EmulatorOptions } from "./options.js";
export type { EmulatedAzureCliOptions } from "./azureCliTokens.js";
export type { EmulatorEnvironment } from "./environment.js";
export type { EmulatorEndpointName, EmulatorRequestRecord } from "./emulatedServer.js";
export { parseFaultSequence, type FaultOptions, type FaultStep } from "./faults.js";
export type { EmulatedIdentities, EmulatedIdentity } from "./identities.js";
export type { EmulatedTokenClaims } from "./tokenSigner.js";
export { KEY_VAULT_RESOURCE } from "./keyVaultEndpoint.js";
export {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
  type SelfSignedCertificateOptions,
} from "./selfSignedCertificate.js";
export { emulatedKeyVaultClientOptions, trustCertificatePolicy, trustCertificatePolicyName } from "./trustPolicy.js";
