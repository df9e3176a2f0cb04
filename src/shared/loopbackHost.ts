/**
 * Whether a URL's host is this machine's loopback interface: where a secret (the Arc challenge's
 * content, a federated token over plain http) may go.
 * @internal
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
