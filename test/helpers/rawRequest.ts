import http from "node:http";
import https from "node:https";

/** An answer as the wire gave it. */
export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The CA to trust for an https URL. */
  ca?: string;
}

/**
 * One request with exactly the headers given (no client library in the way), for checking what an
 * emulated endpoint answers to requests a credential would never send.
 */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawAnswer> {
  const target = new URL(url);
  const send = target.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: options.method ?? "GET", headers: options.headers, ca: options.ca, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The claims of a JWT (no signature check: the tests verify signatures where that is the point). */
export function claimsOf(token: unknown): Record<string, unknown> {
  const payload = String(token).split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** A URL with query parameters added. */
export function withQuery(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.href;
}
