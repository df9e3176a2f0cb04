import http from "node:http";
import type { AddressInfo } from "node:net";

// Captured when this module loads, before a test fakes the timers: a slow answer is slow in real time.
const realSetTimeout = globalThis.setTimeout;

/** What the fault endpoint may do with one request. */
export type Fault =
  | "ok"
  | "slow"
  | "gone410"
  | "throttled429"
  | "throttled429RetryAfter"
  | "throttled429RetryAfterTooLong"
  | "error500"
  | "unavailable503"
  | "reset"
  | "truncated";

/** How often each fault comes, relative to the others. */
export type FaultWeights = Record<Fault, number>;

/** Options of {@link startFaultEndpoint}. */
export interface FaultEndpointOptions {
  /** Seeds the choice of faults, so that a run replays. */
  seed: number;
  weights: FaultWeights;
  /** Lifetime of the tokens handed out, in seconds from `Date.now()` (the fake clock, when faked). */
  tokenLifetimeSeconds: number;
  /** A `Retry-After` longer than the client's `maxRetryDelayInMs`, in seconds, for `throttled429RetryAfterTooLong`. */
  tooLongRetryAfterSeconds: number;
}

/** A loopback token endpoint that misbehaves at random, and what it did. */
export interface FaultEndpoint {
  /** `http://127.0.0.1:port` */
  origin: string;
  /** Requests received. */
  requests: number;
  /** Requests received, by the fault they got. */
  byFault: Record<Fault, number>;
  close(): Promise<void>;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same faults. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * How every token the endpoint hands out for `resource` begins: the token names its resource, so
 * that a caller handed another resource's token is caught.
 */
export function soakTokenPrefix(resource: string): string {
  return `soak|${resource}|`;
}

/**
 * Starts an IMDS-like endpoint on 127.0.0.1 that answers each request with a fault drawn at random:
 * a token (at once or after a few real milliseconds), 410, 429 with or without `Retry-After`, 500,
 * 503, a reset connection, or a 200 whose body is cut short. It keeps counters only, so that it
 * holds no memory per request.
 */
export async function startFaultEndpoint(options: FaultEndpointOptions): Promise<FaultEndpoint> {
  const random = seeded(options.seed);
  const faults = Object.keys(options.weights) as Fault[];
  const total = faults.reduce((sum, f) => sum + options.weights[f], 0);
  const pick = (): Fault => {
    let r = random() * total;
    for (const fault of faults) {
      r -= options.weights[fault];
      if (r < 0) return fault;
    }
    return "ok";
  };
  const byFault = Object.fromEntries(faults.map((f) => [f, 0])) as Record<Fault, number>;
  let serial = 0;

  const tokenBody = (url: URL): string =>
    JSON.stringify({
      access_token: `${soakTokenPrefix(url.searchParams.get("resource") ?? "")}${++serial}`,
      expires_on: String(Math.floor(Date.now() / 1000) + options.tokenLifetimeSeconds),
      token_type: "Bearer",
    });
  const json = (res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      endpoint.requests++;
      const fault = pick();
      byFault[fault]++;
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      switch (fault) {
        case "ok":
          return json(res, 200, tokenBody(url));
        case "slow":
          realSetTimeout(() => json(res, 200, tokenBody(url)), 2 + Math.floor(random() * 15));
          return;
        case "gone410":
          return json(res, 410, JSON.stringify({ error: "gone", error_description: "IMDS is being updated" }));
        case "throttled429":
          return json(res, 429, JSON.stringify({ error: "throttled" }));
        case "throttled429RetryAfter":
          return json(res, 429, JSON.stringify({ error: "throttled" }), {
            "Retry-After": String(Math.floor(random() * 3)),
          });
        case "throttled429RetryAfterTooLong":
          return json(res, 429, JSON.stringify({ error: "throttled" }), {
            "Retry-After": String(options.tooLongRetryAfterSeconds),
          });
        case "error500":
          return json(res, 500, JSON.stringify({ error: "server_error", error_description: "something broke" }));
        case "unavailable503":
          return json(res, 503, "");
        case "reset":
          req.socket.destroy();
          return;
        case "truncated": {
          const body = tokenBody(url);
          res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) });
          res.write(body.slice(0, body.length >> 1), () => req.socket.destroy());
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint: FaultEndpoint = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: 0,
    byFault,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return endpoint;
}
