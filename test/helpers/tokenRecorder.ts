import http from "node:http";
import type { AddressInfo } from "node:net";

/** A loopback forwarder that remembers every access token it passed back. */
export interface TokenRecorder {
  /** `http://127.0.0.1:port`: use in place of the target's origin. */
  origin: string;
  /** The `access_token` of every answer that had one. */
  tokens: string[];
  close(): Promise<void>;
}

/**
 * Forwards every request to `target` (a loopback origin) as it is, and records the tokens in the
 * answers, so that a test can look for the exact token string in a program's output.
 */
export async function startTokenRecorder(target: string): Promise<TokenRecorder> {
  const tokens: string[] = [];
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      new URL(req.url ?? "/", target),
      { method: req.method, headers: req.headers, agent: false },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          try {
            const token = (JSON.parse(body.toString("utf8")) as { access_token?: unknown }).access_token;
            if (typeof token === "string") tokens.push(token);
          } catch {
            // Not JSON: nothing to record.
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(body);
        });
      },
    );
    upstream.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
