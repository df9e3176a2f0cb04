import { X509Certificate } from "node:crypto";
import { promises as fs } from "node:fs";
import https from "node:https";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { CredentialUnavailableError } from "../errors.js";
import { readEnv } from "../environment.js";

// The AKS token proxy (identity bindings), as @azure/identity 4.14's WorkloadIdentityCredential with
// `enableAzureProxy` (Azure/azure-sdk-for-js, sdk/identity/identity/src/credentials/workloadIdentityCredential.ts:
// parseAndValidateCustomTokenProxy, createAksProxyClient, getTlsSettings).

/** The AKS token proxy's settings, from the environment. @internal */
export interface AksTokenProxy {
  /** The proxy's URL: https, no user info, query or fragment. */
  url: URL;
  /** The server name the proxy's certificate is checked against (and sent as SNI). */
  sniName: string | undefined;
  /** A PEM file of CAs, read again when it changes. */
  caFile: string | undefined;
  /** PEM CAs. */
  caData: string | undefined;
}

function unavailable(why: string): CredentialUnavailableError {
  return new CredentialUnavailableError(`Workload identity (AKS token proxy): ${why}`, "token-proxy-misconfigured");
}

/**
 * The AKS token proxy named by the environment, or `undefined` when `AZURE_KUBERNETES_TOKEN_PROXY` is not set
 * (then Microsoft Entra is used directly).
 * @throws `CredentialUnavailableError` when the SNI or CA variables are set without the proxy, both CA variables
 * are set, or the proxy URL is not https or carries user info, a query or a fragment.
 * @internal
 */
export function readAksTokenProxy(env: NodeJS.ProcessEnv): AksTokenProxy | undefined {
  const proxy = readEnv("AZURE_KUBERNETES_TOKEN_PROXY", env);
  const sniName = readEnv("AZURE_KUBERNETES_SNI_NAME", env);
  const caFile = readEnv("AZURE_KUBERNETES_CA_FILE", env);
  const caData = readEnv("AZURE_KUBERNETES_CA_DATA", env);
  if (proxy === undefined) {
    const set = [
      ["AZURE_KUBERNETES_SNI_NAME", sniName],
      ["AZURE_KUBERNETES_CA_FILE", caFile],
      ["AZURE_KUBERNETES_CA_DATA", caData],
    ].filter(([, value]) => value !== undefined);
    if (set.length > 0) {
      throw unavailable(
        `AZURE_KUBERNETES_TOKEN_PROXY is not set, but ${set.map(([name]) => name).join(" and ")} ${set.length === 1 ? "is" : "are"}: a misconfigured identity binding. Set the proxy too, or unset them.`,
      );
    }
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    throw unavailable(`AZURE_KUBERNETES_TOKEN_PROXY is not a URL: '${proxy}'.`);
  }
  if (url.protocol !== "https:") throw unavailable(`AZURE_KUBERNETES_TOKEN_PROXY must be an https URL: '${proxy}'.`);
  if (url.username || url.password) throw unavailable("AZURE_KUBERNETES_TOKEN_PROXY must not carry user info.");
  if (url.search) throw unavailable(`AZURE_KUBERNETES_TOKEN_PROXY must not carry a query: '${proxy}'.`);
  if (url.hash) throw unavailable(`AZURE_KUBERNETES_TOKEN_PROXY must not carry a fragment: '${proxy}'.`);
  if (caFile !== undefined && caData !== undefined) {
    throw unavailable("AZURE_KUBERNETES_CA_FILE and AZURE_KUBERNETES_CA_DATA are exclusive: set only one.");
  }
  return { url, sniName, caFile, caData };
}

/** Whether a PEM text holds at least one certificate Node can parse. */
function holdsCertificate(pem: string): boolean {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.some((block) => {
    try {
      new X509Certificate(block);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Connects to the proxy with its own trust: the CAs of `AZURE_KUBERNETES_CA_DATA`, or of
 * `AZURE_KUBERNETES_CA_FILE` read on every request and used anew when its content changed (an empty file, in the
 * middle of a rotation, keeps the CAs read before), or the system's when neither is set; and the certificate
 * checked against `AZURE_KUBERNETES_SNI_NAME` when set. The connection is handed over as `request.agent`.
 * @internal
 */
export function aksTokenProxyPolicy(proxy: AksTokenProxy): PipelinePolicy {
  let agent: https.Agent | undefined;
  let agentCa: string | undefined;
  const agentFor = (ca: string | undefined): https.Agent => {
    if (agent === undefined || ca !== agentCa) {
      agent?.destroy();
      agent = new https.Agent({ keepAlive: true, ...(ca !== undefined && { ca }), servername: proxy.sniName });
      agentCa = ca;
    }
    return agent;
  };
  if (proxy.caData !== undefined && !holdsCertificate(proxy.caData)) {
    throw unavailable("AZURE_KUBERNETES_CA_DATA holds no PEM certificate.");
  }
  return {
    name: "aksTokenProxyPolicy",
    async sendRequest(request, next) {
      let ca = proxy.caData;
      if (proxy.caFile !== undefined) {
        let content: string;
        try {
          content = await fs.readFile(proxy.caFile, "utf8");
        } catch (error) {
          throw unavailable(
            `cannot read AZURE_KUBERNETES_CA_FILE '${proxy.caFile}' (${(error as NodeJS.ErrnoException).code}).`,
          );
        }
        if (content.trim() === "") {
          if (agentCa === undefined) throw unavailable(`AZURE_KUBERNETES_CA_FILE '${proxy.caFile}' is empty.`);
          content = agentCa;
        } else if (content !== agentCa && !holdsCertificate(content)) {
          throw unavailable(`AZURE_KUBERNETES_CA_FILE '${proxy.caFile}' holds no PEM certificate.`);
        }
        ca = content;
      }
      request.agent = agentFor(ca);
      return next(request);
    },
  };
}
