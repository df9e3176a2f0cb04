import type { ManagedIdentityCredentialOptions } from "./options.js";

/** Which id names a user-assigned identity. */
export type UserAssignedIdentityKind = "clientId" | "objectId" | "resourceId";

/**
 * A user-assigned identity, by one of its ids.
 * @internal
 */
export interface UserAssignedIdentity {
  kind: UserAssignedIdentityKind;
  value: string;
}

const KINDS: UserAssignedIdentityKind[] = ["clientId", "objectId", "resourceId"];

/**
 * The user-assigned identity the options ask for, or `undefined` for the system-assigned one.
 * Throws a `TypeError` when more than one id is given (the endpoint would pick one silently) and when
 * one is empty or blank (the request would go out as the system-assigned identity).
 * @internal
 */
export function userAssignedIdentity(options: ManagedIdentityCredentialOptions): UserAssignedIdentity | undefined {
  for (const kind of KINDS) {
    // `clientId: process.env.APP_CLIENT_ID ?? ""` must not silently become the system-assigned identity.
    if (typeof options[kind] === "string" && options[kind].trim() === "") {
      throw new TypeError(
        `The ${kind} option is empty; give the user-assigned identity's ${kind}, or leave ${kind} out (undefined) for the system-assigned identity. Nothing was sent.`,
      );
    }
  }
  const given = KINDS.filter((kind) => options[kind] !== undefined);
  if (given.length > 1) {
    throw new TypeError(`Give at most one of clientId, objectId and resourceId; got ${given.join(" and ")}.`);
  }
  const kind = given[0];
  if (kind === undefined) return undefined;
  const value = options[kind]!;
  // A line break read from a file or a variable along with the id: refuse it rather than send it.
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new TypeError(
      `The ${kind} holds a line break or another control character, which no identity id has. Nothing was sent.`,
    );
  }
  return { kind, value };
}

/**
 * The identity, for messages: `the user-assigned identity with clientId 1234…` or `the system-assigned identity`.
 * @internal
 */
export function describeIdentity(identity: UserAssignedIdentity | undefined): string {
  return identity === undefined
    ? "the system-assigned identity"
    : `the user-assigned identity with ${identity.kind} ${identity.value}`;
}
