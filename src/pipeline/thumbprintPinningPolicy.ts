import https from "node:https";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { PipelinePolicy, PipelineRequest } from "@azure/core-rest-pipeline";
import { timerBound } from "../shared/timerBound.js";
import { createAbortError } from "../shared/abort.js";

/** The name of {@link thumbprintPinningPolicy}. */
export const thumbprintPinningPolicyName = "thumbprintPinningPolicy";

/** The error code of a connection refused because the server's certificate is not the pinned one. */
export const THUMBPRINT_MISMATCH_CODE = "CERT_THUMBPRINT_MISMATCH";

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Options of {@link thumbprintPinningPolicy}.
 */
export interface ThumbprintPinningPolicyOptions {
  /** The certificate's SHA-1 (40 hex digits) or SHA-256 (64) thumbprint; case, colons and blanks do not matter. */
  thumbprint: string;
  /** How long connecting and the TLS handshake may take. Default: 10 s; 0, negative or `Infinity`: no bound of its own. */
  handshakeTimeoutMs?: number | undefined;
}

/**
 * A thumbprint in one spelling: upper case, without colons or blanks; `undefined` unless it is a
 * SHA-1 or SHA-256 thumbprint.
 * @internal
 */
export function normalizeThumbprint(value: string): string | undefined {
  const hex = value.replace(/[:\s]/g, "").toUpperCase();
  return /^(?:[0-9A-F]{40}|[0-9A-F]{64})$/.test(hex) ? hex : undefined;
}

function connectionError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Opens a TLS connection to the request's host and resolves with it only once the certificate the
 * server presented has the pinned thumbprint; otherwise destroys it, having written nothing.
 */
function connectPinned(request: PipelineRequest, thumbprint: string, timeoutMs: number): Promise<tls.TLSSocket> {
  const url = new URL(request.url);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const signal = request.abortSignal;
  if (signal?.aborted) return Promise.reject(createAbortError());
  return new Promise((resolve, reject) => {
    // The certificate is self-signed: the usual chain and host name checks cannot pass, the thumbprint replaces them.
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      servername: isIP(host) ? undefined : host,
      rejectUnauthorized: false,
    });
    const settle = (error?: Error): void => {
      socket.removeListener("secureConnect", onSecureConnect);
      socket.removeListener("error", settle);
      socket.removeListener("timeout", onTimeout);
      signal?.removeEventListener("abort", onAbort);
      socket.setTimeout(0);
      if (error === undefined) {
        resolve(socket);
      } else {
        socket.destroy();
        reject(error);
      }
    };
    const onAbort = (): void => settle(createAbortError());
    const onTimeout = (): void =>
      settle(connectionError(`no TLS handshake with ${url.host} within ${timeoutMs} ms`, "ETIMEDOUT"));
    const onSecureConnect = (): void => {
      const certificate = socket.getPeerCertificate();
      const presented = thumbprint.length === 40 ? certificate?.fingerprint : certificate?.fingerprint256;
      const found = presented ? normalizeThumbprint(presented) : undefined;
      if (found === thumbprint) return settle();
      settle(
        connectionError(
          found === undefined
            ? `${url.host} presented no certificate; nothing was sent`
            : `the certificate of ${url.host} has the thumbprint ${found}, not the expected ${thumbprint}; nothing was sent`,
          THUMBPRINT_MISMATCH_CODE,
        ),
      );
    };
    socket.once("secureConnect", onSecureConnect);
    socket.once("error", settle);
    socket.once("timeout", onTimeout);
    socket.setTimeout(timeoutMs);
    signal?.addEventListener("abort", onAbort);
  });
}

/** Gives the HTTP request the one connection it was made for, already checked. */
class CheckedConnectionAgent extends https.Agent {
  constructor(private socket: tls.TLSSocket | undefined) {
    super({ keepAlive: false, maxCachedSessions: 0 });
  }

  override createConnection(): Duplex | null | undefined {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined)
      throw connectionError("the checked connection was already used", THUMBPRINT_MISMATCH_CODE);
    return socket;
  }

  /** Closes the connection if no request took it. */
  release(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/**
 * Pins the server's TLS certificate by its thumbprint, as Service Fabric's managed identity endpoint
 * requires: its certificate is self-signed, and the only proof that it is the cluster's is its
 * thumbprint in `IDENTITY_SERVER_THUMBPRINT`. Never "accept any certificate".
 *
 * On every try the policy connects and completes the TLS handshake itself, checks the certificate's
 * thumbprint, and only then builds the HTTP request on that connection. With any other certificate the
 * request is never written, not a byte of it (its headers carry a secret), and the try fails with
 * error code `CERT_THUMBPRINT_MISMATCH`. Plain `http:` requests are refused. Place it per try, after
 * the retry and timeout policies. The pinned connection is handed over as `request.agent`, which
 * core-rest-pipeline's default HTTP client honours; a custom `httpClient` that ignores it bypasses the pin.
 *
 * @example
 * ```ts
 * pipeline.addPolicy(thumbprintPinningPolicy({ thumbprint: process.env.IDENTITY_SERVER_THUMBPRINT! }));
 * ```
 */
export function thumbprintPinningPolicy(options: ThumbprintPinningPolicyOptions): PipelinePolicy {
  const thumbprint = normalizeThumbprint(options.thumbprint);
  if (thumbprint === undefined) {
    throw new TypeError(`'${options.thumbprint}' is not a SHA-1 or SHA-256 certificate thumbprint.`);
  }
  const requested = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  // As tryTimeoutInMs: no positive finite bound means none (a socket timeout of 0 is off).
  const timeoutMs = timerBound(requested) ?? 0;
  return {
    name: thumbprintPinningPolicyName,
    async sendRequest(request, next) {
      const url = new URL(request.url);
      if (url.protocol !== "https:") {
        throw new TypeError(`A pinned certificate needs https; refusing to send to ${url.origin}.`);
      }
      const agent = new CheckedConnectionAgent(await connectPinned(request, thumbprint, timeoutMs));
      const previous = request.agent;
      request.agent = agent;
      try {
        return await next(request);
      } finally {
        agent.release();
        request.agent = previous;
      }
    },
  };
}
