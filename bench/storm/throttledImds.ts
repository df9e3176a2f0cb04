import http from "node:http";
import type net from "node:net";
import { tokenBody } from "../fakes.js";

/** How the storm's IMDS answers. */
export interface ThrottleSettings {
  /** Throttle at all; `false` is the floor "what the CPUs allow": every request answered. */
  throttle: boolean;
  /** Requests answered at once; beyond, 429. */
  maxConcurrent: number;
  /** Tokens answered in any sliding second; beyond, 429. */
  perSecond: number;
  /** The `Retry-After` seconds a 429 carries; `undefined` for none (what IMDS sends). */
  retryAfterSeconds: number | undefined;
  /** How long IMDS takes to answer a token request it accepts. */
  serviceMs: number;
}

/** A loopback IMDS that throttles like the real one, and what it saw since the last reset. */
export interface ThrottledImds {
  readonly origin: string;
  settings: ThrottleSettings;
  requests: number;
  tokens: number;
  throttled: number;
  /** The most requests that arrived within any one second. */
  peakPerSecond(): number;
  reset(settings: ThrottleSettings): void;
  close(): Promise<void>;
}

const TOKEN_PATH = /^\/metadata\/identity\/oauth2\/token\/?$/;

/**
 * Starts the storm's IMDS on 127.0.0.1. A request is accepted when fewer than `maxConcurrent` are being
 * answered and fewer than `perSecond` were accepted in the last 1000 ms; otherwise it gets a 429 at once.
 * Only accepted requests count against the limits (a 429 costs IMDS nothing here: a client that hammers it
 * is measured by its 429s, not punished twice).
 */
export async function startThrottledImds(initial: ThrottleSettings): Promise<ThrottledImds> {
  let inFlight = 0;
  /** Times (ms) of the accepted requests in the last second, oldest first. */
  let accepted: number[] = [];

  let arrivals: number[] = [];
  const server = http.createServer((request, response) => {
    imds.requests++;
    arrivals.push(performance.now());
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const resource = url.searchParams.get("resource");
    if (request.headers["metadata"] !== "true" || !TOKEN_PATH.test(url.pathname) || !resource) {
      response.writeHead(400, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: "invalid_request", error_description: "bad request" }));
      return;
    }
    const { settings } = imds;
    const now = performance.now();
    while (accepted.length > 0 && accepted[0]! <= now - 1000) accepted.shift();
    if (settings.throttle && (inFlight >= settings.maxConcurrent || accepted.length >= settings.perSecond)) {
      imds.throttled++;
      const headers: Record<string, string> = { "Content-Type": "application/json" };
      if (settings.retryAfterSeconds !== undefined) headers["Retry-After"] = String(settings.retryAfterSeconds);
      response.writeHead(429, headers);
      response.end(JSON.stringify({ error: "too_many_requests", error_description: "IMDS is throttling" }));
      return;
    }
    inFlight++;
    accepted.push(now);
    setTimeout(() => {
      inFlight--;
      imds.tokens++;
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(tokenBody(resource));
    }, settings.serviceMs);
  });
  // Hundreds of processes connect at once: a backlog that holds them all, as the real endpoint's does.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => resolve());
  });
  const imds: ThrottledImds = {
    origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    settings: initial,
    requests: 0,
    tokens: 0,
    throttled: 0,
    peakPerSecond() {
      let peak = 0;
      for (let i = 0, j = 0; i < arrivals.length; i++) {
        while (arrivals[j]! <= arrivals[i]! - 1000) j++;
        peak = Math.max(peak, i - j + 1);
      }
      return peak;
    },
    reset(settings) {
      arrivals = [];
      imds.settings = settings;
      imds.requests = 0;
      imds.tokens = 0;
      imds.throttled = 0;
      accepted = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return imds;
}
