import { vi } from "vitest";
import { MANAGED_IDENTITY_VARIABLES } from "./managedIdentityVariables.js";

export { MANAGED_IDENTITY_VARIABLES };

/** Unsets every managed identity variable (restored by `vi.unstubAllEnvs`), then sets `vars`: one emulated source and nothing else. */
export function useOnlyEnv(vars: Record<string, string> | undefined): void {
  for (const name of MANAGED_IDENTITY_VARIABLES) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(vars ?? {})) vi.stubEnv(name, value);
}
