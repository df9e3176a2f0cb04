// The network rule's second line, under nock's: nock sees only HTTP requests, and not while a test has
// removed its interceptor (withoutNock.ts), while Service Fabric's pinned TLS (tls.connect) and the
// doctor's TCP check (net.connect) open sockets themselves. Once installed (installLoopbackSocketGuard.ts,
// imported by test/setup.ts and preloaded into the command line children the CLI tests spawn), every TCP
// or TLS connection to a host that is not this machine's loopback throws, before a packet leaves.
import net from "node:net";

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;
const GUARDED = Symbol.for("azure-managed-identity.test.loopbackSocketGuard");

/** The host a `Socket#connect` call goes to; `undefined` for a Unix socket or pipe, which stays on the machine. */
function hostOf(args: readonly unknown[]): string | undefined {
  const [first] = args;
  // net's internal form: the normalised [options, callback] pair.
  if (Array.isArray(first)) return hostOf(first);
  if (typeof first === "object" && first !== null) {
    const options = first as { host?: string | null; path?: string | null };
    if (options.path) return undefined;
    return options.host ?? "localhost";
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    return typeof args[1] === "string" ? args[1] : "localhost";
  }
  return undefined; // a path string
}

type Connectable = { connect: (...args: never[]) => unknown };

/**
 * Wraps `prototype.connect` (once) so that a connection to anything but loopback throws.
 * @returns whether it was already guarded.
 */
export function guardSocketConnect(prototype: Connectable): boolean {
  const marked = prototype as Connectable & { [GUARDED]?: true };
  if (marked[GUARDED] === true) return true;
  const connect = prototype.connect as (...args: unknown[]) => unknown;
  prototype.connect = function guardedConnect(this: unknown, ...args: unknown[]): unknown {
    const host = hostOf(args);
    if (host !== undefined && !LOOPBACK.test(host.replace(/^\[|\]$/g, ""))) {
      throw new Error(`test network guard: refusing to connect to ${host}; tests may reach loopback only`);
    }
    return connect.apply(this, args);
  };
  marked[GUARDED] = true;
  return false;
}

/** Whether `prototype.connect` is guarded. */
export function isSocketConnectGuarded(prototype: Connectable = net.Socket.prototype): boolean {
  return (prototype as Connectable & { [GUARDED]?: true })[GUARDED] === true;
}
