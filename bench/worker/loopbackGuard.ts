// Preloaded (node --import) into every worker when no loopback-only network namespace is
// available: any connection to a host that is not this machine's loopback fails before a packet leaves.
import net from "node:net";

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
const connect = net.Socket.prototype.connect as unknown as Connect;

function hostOf(args: unknown[]): string | undefined {
  const [first] = args;
  if (Array.isArray(first)) return hostOf(first);
  if (typeof first === "object" && first !== null) {
    const options = first as { host?: string | null; path?: string | null };
    // Node connects to a Unix socket when `path` is truthy (http passes `path: null` for TCP): it stays on the machine.
    if (options.path) return "localhost";
    return options.host ?? "localhost";
  }
  if (typeof first === "number") return typeof args[1] === "string" ? args[1] : "localhost";
  return "localhost"; // a path string: a Unix socket
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
  const host = hostOf(args);
  if (host !== undefined && !LOOPBACK.test(host.replace(/^\[|\]$/g, ""))) {
    throw new Error(`benchmark network guard: refusing to connect to ${host}; only loopback is allowed`);
  }
  return connect.apply(this, args);
} as unknown as typeof net.Socket.prototype.connect;
