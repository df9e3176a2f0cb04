import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { emulatorErrorDescription } from "./answers.js";
import type { FaultInjector } from "./faults.js";
import type { EmulatedSourceName } from "./options.js";

/** The endpoints the emulator serves: one per source, and the Key Vault. */
export type EmulatorEndpointName = EmulatedSourceName | "keyvault";

/** A request as an emulated endpoint sees it. @internal */
export interface EmulatedRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An emulated endpoint's answer; an object body is sent as JSON. @internal */
export interface EmulatedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What one emulated endpoint does. @internal */
export interface EndpointBehaviour {
  name: EmulatorEndpointName;
  handle(request: EmulatedRequest): EmulatedAnswer | Promise<EmulatedAnswer>;
  /** The endpoint's own error shape, for an injected status. */
  injectedError(status: number): EmulatedAnswer;
  /** The endpoint's own error shape with a 500 and `emulator_error`, for the emulator's own failure. */
  emulatorError(description: string): EmulatedAnswer;
}

/** One request the emulator answered, for tests and the foreground log; never a header or a body. */
export interface EmulatorRequestRecord {
  endpoint: EmulatorEndpointName;
  method: string;
  /**
   * Path and query (the query holds the resource and identity parameters and Service Fabric's revocation hint,
   * `xms_cc` and `token_sha256_to_refresh`, never a secret).
   */
  path: string;
  /** The status answered, or what was done instead. */
  outcome: number | "hang" | "reset";
}

/** A running emulated endpoint. @internal */
export interface EmulatedServer {
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** A request body larger than this is refused: no token request is anywhere near it. */
const MAX_BODY_BYTES = 64 * 1024;

/** Options of {@link startEmulatedServer}. @internal */
export interface EmulatedServerOptions {
  host: string;
  port: number;
  faults: FaultInjector;
  /** The requests the faults apply to; default: every request. */
  faultsApplyTo?: ((request: EmulatedRequest) => boolean) | undefined;
  tls?: { key: string; cert: string };
  onRequest(record: EmulatorRequestRecord): void;
  /** Told of the emulator's own failure while answering (never an injected fault). */
  onError(error: unknown, endpoint: EmulatorEndpointName): void;
}

function send(res: http.ServerResponse, answer: EmulatedAnswer): void {
  const body =
    answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    ...answer.headers,
  });
  res.end(body);
}

/**
 * Serves one emulated endpoint on loopback: reads the request, applies the injected faults
 * (latency, hang, reset, throttling, status sequence), then lets the endpoint answer.
 * @internal
 */
export async function startEmulatedServer(
  behaviour: EndpointBehaviour,
  options: EmulatedServerOptions,
): Promise<EmulatedServer> {
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            resolve();
          }, ms);
          timers.add(timer);
        });

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      void (async () => {
        // A request target that is not a URL (`http://[`) is the client's mistake, never an unhandled rejection.
        let url: URL;
        try {
          url = new URL(req.url ?? "/", "http://emulator");
        } catch {
          url = new URL("http://emulator/");
        }
        const request: EmulatedRequest = {
          method: req.method ?? "",
          url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        const record = (outcome: EmulatorRequestRecord["outcome"]): void =>
          options.onRequest({
            endpoint: behaviour.name,
            method: request.method,
            path: `${url.pathname}${url.search}`,
            outcome,
          });
        const faulty = size <= MAX_BODY_BYTES && (options.faultsApplyTo?.(request) ?? true);
        if (faulty) await wait(options.faults.latencyMs);
        if (res.destroyed) return;
        if (size > MAX_BODY_BYTES) {
          record(413);
          return send(res, { status: 413, body: "" });
        }
        const decision = faulty ? options.faults.next() : ({ kind: "pass" } as const);
        if (decision.kind === "hang") return record("hang"); // left open until the client gives up or the emulator closes
        if (decision.kind === "reset") {
          record("reset");
          req.socket.destroy();
          return;
        }
        let answer: EmulatedAnswer;
        if (decision.kind === "status") {
          answer = behaviour.injectedError(decision.status);
          const retryAfter = options.faults.retryAfterFor(decision.status);
          if (retryAfter !== undefined)
            answer = { ...answer, headers: { ...answer.headers, "Retry-After": retryAfter } };
        } else {
          try {
            answer = await behaviour.handle(request);
          } catch (error) {
            // The emulator's own failure, not a scripted one: said so on the wire and reported.
            options.onError(error, behaviour.name);
            answer = behaviour.emulatorError(emulatorErrorDescription(behaviour.name, error));
          }
        }
        record(answer.status);
        if (!res.destroyed) send(res, answer);
      })();
    });
  };

  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    origin: `${options.tls ? "https" : "http"}://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections(); // hung requests and keep-alive sockets included
      }),
  };
}
