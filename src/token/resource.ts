import { AuthenticationError } from "../errors.js";

const DEFAULT_SUFFIX = "/.default";
// Whitespace separates scopes in OAuth and control characters have no place in a URL parameter.
const INVALID_SCOPE = /[\s\u0000-\u001f\u007f]/;

/**
 * Picks the one scope of a `getToken` call; managed identity gives one token per resource.
 * @internal
 */
export function singleScope(scopes: string | string[]): string {
  if (typeof scopes === "string") return scopes;
  if (Array.isArray(scopes) && scopes.length === 1 && typeof scopes[0] === "string") return scopes[0];
  throw new AuthenticationError(
    `Managed identity takes exactly one scope per getToken call; got ${Array.isArray(scopes) ? scopes.length : typeof scopes}.`,
  );
}

/**
 * Turns a scope into the resource a managed identity endpoint expects, by dropping a trailing
 * `/.default`: `https://vault.azure.net/.default` → `https://vault.azure.net`.
 * @internal
 */
export function scopeToResource(scope: string): string {
  if (typeof scope !== "string" || scope.length === 0 || INVALID_SCOPE.test(scope)) {
    throw new AuthenticationError(
      "The scope must be one non-empty string without whitespace or control characters, such as 'https://vault.azure.net/.default'.",
    );
  }
  const resource = scope.endsWith(DEFAULT_SUFFIX) ? scope.slice(0, -DEFAULT_SUFFIX.length) : scope;
  if (resource.length === 0) {
    throw new AuthenticationError(`The scope '${scope}' names no resource.`);
  }
  return resource;
}
