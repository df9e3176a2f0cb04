import { readEnv } from "../environment.js";

/** The cross-SDK switch that `DefaultAzureCredential` honours in JavaScript, Python, .NET, Go and Java. */
export const AZURE_TOKEN_CREDENTIALS = "AZURE_TOKEN_CREDENTIALS";

/**
 * What `AZURE_TOKEN_CREDENTIALS` means for managed identity:
 * - `default`: unset or `prod`: the environment, then the IMDS probe;
 * - `managedIdentity`: `ManagedIdentityCredential`: the environment, then IMDS without a probe (with its full
 *   retries, so that a slow IMDS is not taken for none);
 * - `workloadIdentity`: `WorkloadIdentityCredential`: workload identity only;
 * - `excluded`: `dev`, or a credential that is not a managed identity: no managed identity, and no I/O.
 * @internal
 */
export type TokenCredentialsEffect = "default" | "managedIdentity" | "workloadIdentity" | "excluded";

/**
 * The setting as read: its value (as written) and its effect.
 * @internal
 */
export interface TokenCredentialsSetting {
  /** The value as set, trimmed; `undefined` when unset or empty. */
  value: string | undefined;
  effect: TokenCredentialsEffect;
}

/**
 * The values `@azure/identity` 4.14.1 accepts, compared trimmed and in lower case, and their effect here. The list
 * is `DefaultAzureCredential`'s constructor's switch (Azure/azure-sdk-for-js,
 * sdk/identity/identity/src/credentials/defaultAzureCredential.ts, `validCredentialNames`); any other value makes
 * it throw, and so does this package.
 */
const EFFECTS: ReadonlyMap<string, TokenCredentialsEffect> = new Map([
  ["prod", "default"],
  ["dev", "excluded"],
  ["environmentcredential", "excluded"],
  ["workloadidentitycredential", "workloadIdentity"],
  ["managedidentitycredential", "managedIdentity"],
  ["visualstudiocodecredential", "excluded"],
  ["azureclicredential", "excluded"],
  ["azurepowershellcredential", "excluded"],
  ["azuredeveloperclicredential", "excluded"],
]);

/** The accepted values as the documentation spells them, for the error message. */
const ALLOWED =
  "'prod', 'dev', 'EnvironmentCredential', 'WorkloadIdentityCredential', 'ManagedIdentityCredential', 'VisualStudioCodeCredential', 'AzureCliCredential', 'AzurePowerShellCredential' or 'AzureDeveloperCliCredential'";

/**
 * Reads `AZURE_TOKEN_CREDENTIALS` from `env`, case-insensitively; set but empty counts as unset.
 * @throws `TypeError` for a value that `@azure/identity` does not accept either, listing the allowed ones.
 * @internal
 */
export function readTokenCredentialsSetting(env: NodeJS.ProcessEnv): TokenCredentialsSetting {
  const value = readEnv(AZURE_TOKEN_CREDENTIALS, env);
  if (value === undefined) return { value, effect: "default" };
  const effect = EFFECTS.get(value.toLowerCase());
  if (effect === undefined) {
    throw new TypeError(
      `${AZURE_TOKEN_CREDENTIALS} is '${value}', which is not a valid value: use ${ALLOWED} (case does not matter), or leave it unset.`,
    );
  }
  return { value, effect };
}

/**
 * What the setting does to managed identity, in words: for reasons, messages and the doctor.
 * @internal
 */
export function describeTokenCredentialsSetting(setting: TokenCredentialsSetting): string {
  const is = `${AZURE_TOKEN_CREDENTIALS} is '${setting.value}'`;
  switch (setting.effect) {
    case "default":
      return setting.value === undefined
        ? `${AZURE_TOKEN_CREDENTIALS} is not set: the environment, then the IMDS probe.`
        : `${is}: the environment, then the IMDS probe (as when it is not set).`;
    case "managedIdentity":
      return `${is}: the environment, then IMDS without a probe, with its full retries.`;
    case "workloadIdentity":
      return `${is}: workload identity only.`;
    case "excluded":
      return `${is}, which excludes managed identity (it selects ${setting.value!.toLowerCase() === "dev" ? "the developer credentials" : setting.value}).`;
  }
}
