import { type PipelinePolicy, RestError } from "@azure/core-rest-pipeline";
import { CredentialUnavailableError } from "../errors.js";
import { timerBound } from "../shared/timerBound.js";
import { connectBoundAgent } from "./connectBoundAgent.js";
import { CONNECT_FAILED_CODE, CONNECT_TIMEOUT_CODE, isUnreachableError, networkErrorCode } from "./networkErrors.js";

/** The name of {@link connectBoundPolicy}. @internal */
export const connectBoundPolicyName = "connectBoundPolicy";

/**
 * Options of {@link connectBoundPolicy}.
 * @internal
 */
export interface ConnectBoundPolicyOptions {
  /** How long a new connection may take; 0 means no bound (the try timeout alone). */
  connectTimeoutInMs: number;
  /** The source's name, which starts the error's message. */
  displayName: string;
}

/**
 * For an endpoint on the host, which accepts a connection at once when it is there (IMDS): until it has
 * answered once, a connection not made within the bound is `CredentialUnavailableError` (code `unreachable`)
 * at once, as a refused one is, so that a chain moves on instead of waiting out every try's timeout. Once it
 * has answered, any failed connect (not made in time, refused, unreachable) is transient: it was there, so it
 * is retried (code `CONNECT_FAILED`). A connection made and then silent is the try timeout's business.
 *
 * Per try, one instance per credential (it remembers whether the endpoint answered). It bounds the connect
 * through the request's agent, so only with Node's HTTP client, and not when the request carries its own agent.
 * @internal
 */
export function connectBoundPolicy(options: ConnectBoundPolicyOptions): PipelinePolicy {
  const bound = timerBound(options.connectTimeoutInMs);
  let answered = false;
  return {
    name: connectBoundPolicyName,
    async sendRequest(request, next) {
      if (bound !== undefined && request.agent === undefined && request.tlsSettings === undefined) {
        request.agent = connectBoundAgent(new URL(request.url).protocol, bound);
      }
      try {
        const response = await next(request);
        answered = true;
        return response;
      } catch (error) {
        const code = networkErrorCode(error);
        const timedOut = code === CONNECT_TIMEOUT_CODE;
        if (!timedOut && !isUnreachableError(error)) throw error;
        const message = (error as Error).message;
        if (answered) throw new RestError(message, { code: CONNECT_FAILED_CODE, request });
        // Refused or unreachable: the engine says "nothing answers" as it always has.
        if (!timedOut) throw error;
        const url = new URL(request.url);
        throw new CredentialUnavailableError(
          `${options.displayName}: no connection to ${url.origin}${url.pathname} within ${bound} ms, and it has never answered this credential, so this machine offers no ${options.displayName} managed identity (off Azure, a network that silently drops packets to ${url.hostname}). Where it is only slow to accept a connection, raise connectTimeoutInMs.`,
          "unreachable",
        );
      }
    },
  };
}
