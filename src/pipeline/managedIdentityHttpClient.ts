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
 * An agent of its own for one background request (nobody waits for it): its socket is unref'd, so that an endpoint
 * that accepts and never answers does not keep a finished process alive, and ref'd again when a caller waits for
 * the request (`holdSocket`). Not kept alive: one connection per background refresh, which comes once in a
 * token's lifetime.
 */
function backgroundAgent(
  url: URL,
  signal: NonNullable<PipelineRequest["abortSignal"]>,
  tlsSettings: TlsSettings | undefined,
): http.Agent {
  const agent =
    url.protocol === "https:"
      ? new https.Agent({ ...tlsSettings, keepAlive: false, lookup: bracketAwareLookup })
      : new http.Agent({ keepAlive: false, lookup: bracketAwareLookup });
  const connect = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = connect(options, callback);
    // A net.Socket (a tls.TLSSocket for https), which has ref and unref.
    if (socket) holdSocket(socket as Socket, signal);
    return socket;
  };
  return agent;
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
      if (request.agent === undefined) {
        const url = new URL(request.url);
        request.agent = isUnawaitedBackground(request.abortSignal)
          ? backgroundAgent(url, request.abortSignal!, request.tlsSettings)
          : bracketedHostAgent(url);
      }
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
