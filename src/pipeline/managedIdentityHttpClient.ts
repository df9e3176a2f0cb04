import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction, Socket } from "node:net";
import {
  createDefaultHttpClient,
  type HttpClient,
  type PipelineRequest,
  type TlsSettings,
} from "@azure/core-rest-pipeline";
import { holdSocket, isUnawaitedBackground } from "../shared/backgroundTimers.js";

/**
 * `dns.lookup` for a host as a URL writes it: an IPv6 literal keeps its brackets in `URL.hostname`
 * (`[::1]`), and core-rest-pipeline's Node client hands that to the resolver, which answers ENOTFOUND.
 * @internal
 */
export const bracketAwareLookup: LookupFunction = (hostname, options, callback) =>
  dns.lookup(hostname.replace(/^\[(.*)\]$/, "$1"), options, callback);

let httpAgent: http.Agent | undefined;
let httpsAgent: https.Agent | undefined;

/** The agent for an endpoint whose host is an IPv6 literal; `undefined` for the others, which core-rest-pipeline's own agents serve. */
function bracketedHostAgent(url: URL): http.Agent | undefined {
  if (!url.hostname.startsWith("[")) return undefined;
  if (url.protocol === "https:")
    return (httpsAgent ??= new https.Agent({ keepAlive: true, lookup: bracketAwareLookup }));
  return (httpAgent ??= new http.Agent({ keepAlive: true, lookup: bracketAwareLookup }));
}

/**
 * The agent a background request (nobody waits for it) goes through: `agent` itself for every connection and
 * keep-alive rule, but each socket it gives this request is unref'd, so that an endpoint that accepts and never
 * answers does not keep a finished process alive, and ref'd again when a caller waits for the request
 * (`holdSocket`). The hook is on the request's `socket` event, which a new and a reused socket both emit (Node's
 * agent refs a reused socket before that), so it covers the agents the pipeline sets (IMDS's connect bound).
 */
function holdingSockets(agent: http.Agent, signal: NonNullable<PipelineRequest["abortSignal"]>): http.Agent {
  const wrapper = Object.create(agent) as http.Agent & { addRequest(req: http.ClientRequest, options: unknown): void };
  const real = agent as http.Agent & { addRequest(req: http.ClientRequest, options: unknown): void };
  wrapper.addRequest = (req, options) => {
    req.once("socket", (socket: Socket) => holdSocket(socket, signal));
    // Called on the real agent: its pools and counts are shared, never copied onto the wrapper.
    real.addRequest(req, options);
  };
  return wrapper;
}

/** A background request's own agent when the pipeline set none: one connection, not kept alive. */
function backgroundAgent(url: URL, tlsSettings: TlsSettings | undefined): http.Agent {
  return url.protocol === "https:"
    ? new https.Agent({ ...tlsSettings, keepAlive: false, lookup: bracketAwareLookup })
    : new http.Agent({ keepAlive: false, lookup: bracketAwareLookup });
}

/**
 * The HTTP client the credentials and the IMDS probe send with when the application gives none:
 * core-rest-pipeline's, except that an endpoint on an IPv6 literal (`http://[::1]:40342/…`, which
 * msal-node accepts) is connected to instead of failing as "nothing answers (ENOTFOUND)".
 * A request that already carries an agent (Service Fabric's pinned connection) keeps it.
 * @internal
 */
export function createManagedIdentityHttpClient(): HttpClient {
  const inner = createDefaultHttpClient();
  return {
    sendRequest(request) {
      const background = isUnawaitedBackground(request.abortSignal);
      if (request.agent === undefined) {
        const url = new URL(request.url);
        request.agent = background ? backgroundAgent(url, request.tlsSettings) : bracketedHostAgent(url);
      }
      if (background && request.agent !== undefined)
        request.agent = holdingSockets(request.agent as http.Agent, request.abortSignal!);
      return inner.sendRequest(request);
    },
  };
}

let shared: HttpClient | undefined;

/**
 * The one default HTTP client every credential and the IMDS probe share: one keep-alive agent (per protocol)
 * for the whole process, so that credentials made per request and dropped leave no sockets behind (each
 * client owns its own agents, and an endpoint that never closes idle connections, as Go's default server,
 * would keep one open per credential ever made).
 * @internal
 */
export function sharedManagedIdentityHttpClient(): HttpClient {
  return (shared ??= createManagedIdentityHttpClient());
}
