import http from "node:http";
import https from "node:https";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { afterPendingIo } from "../shared/afterPendingIo.js";
import { bracketAwareLookup } from "./managedIdentityHttpClient.js";
import { CONNECT_TIMEOUT_CODE } from "./networkErrors.js";

/** Fails a socket that is still connecting after `ms` with code `CONNECT_TIMEOUT`; a connected one is left alone. */
function boundConnect(socket: Duplex, ms: number): void {
  const tcp = socket as net.Socket;
  if (!tcp.connecting) return;
  const timer = setTimeout(() => {
    // Not before a connection the kernel made while this process had no CPU shows (a start storm).
    afterPendingIo(() => {
      if (!tcp.connecting || tcp.destroyed) return;
      const error = Object.assign(new Error(`no connection within ${ms} ms`), { code: CONNECT_TIMEOUT_CODE });
      tcp.destroy(error);
    });
  }, ms);
  const clear = (): void => clearTimeout(timer);
  // Connected: from here on the try's own timeout rules (a connection that hangs is not a connect failure).
  tcp.once("connect", clear);
  tcp.once("close", clear);
}

class ConnectBoundHttpAgent extends http.Agent {
  constructor(private readonly connectTimeoutInMs: number) {
    super({ keepAlive: true, lookup: bracketAwareLookup });
  }
  override createConnection(
    ...args: Parameters<http.Agent["createConnection"]>
  ): ReturnType<http.Agent["createConnection"]> {
    const socket = super.createConnection(...args);
    if (socket) boundConnect(socket, this.connectTimeoutInMs);
    return socket;
  }
}

class ConnectBoundHttpsAgent extends https.Agent {
  constructor(private readonly connectTimeoutInMs: number) {
    super({ keepAlive: true, lookup: bracketAwareLookup });
  }
  override createConnection(
    ...args: Parameters<https.Agent["createConnection"]>
  ): ReturnType<https.Agent["createConnection"]> {
    const socket = super.createConnection(...args);
    if (socket) boundConnect(socket, this.connectTimeoutInMs);
    return socket;
  }
}

// One keep-alive agent per protocol and bound for the whole process, as the shared HTTP client does: credentials
// made and dropped leave no sockets behind.
const agents = new Map<string, http.Agent>();

/**
 * The keep-alive agent whose new connections fail with code `CONNECT_TIMEOUT` when the TCP connection is not
 * made within `connectTimeoutInMs`. A reused connection is already made; one made and then silent is the try
 * timeout's business. IPv6 literals (`http://[::1]:…`) resolve as with the shared client.
 * @internal
 */
export function connectBoundAgent(protocol: string, connectTimeoutInMs: number): http.Agent {
  const key = `${protocol}${connectTimeoutInMs}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    agent =
      protocol === "https:"
        ? new ConnectBoundHttpsAgent(connectTimeoutInMs)
        : new ConnectBoundHttpAgent(connectTimeoutInMs);
    agents.set(key, agent);
  }
  return agent;
}
