import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { createDefaultHttpClient, type HttpClient } from "@azure/core-rest-pipeline";

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
      if (request.agent === undefined) request.agent = bracketedHostAgent(new URL(request.url));
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
