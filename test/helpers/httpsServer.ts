import type http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Answer, SeenRequest } from "./tokenServer.js";
import type { SelfSignedCertificate } from "./selfSignedCertificate.js";

/** A loopback HTTPS server standing in for an Azure service. */
export interface HttpsServer {
  /** `https://localhost:port`: the name the certificate is for. */
  origin: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts an HTTPS server on 127.0.0.1 with the certificate, recording requests and answering with `handler`. */
export async function startHttpsServer(
  certificate: SelfSignedCertificate,
  handler: (request: SeenRequest) => Answer,
): Promise<HttpsServer> {
  const requests: SeenRequest[] = [];
  const server = https.createServer(
    { key: certificate.key, cert: certificate.cert },
    (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const seen: SeenRequest = {
          method: req.method ?? "",
          url: new URL(req.url ?? "/", "https://localhost"),
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        requests.push(seen);
        const answer = handler(seen);
        const body =
          typeof answer.body === "string" || answer.body === undefined
            ? (answer.body ?? "")
            : JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, { "Content-Type": "application/json", ...answer.headers });
        res.end(body);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `https://localhost:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
