import { isIPv4 } from "node:net";
import { readEnv } from "../../environment.js";

/**
 * The proxy other tools (curl, the Azure CLI, SDKs that honour the variables) would send a plain
 * `http://` request through: `HTTP_PROXY`, else `HTTPS_PROXY`, either case.
 * @internal
 */
export function proxyForHttp(env: NodeJS.ProcessEnv): { name: string; value: string } | undefined {
  for (const name of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"]) {
    const value = readEnv(name, env);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  if (base === undefined || !isIPv4(base) || !isIPv4(host) || !Number.isInteger(bits) || bits < 0 || bits > 32)
    return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipv4ToNumber(host) & mask) >>> 0 === (ipv4ToNumber(base) & mask) >>> 0;
}

/**
 * Whether `NO_PROXY`/`no_proxy` exempts a host from the proxy, by the rules most tools share:
 * `*`, the host itself (with or without a port), a domain suffix (`.example.com`, `example.com`),
 * or an IPv4 range in CIDR form (`169.254.0.0/16`).
 * @internal
 */
export function noProxyCovers(host: string, env: NodeJS.ProcessEnv): boolean {
  const list = readEnv("NO_PROXY", env) ?? readEnv("no_proxy", env);
  if (list === undefined) return false;
  const wanted = host.toLowerCase().replace(/^\[|\]$/g, "");
  return list
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean)
    .some((entry) => {
      if (entry === "*") return true;
      if (entry.includes("/")) return inCidr(wanted, entry);
      const name = entry.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
      if (name === wanted) return true;
      if (isIPv4(wanted)) return false;
      const suffix = name.startsWith(".") ? name : `.${name}`;
      return wanted.endsWith(suffix);
    });
}
