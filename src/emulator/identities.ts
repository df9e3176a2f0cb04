import { randomUUID } from "node:crypto";

/** One identity the emulator gives tokens for. */
export interface EmulatedIdentity {
  /** The client (application) id: the token's `appid`. */
  clientId: string;
  /** The object (principal) id: the token's `oid`. */
  objectId: string;
  /** The Azure resource id: the token's `xms_mirid`. */
  resourceId: string;
}

/** The emulated host's identities. */
export interface EmulatedIdentities {
  tenantId: string;
  /** The host's system-assigned identity; `null` for a host that has none (IMDS then answers 400 "Identity not found"). */
  systemAssigned: EmulatedIdentity | null;
  /** The user-assigned identities assigned to the host. */
  userAssigned: EmulatedIdentity[];
  /** The signed-in user of Cloud Shell, which gives user tokens, not managed identity ones. */
  cloudShellUser: { objectId: string; upn: string; clientId: string };
}

/** How a request names a user-assigned identity: which kind, and the value. */
export type IdentitySelector = { kind: keyof EmulatedIdentity; value: string } | undefined;

/** The emulated subscription, in every made-up resource id. */
const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

/**
 * The default identities: fresh ids for a VM's system-assigned identity and one user-assigned
 * identity, in a made-up subscription.
 * @internal
 */
export function defaultIdentities(options: Partial<EmulatedIdentities> = {}): EmulatedIdentities {
  const group = `/subscriptions/${SUBSCRIPTION}/resourceGroups/emulator/providers`;
  return {
    tenantId: options.tenantId ?? randomUUID(),
    systemAssigned:
      options.systemAssigned !== undefined
        ? options.systemAssigned
        : {
            clientId: randomUUID(),
            objectId: randomUUID(),
            resourceId: `${group}/Microsoft.Compute/virtualMachines/emulated-vm`,
          },
    userAssigned: options.userAssigned ?? [
      {
        clientId: randomUUID(),
        objectId: randomUUID(),
        resourceId: `${group}/Microsoft.ManagedIdentity/userAssignedIdentities/emulated-identity`,
      },
    ],
    cloudShellUser: options.cloudShellUser ?? {
      objectId: randomUUID(),
      upn: "user@emulator.invalid",
      clientId: randomUUID(),
    },
  };
}

/**
 * The user-assigned identity a request's query names, with the parameter names of the source
 * (`client_id`/`object_id`/`msi_res_id` for IMDS and Arc; `object_id` or `principal_id`, and `mi_res_id`, for App Service).
 * Two selectors at once is an error, as on Azure.
 * @internal
 */
export function selectorFromQuery(
  query: URLSearchParams,
  names: Partial<Record<keyof EmulatedIdentity, string[]>>,
): IdentitySelector | "ambiguous" {
  const found: { kind: keyof EmulatedIdentity; value: string }[] = [];
  for (const [kind, parameters] of Object.entries(names) as [keyof EmulatedIdentity, string[]][]) {
    for (const parameter of parameters) {
      const value = query.get(parameter);
      if (value) found.push({ kind, value });
    }
  }
  if (found.length > 1) return "ambiguous";
  return found[0];
}

/**
 * The identity a selector names among the host's (ids compare case-insensitively, as Azure's do);
 * no selector means the system-assigned identity.
 * @internal
 */
export function findIdentity(identities: EmulatedIdentities, selector: IdentitySelector): EmulatedIdentity | undefined {
  if (selector === undefined) return identities.systemAssigned ?? undefined;
  const wanted = selector.value.toLowerCase();
  return identities.userAssigned.find((identity) => identity[selector.kind].toLowerCase() === wanted);
}
