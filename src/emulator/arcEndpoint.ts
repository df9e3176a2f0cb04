import { EMULATOR_ERROR, injectedDescription, oauthError } from "./answers.js";
import type { ArcChallenges } from "./arcChallenges.js";
import type { EndpointBehaviour } from "./emulatedServer.js";
import { findIdentity, selectorFromQuery } from "./identities.js";
import { checkMetadataTokenRequest, IMDS_IDENTITY_PARAMETERS, imdsTokenBody } from "./imdsEndpoint.js";
import type { ResourceCheck } from "./resourceCheck.js";
import type { TokenIssuer } from "./tokenIssuer.js";

/** Options of the emulated Arc agent. @internal */
export interface ArcEndpointOptions {
  /** Behave like an agent too old for user-assigned identities: ignore them and answer with the system-assigned one. */
  ignoresUserAssignedIdentity?: boolean;
}

/**
 * The Azure Connected Machine agent (himds): `GET /metadata/identity/oauth2/token` with
 * `Metadata: true`, answered first by `401` and `WWW-Authenticate: Basic realm=<file>` (a new file
 * and secret per challenge), then, when the request comes back with `Authorization: Basic <secret>`,
 * by the token. A user-assigned identity is honoured and echoed (`client_id`, `object_id`,
 * `msi_res_id`) unless the agent is configured as an old one.
 * @internal
 */
export function arcEndpoint(
  issuer: TokenIssuer,
  challenges: ArcChallenges,
  resources: ResourceCheck,
  options: ArcEndpointOptions = {},
): EndpointBehaviour {
  return {
    name: "arc",
    injectedError: (status) => oauthError(status, injectedDescription(status)),
    emulatorError: (description) => oauthError(500, description, EMULATOR_ERROR),
    async handle(request) {
      const refused = checkMetadataTokenRequest(request, resources);
      if (refused) return refused;

      const authorization = request.headers["authorization"];
      if (authorization === undefined) {
        const realm = await challenges.issue();
        return {
          status: 401,
          // Unquoted, as the agent sends it (and as msal-node parses it).
          headers: { "WWW-Authenticate": `Basic realm=${realm}` },
          body: {
            error: "unauthorized_client",
            error_description: "Authorization required: read the file named in the challenge.",
          },
        };
      }
      if (!(await challenges.redeem(authorization))) {
        return oauthError(
          401,
          "The secret does not match a pending challenge (each secret is good for one request).",
          "unauthorized_client",
        );
      }

      const resource = request.url.searchParams.get("resource") ?? "";
      const legacy = options.ignoresUserAssignedIdentity === true;
      const selector = legacy ? undefined : selectorFromQuery(request.url.searchParams, IMDS_IDENTITY_PARAMETERS);
      if (selector === "ambiguous")
        return oauthError(400, "Only one of client_id, object_id and msi_res_id may be given");
      const identity = findIdentity(issuer.identities, selector);
      if (identity === undefined) return oauthError(400, "Identity not found");
      const body: Record<string, string> = imdsTokenBody(issuer.forIdentity(identity, resource), resource);
      if (legacy) delete body["client_id"];
      else if (selector !== undefined)
        Object.assign(body, { object_id: identity.objectId, msi_res_id: identity.resourceId });
      return { status: 200, body };
    },
  };
}
