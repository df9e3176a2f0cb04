/**
 * Options are explicit. An option key nobody reads is refused at construction: `{ managedIdentityClientId: id }`
 * or `{ client_id: id }` silently ignored would hand back the system-assigned identity's token.
 */

/**
 * The option keys of `T`, one list per options type, built by {@link optionKeys} so that it matches `T`.
 * @internal
 */
export type OptionKeys<T> = readonly (keyof T & string)[];

/** The keys of `T` the list `K` leaves out. */
type MissingKeys<T, K> = Exclude<keyof T, K>;

/**
 * Builds the list of `T`'s option keys: it compiles only when the list names every key of `T` and nothing
 * else, so that an option added to an options type and forgotten here fails `npm run typecheck` (the
 * error names it under `missingOptionKeys`).
 *
 * @example
 * ```ts
 * export const ARC_CREDENTIAL_OPTION_KEYS = optionKeys<ArcCredentialOptions>()([...BASE_KEYS, "tokenFolder"]);
 * ```
 * @internal
 */
export function optionKeys<T>() {
  return <const K extends readonly (keyof T & string)[]>(
    keys: K &
      ([MissingKeys<T, K[number]>] extends [never] ? unknown : { missingOptionKeys: MissingKeys<T, K[number]> }),
  ): OptionKeys<T> => keys;
}

/**
 * `keys` without `left` (for an options type made with `Omit`), typed so that {@link optionKeys} sees what is left.
 * @internal
 */
export function withoutKeys<K extends string, L extends K>(keys: readonly K[], ...left: L[]): Exclude<K, L>[] {
  return keys.filter((key): key is Exclude<K, L> => !(left as string[]).includes(key));
}

/** A key as other libraries and the wire spell it (lower case, no `_` or `-`) → this package's name for it. */
const OTHER_SPELLINGS: Readonly<Record<string, string>> = {
  // @azure/identity's DefaultAzureCredentialOptions.
  managedidentityclientid: "clientId",
  managedidentityresourceid: "resourceId",
  managedidentityobjectid: "objectId",
  workloadidentityclientid: "clientId",
  // The ids' names on the wire (IMDS, Arc, App Service, Service Fabric) and in the portal.
  principalid: "objectId",
  miresid: "resourceId",
  msiresid: "resourceId",
  appid: "clientId",
  applicationid: "clientId",
  identityid: "clientId",
  // Workload identity's environment variables and @azure/identity's older names.
  federatedtokenfile: "tokenFilePath",
  federatedtokenfilepath: "tokenFilePath",
  azurefederatedtokenfile: "tokenFilePath",
  azureclientid: "clientId",
  azuretenantid: "tenantId",
  azureauthorityhost: "authorityHost",
  tenant: "tenantId",
  // The detection's probe.
  probetimeout: "probeTimeoutMs",
  probetimeoutinms: "probeTimeoutMs",
};

/**
 * The user-assigned identity's keys: one that a credential's options leave out is let through, and the
 * credential's source refuses it with the reason (Cloud Shell has no user-assigned identity, Service Fabric
 * takes an `objectId` only, …), which says more than "not an option".
 */
const IDENTITY_KEYS: readonly string[] = ["clientId", "objectId", "resourceId"];

function squash(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, "");
}

/** This package's name for `key`, when it is a known other spelling of one. */
function rightName(key: string, allowed: readonly string[]): string | undefined {
  const squashed = squash(key);
  return allowed.find((name) => squash(name) === squashed) ?? OTHER_SPELLINGS[squashed];
}

/** A key as a message shows it: quoted, escaped, never long. */
function shown(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** What to pass instead of something that is not an options object. */
function whatToPass(allowed: readonly string[]): string {
  const identity = IDENTITY_KEYS.filter((key) => allowed.includes(key));
  if (identity.length > 0) {
    const others = identity.slice(1);
    return `for a user-assigned identity pass { ${identity[0]}: "…" }${others.length > 0 ? ` (or ${others.join(", ")})` : ""}, for the system-assigned one pass nothing`;
  }
  return `pass nothing for the defaults, or an object of these options: ${allowed.join(", ")}`;
}

/**
 * Returns `options` (`{}` for `undefined`) when it is an options object whose every own key is in `allowed`;
 * otherwise throws a `TypeError` that names the key (and, for a known other spelling, the right name) and the
 * options `owner` takes, or says what to pass instead of a string, number, `null` or array. Called once, at
 * construction, before anything is sent. A user-assigned identity's key that `allowed` leaves out is left to
 * the source, which refuses it with its reason.
 * @internal
 */
export function explicitOptions<T extends object>(owner: string, options: T | undefined, allowed: OptionKeys<T>): T {
  if (options === undefined) return {} as T;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${owner} takes an options object, not ${kindOf(options)}: ${whatToPass(allowed)}. Nothing was sent.`,
    );
  }
  // Only a plain object's own keys can be checked: an inherited or class-getter `managedIdentityClientId` would pass
  // unseen while an inherited `clientId` is read, so anything else is refused rather than half-read.
  const prototype: unknown = Object.getPrototypeOf(options);
  if (prototype !== Object.prototype && prototype !== null) {
    const made = (prototype as { constructor?: { name?: string } }).constructor?.name;
    throw new TypeError(
      `${owner} takes a plain options object ({ … }), not ${made ? `a ${made} instance` : "an object with a prototype"}: copy the options it should take into an object literal. Nothing was sent.`,
    );
  }
  const known: readonly string[] = allowed;
  for (const key of Object.keys(options)) {
    if (known.includes(key) || IDENTITY_KEYS.includes(key)) continue;
    const right = rightName(key, known) ?? rightName(key, IDENTITY_KEYS);
    const hint =
      right === undefined
        ? "."
        : known.includes(right)
          ? `: did you mean "${right}"?`
          : ` (another name for "${right}", which ${owner} does not take either).`;
    throw new TypeError(
      `${owner} has no option ${shown(key)}${hint} ${owner} takes: ${known.join(", ")}. Nothing was sent.`,
    );
  }
  return options;
}
