// The suite's own network guard (test/helpers/loopbackSocketGuard.ts), checked without a packet leaving:
// its decisions on a stand-in whose "connect" only records, then that this worker's sockets carry it.
import net from "node:net";
import tls from "node:tls";
import { describe, expect, it } from "vitest";
import { guardSocketConnect, isSocketConnectGuarded } from "./helpers/loopbackSocketGuard.js";

function guardedStandIn() {
  const reached: unknown[][] = [];
  const standIn = {
    connect(...args: unknown[]): unknown {
      reached.push(args);
      return standIn;
    },
  };
  expect(guardSocketConnect(standIn)).toBe(false);
  return { standIn: standIn as { connect: (...args: unknown[]) => unknown }, reached };
}

describe("the loopback socket guard", () => {
  it.each([
    [[{ host: "169.254.169.254", port: 80 }]],
    [[80, "169.254.169.254"]],
    [["443", "10.0.0.1"]],
    [[[{ host: "192.0.2.1", port: 443 }, null]]], // net's normalised form
    [[{ host: "127.0.0.1.nip.io", port: 80 }]],
    [[{ host: "[fe80::1]", port: 80 }]],
    [[{ host: "0.0.0.0", port: 80 }]],
  ])("refuses %j before connecting", (args) => {
    const { standIn, reached } = guardedStandIn();
    expect(() => standIn.connect(...args)).toThrow(/test network guard: refusing to connect/);
    expect(reached).toEqual([]);
  });

  it.each([
    [[{ host: "127.0.0.1", port: 1 }]],
    [[{ host: "127.8.9.10", port: 1 }]],
    [[{ port: 1 }]], // no host: localhost
    [[1, "::1"]],
    [[{ host: "localhost", port: 1 }]],
    [[[{ host: "::ffff:127.0.0.1", port: 1 }, null]]],
    [[{ path: "/tmp/some.sock" }]],
    [["/tmp/some.sock"]],
  ])("lets %j through", (args) => {
    const { standIn, reached } = guardedStandIn();
    standIn.connect(...args);
    expect(reached).toEqual([args]);
  });

  it("wraps once", () => {
    const { standIn } = guardedStandIn();
    const wrapped = standIn.connect;
    expect(guardSocketConnect(standIn)).toBe(true);
    expect(standIn.connect).toBe(wrapped);
  });

  it("guards this worker's TCP and TLS sockets (test/setup.ts), and loopback still connects", async () => {
    expect(isSocketConnectGuarded()).toBe(true);
    expect(tls.TLSSocket.prototype.connect).toBe(net.Socket.prototype.connect);
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: "127.0.0.1", port }, () => {
          socket.destroy();
          resolve();
        });
        socket.once("error", reject);
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
