const DEFAULT_SUFFIX = "/.default";
// Whitespace separates scopes in OAuth, and other control characters have no place in a URL parameter.
const SEVERAL_SCOPES = /\s/;
const CONTROL_CHARACTER = /[\u0000-\u0008\u000e-\u001f\u007f]/;
const EXAMPLE = "such as 'https://vault.azure.net/.default'";

/** A scope as a message may quote it: JSON-escaped (no line break reaches a log), and not too long. */
function quoted(scope: string): string {
  const text = JSON.stringify(scope);
  return text.length > 120 ? `${text.slice(0, 119)}…"` : text;
}

/**
 * Picks the one scope of a `getToken` call; managed identity gives one token per resource. A string,
 * or an array of exactly one string (as `@azure/identity` accepts, and as some clients pass it).
 * @throws `TypeError` for anything else: the caller's mistake, found before anything is sent.
 * @internal
 */
export function singleScope(scopes: unknown): string {
  if (typeof scopes === "string") return scopes;
  if (Array.isArray(scopes)) {
    if (scopes.length === 1 && typeof scopes[0] === "string") return scopes[0];
    if (scopes.length !== 1) {
      throw new TypeError(
        `Managed identity takes exactly one scope per getToken call; got ${scopes.length}. It gives one token per resource: pass one scope, ${EXAMPLE}.`,
      );
    }
  }
  const got = Array.isArray(scopes) ? `an array holding ${typeof scopes[0]}` : scopes === null ? "null" : typeof scopes;
  throw new TypeError(`getToken takes one scope as a string, ${EXAMPLE}; got ${got}.`);
}

/**
 * Turns a scope into the resource a managed identity endpoint expects, by dropping a trailing
 * `/.default`: `https://vault.azure.net/.default` → `https://vault.azure.net`.
 * @throws `TypeError` for an empty or blank scope, several scopes in one string, or a control character.
 * @internal
 */
export function scopeToResource(scope: string): string {
  if (typeof scope !== "string") return scopeToResource(singleScope(scope));
  if (scope.trim() === "")
    throw new TypeError(`The scope is ${scope === "" ? "empty" : "blank"}; give one, ${EXAMPLE}.`);
  if (CONTROL_CHARACTER.test(scope)) {
    throw new TypeError(`The scope ${quoted(scope)} holds a control character; give one scope, ${EXAMPLE}.`);
  }
  if (SEVERAL_SCOPES.test(scope)) {
    throw new TypeError(
      `The scope ${quoted(scope)} holds whitespace: several scopes in one call, or a stray space? Managed identity takes exactly one scope per getToken call, ${EXAMPLE}.`,
    );
  }
  const resource = scope.endsWith(DEFAULT_SUFFIX) ? scope.slice(0, -DEFAULT_SUFFIX.length) : scope;
  if (resource.length === 0) throw new TypeError(`The scope ${quoted(scope)} names no resource, ${EXAMPLE}.`);
  return resource;
}

/**
 * The resource of a `getToken` call's scopes, checked before anything is sent.
 * @throws `TypeError` as {@link singleScope} and {@link scopeToResource} do.
 * @internal
 */
export function resourceOfScopes(scopes: unknown): string {
  return scopeToResource(singleScope(scopes));
}
