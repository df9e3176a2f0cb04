import { createClientLogger } from "@azure/logger";

/**
 * The package's logger: namespace `azure:managed-identity`, enabled with `AZURE_LOG_LEVEL`.
 * Nothing logged through it may contain a token or the Arc secret.
 * @internal
 */
export const logger = createClientLogger("managed-identity");
