import { SOURCE_VARIABLES } from "../../src/sources/index.js";

/** Every variable a managed identity credential (ours, or @azure/identity's) reads to find its source: the registry's. */
export const MANAGED_IDENTITY_VARIABLES: readonly string[] = SOURCE_VARIABLES.map((variable) => variable.name);
