import { type PipelinePolicy, proxyPolicy } from "@azure/core-rest-pipeline";
import { readEnv } from "../environment.js";
import { isLoopbackHost } from "../shared/loopbackHost.js";
import { maskUserInfo } from "../shared/maskUserInfo.js";

/** The name of {@link egressProxyPolicy}. @internal */
export const egressProxyPolicyName = "egressProxyPolicy";

/** A proxy variable as core-rest-pipeline reads it: the upper-case name, else the lower-case one. */
function readProxyVariable(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return readEnv(name, env) ?? readEnv(name.toLowerCase(), env);
}

/**
 * The proxy a request to the internet (Microsoft Entra) goes through, from the credential's environment, read
 * once: `HTTPS_PROXY`, else `ALL_PROXY`, else `HTTP_PROXY` (core-rest-pipeline's order), bypassed for the hosts
 * of `NO_PROXY` (its rules: a name, or `.domain` for the domain and its subdomains). A request to a loopback
 * host never goes through it: the authority is then this machine (an emulator, a test), and a proxy would see
 * the client assertion.
 * @throws `TypeError` when the proxy variable is not an http or https URL.
 * @internal
 */
export function egressProxyPolicy(env: NodeJS.ProcessEnv): PipelinePolicy {
  const names = ["HTTPS_PROXY", "ALL_PROXY", "HTTP_PROXY"];
  const name = names.find((candidate) => readProxyVariable(candidate, env) !== undefined);
  let proxy: PipelinePolicy | undefined;
  if (name !== undefined) {
    const value = readProxyVariable(name, env)!;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new TypeError(`${name} is not a URL: '${maskUserInfo(value)}'.`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new TypeError(`${name} must be an http or https URL: '${maskUserInfo(value)}'.`);
    const customNoProxyList = (readProxyVariable("NO_PROXY", env) ?? "")
      .split(",")
      .map((host) => host.trim())
      .filter((host) => host.length > 0);
    proxy = proxyPolicy(
      {
        host: `${url.protocol}//${url.hostname}`,
        port: Number.parseInt(url.port || (url.protocol === "https:" ? "443" : "80"), 10),
        username: url.username,
        password: url.password,
      },
      { customNoProxyList },
    );
  }
  return {
    name: egressProxyPolicyName,
    sendRequest(request, next) {
      if (proxy === undefined || isLoopbackHost(new URL(request.url).hostname)) return next(request);
      return proxy.sendRequest(request, next);
    },
  };
}
