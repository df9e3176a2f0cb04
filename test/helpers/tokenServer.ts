import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the loopback server saw it. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What the handler answers: status, headers and a body (an object is sent as JSON). */
export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface TokenServer {
  /** `http://127.0.0.1:port` */
  origin: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** A token answer that expires in `seconds`. */
export function tokenAnswer(token = "test-token", seconds = 3600, extra: Record<string, unknown> = {}): Answer {
  return {
    status: 200,
    body: {
      access_token: token,
      expires_on: String(Math.floor(Date.now() / 1000) + seconds),
      token_type: "Bearer",
      ...extra,
    },
  };
}

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers with `handler`
 * (which may also take the raw response over, to hang or reset).
 */
export async function startTokenServer(
  handler: (
    request: SeenRequest,
    raw: { req: http.IncomingMessage; res: http.ServerResponse },
  ) => Answer | undefined | Promise<Answer | undefined>,
): Promise<TokenServer> {
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const seen: SeenRequest = {
        method: req.method ?? "",
        url: new URL(req.url ?? "/", "http://127.0.0.1"),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(seen);
      const answer = await handler(seen, { req, res });
      if (answer === undefined) return; // the handler took the response over
      const body =
        typeof answer.body === "string" || answer.body === undefined
          ? (answer.body ?? "")
          : JSON.stringify(answer.body);
      res.writeHead(answer.status ?? 200, { "Content-Type": "application/json", ...answer.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
