import https from "node:https";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";

/** The name of {@link trustCertificatePolicy}. */
export const trustCertificatePolicyName = "trustCertificatePolicy";

/**
 * A pipeline policy that makes an Azure SDK client trust one extra CA certificate, such as the
 * emulated Key Vault's self-signed one: it sends every request through an `https.Agent` with that
 * `ca` (unless the request already has an agent). `NODE_EXTRA_CA_CERTS` cannot do this: Node reads
 * it only at start.
 *
 * @example
 * ```ts
 * const client = new SecretClient(emulator.keyVaultUrl, credential, {
 *   additionalPolicies: [{ policy: trustCertificatePolicy(emulator.ca), position: "perCall" }],
 *   disableChallengeResourceVerification: true, // the vault's host is 127.0.0.1, not *.vault.azure.net
 * });
 * ```
 */
export function trustCertificatePolicy(ca: string): PipelinePolicy {
  const agent = new https.Agent({ ca, keepAlive: false });
  return {
    name: trustCertificatePolicyName,
    sendRequest(request, next) {
      request.agent ??= agent;
      return next(request);
    },
  };
}

/**
 * The options a Key Vault client needs to talk to the emulated vault: trust its certificate, and
 * accept a challenge whose resource (`https://vault.azure.net`) is not the vault's host (`127.0.0.1`).
 * Spread them into `SecretClient`'s (or another Key Vault client's) options.
 */
export function emulatedKeyVaultClientOptions(ca: string): {
  additionalPolicies: { policy: PipelinePolicy; position: "perCall" }[];
  disableChallengeResourceVerification: true;
} {
  return {
    additionalPolicies: [{ policy: trustCertificatePolicy(ca), position: "perCall" }],
    disableChallengeResourceVerification: true,
  };
}
