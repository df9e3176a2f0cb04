import { randomBytes } from "node:crypto";
import { EMULATOR_ERROR, injectedDescription } from "./answers.js";
import type { EmulatedAnswer, EndpointBehaviour } from "./emulatedServer.js";
import type { TokenSigner } from "./tokenSigner.js";

/** The resource Key Vault tokens are for. */
export const KEY_VAULT_RESOURCE = "https://vault.azure.net";

/** One secret in the emulated vault. @internal */
interface StoredSecret {
  name: string;
  value: string;
  version: string;
  created: number;
}

/** Key Vault's error shape. @internal */
export function keyVaultError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): EmulatedAnswer {
  return { status, headers, body: { error: { code, message } } };
}

/** Options of the emulated vault. @internal */
export interface KeyVaultEndpointOptions {
  signer: TokenSigner;
  tenantId: string;
  /** The vault's URL, for the `id` of each secret: `https://127.0.0.1:port/`. */
  vaultUrl: () => string;
  /** Secret name → value. */
  secrets: Record<string, string>;
}

/**
 * The Key Vault secrets API, as far as reading a secret goes: `GET /secrets/{name}[/{version}]?api-version=…`.
 * A request without a token is answered `401` with Key Vault's bearer challenge (the authority with
 * the tenant, and the resource), which is how the Key Vault SDK learns which token to get; a token
 * is accepted only when this emulator signed it for `https://vault.azure.net`.
 * @internal
 */
export function keyVaultEndpoint(options: KeyVaultEndpointOptions): EndpointBehaviour {
  const created = Math.floor(Date.now() / 1000);
  const store = new Map<string, StoredSecret>(
    Object.entries(options.secrets).map(([name, value]) => [
      name.toLowerCase(),
      { name, value, version: randomBytes(16).toString("hex"), created },
    ]),
  );
  const challenge = {
    "WWW-Authenticate": `Bearer authorization="https://login.microsoftonline.com/${options.tenantId}", resource="${KEY_VAULT_RESOURCE}"`,
  };
  const unauthorized = (message: string): EmulatedAnswer => keyVaultError(401, "Unauthorized", message, challenge);

  return {
    name: "keyvault",
    injectedError: (status) =>
      keyVaultError(status, status === 429 ? "Throttled" : "InternalError", injectedDescription(status)),
    emulatorError: (description) => keyVaultError(500, EMULATOR_ERROR, description),
    handle(request) {
      const match = /^\/secrets\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-fA-F]{32}))?\/?$/.exec(request.url.pathname);
      if (!match?.[1])
        return keyVaultError(
          404,
          "NotFound",
          `No such operation: ${request.method} ${request.url.pathname}. (The emulator serves GET /secrets/{name}.)`,
        );
      if (request.method !== "GET")
        return keyVaultError(405, "MethodNotAllowed", `The emulator serves only GET on ${request.url.pathname}.`);
      if (!request.url.searchParams.get("api-version"))
        return keyVaultError(400, "BadParameter", "The api-version query parameter is required.");

      const authorization = request.headers["authorization"];
      if (authorization === undefined) return unauthorized("AKV10000: Request is missing a Bearer or PoP token.");
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!bearer?.[1]) return unauthorized("AKV10001: The authorization header is not a Bearer token.");
      const check = options.signer.verify(bearer[1], [KEY_VAULT_RESOURCE, `${KEY_VAULT_RESOURCE}/`]);
      if (!check.valid) return unauthorized(`AKV10022: The token was refused: ${check.reason}.`);

      const [, name, version] = match;
      const secret = store.get(name.toLowerCase());
      if (secret === undefined || (version !== undefined && version.toLowerCase() !== secret.version)) {
        return keyVaultError(
          404,
          "SecretNotFound",
          `A secret with (name/id) ${name}${version ? `/${version}` : ""} was not found in this key vault.`,
        );
      }
      return {
        status: 200,
        body: {
          value: secret.value,
          id: new URL(`secrets/${secret.name}/${secret.version}`, options.vaultUrl()).href,
          attributes: {
            enabled: true,
            created: secret.created,
            updated: secret.created,
            recoveryLevel: "Recoverable+Purgeable",
            recoverableDays: 90,
          },
          tags: {},
        },
      };
    },
  };
}
