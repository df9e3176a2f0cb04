import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { createDefaultHttpClient, type HttpClient, type PipelinePolicy } from "@azure/core-rest-pipeline";
import { createSelfSignedCertificate } from "../../../src/emulator/selfSignedCertificate.js";
import { trustCertificatePolicy } from "../../../src/emulator/trustPolicy.js";

/** One request as the fake service saw it. */
export interface ServiceRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The fake service's answer; an object body is sent as JSON. */
export interface ServiceAnswer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A loopback stand-in for an Azure service, over HTTPS (its own test CA) or plain HTTP. */
export interface ServiceFake {
  /** `https://127.0.0.1:port` (or `http://` when started without TLS). */
  origin: string;
  /** The certificate the server presents, PEM: the client's trusted CA. Empty without TLS. */
  ca: string;
  /** An `https.Agent` that trusts {@link ServiceFake.ca}, for clients that take an agent. */
  agent: https.Agent;
  /** A pipeline policy that trusts {@link ServiceFake.ca}, for `@azure/*` clients. */
  trustPolicy: PipelinePolicy;
  /**
   * A pipeline policy that sends every request to this fake instead of the service's real host (and
   * trusts the fake's CA), so that the client derives its scope from the real URL, as in production.
   */
  stealPolicy: PipelinePolicy;
  /** The same as {@link ServiceFake.stealPolicy}, as an `httpClient`, for clients that take no policies (Cosmos DB). */
  stealingHttpClient: HttpClient;
  requests: ServiceRequest[];
  close(): Promise<void>;
}

/**
 * Starts a fake service on 127.0.0.1. With TLS (the default) its certificate comes from the emulator's
 * generator, so a client trusts it through {@link ServiceFake.agent} or {@link ServiceFake.trustPolicy}.
 */
export async function startServiceFake(
  handler: (request: ServiceRequest) => ServiceAnswer | Promise<ServiceAnswer>,
  options: { tls?: boolean } = {},
): Promise<ServiceFake> {
  const tls = options.tls ?? true;
  const certificate = tls ? createSelfSignedCertificate({ validityDays: 1 }) : undefined;
  const requests: ServiceRequest[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        const request: ServiceRequest = {
          method: req.method ?? "",
          url: new URL(req.url ?? "/", "https://127.0.0.1"),
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        requests.push(request);
        let answer: ServiceAnswer;
        try {
          answer = await handler(request);
        } catch (error) {
          answer = { status: 500, body: { error: { code: "FakeFailed", message: String(error) } } };
        }
        const body =
          answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status ?? 200, {
          "Content-Type": "application/json; charset=utf-8",
          "Content-Length": Buffer.byteLength(body),
          ...answer.headers,
        });
        res.end(body);
      })();
    });
  };
  const server = certificate ? https.createServer(certificate, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const ca = certificate?.cert ?? "";
  const agent = new https.Agent({ ca, keepAlive: false });
  const stealPolicy: PipelinePolicy = {
    name: "sendToServiceFake",
    async sendRequest(request, next) {
      const original = request.url;
      const url = new URL(original);
      request.url = `${tls ? "https" : "http"}://127.0.0.1:${port}${url.pathname}${url.search}`;
      // The fake's CA, even over an agent of the client's own (Cosmos DB brings one).
      request.agent = agent;
      try {
        return await next(request);
      } finally {
        // The client's challenge handling looks at the URL it sent (Key Vault checks the challenge's resource against it).
        request.url = original;
      }
    },
  };
  const httpClient = createDefaultHttpClient();
  return {
    origin: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    ca,
    agent,
    trustPolicy: trustCertificatePolicy(ca),
    stealPolicy,
    stealingHttpClient: {
      sendRequest: (request) => stealPolicy.sendRequest(request, (stolen) => httpClient.sendRequest(stolen)),
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The bearer token of a request's `Authorization` header (`Bearer x`, or Cosmos's `type=aad&ver=1.0&sig=x`). */
export function bearerOf(request: ServiceRequest): string | undefined {
  const header = request.headers["authorization"];
  if (typeof header !== "string") return undefined;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const cosmos = /^type=aad&ver=1\.0&sig=(\S+)$/.exec(decodeURIComponent(header));
  return cosmos?.[1];
}
