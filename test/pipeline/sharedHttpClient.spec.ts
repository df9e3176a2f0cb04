// Credentials made per request and dropped hold no sockets: every credential without its own httpClient sends
// through one shared client and agent. Before, 2,000 instances used once left 2,000 keep-alive connections open
// to an endpoint that never closes idle connections (Go's default server does not). Counted server-side.
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudShellCredential, ImdsCredential } from "../../src/index.js";

let server: http.Server | undefined;
// nock's interceptor opens a connection of its own per request it passes through, whatever the agent; every
// connection here is to the 127.0.0.1 server below (the socket-level loopback guard stays on).
beforeEach(() => nock.restore());
afterEach(async () => {
  nock.activate();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A token endpoint that keeps idle connections open forever, and counts those open. */
async function neverIdlesOut() {
  const open = new Set<Socket>();
  let connections = 0;
  server = http.createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ access_token: "t", expires_in: "3600", token_type: "Bearer" }));
  });
  server.keepAliveTimeout = 0; // no idle timeout, as Go's default server
  server.on("connection", (socket: Socket) => {
    connections++;
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, open, connections: () => connections };
}

describe("credentials share one HTTP client", () => {
  it("300 credentials, each used once and dropped, leave at most a handful of connections open", async () => {
    const endpoint = await neverIdlesOut();
    for (let i = 0; i < 300; i++) {
      const credential =
        i % 2 === 0
          ? new ImdsCredential({ endpoint: endpoint.origin })
          : new CloudShellCredential({ endpoint: endpoint.origin });
      await credential.getToken("https://vault.azure.net/.default");
    }
    expect(endpoint.open.size).toBeLessThanOrEqual(2);
    expect(endpoint.connections()).toBeLessThanOrEqual(2);
  });
});
