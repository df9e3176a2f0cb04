import http from "node:http";
import https from "node:https";
import net from "node:net";
import { performance } from "node:perf_hooks";
import type { TimedCheck } from "./report.js";

const elapsed = (since: number): number => Math.round((performance.now() - since) * 10) / 10;

function failure(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code ? `${code}` : (message ?? String(error));
}

function defaultPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === "https:" ? 443 : 80;
}

/**
 * Connects to the endpoint's port and hangs up: whether anything listens, and how long the
 * handshake took. Gives up after `timeoutMs`; never throws.
 * @internal
 */
export function checkTcp(url: URL, timeoutMs: number): Promise<TimedCheck> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ""), port: defaultPort(url) });
    const done = (check: TimedCheck): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(check);
    };
    const timer = setTimeout(
      () => done({ ok: false, ms: elapsed(started), detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once("connect", () => done({ ok: true, ms: elapsed(started) }));
    socket.once("error", (error) => done({ ok: false, ms: elapsed(started), detail: failure(error) }));
  });
}

/**
 * Sends a plain `GET` to the endpoint's path — no query, no `Metadata` header, no secret, so no
 * token and no Arc challenge file is made — and times the answer's status line. Any status means
 * an HTTP server is there. TLS certificates are not checked (nothing secret is sent; Service
 * Fabric's is self-signed). Never goes through a proxy. Never throws.
 * @internal
 */
export function checkHttp(url: URL, timeoutMs: number): Promise<TimedCheck> {
  return getStatus(`${url.origin}${url.pathname}`, timeoutMs);
}

/**
 * Sends one plain `GET` to `target` as given (its query included) with no `Metadata` header, no
 * secret and no proxy, and times the answer's status line; never retried, given up after
 * `timeoutMs`. Never throws.
 * @internal
 */
export function getStatus(target: string, timeoutMs: number): Promise<TimedCheck> {
  const started = performance.now();
  return new Promise((resolve) => {
    const options = { method: "GET", agent: false as const, headers: { Connection: "close" } };
    const request = target.startsWith("https:")
      ? https.request(target, { ...options, rejectUnauthorized: false })
      : http.request(target, options);
    const done = (check: TimedCheck): void => {
      clearTimeout(timer);
      request.destroy();
      resolve(check);
    };
    const timer = setTimeout(
      () => done({ ok: false, ms: elapsed(started), detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    request.once("response", (response) => {
      response.resume();
      done({ ok: true, ms: elapsed(started), status: response.statusCode });
    });
    request.once("error", (error) => done({ ok: false, ms: elapsed(started), detail: failure(error) }));
    request.end();
  });
}

/**
 * Times a promise that never rejects.
 * @internal
 */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: elapsed(started) };
}
