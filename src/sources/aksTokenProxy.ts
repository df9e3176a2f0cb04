import { createHash, X509Certificate } from "node:crypto";
import https from "node:https";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { CredentialUnavailableError } from "../errors.js";
import { readEnv } from "../environment.js";
import { bracketAwareLookup } from "../pipeline/managedIdentityHttpClient.js";
import type { AbortSignalLike } from "../shared/abort.js";
import { FileRefusedError, readBoundedFile } from "../shared/boundedFile.js";

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

/** A CA bundle is a few certificates; a system-wide bundle is about 200 KiB. A larger file is not a CA file. */
export const MAX_CA_FILE_BYTES = 1024 * 1024;

interface PooledAgent {
  agent: https.Agent;
  /** The credentials' policies whose current agent this is. */
  users: number;
}

// One keep-alive agent per (proxy, CA, SNI name) for the whole process, as the other sources share one HTTP client:
// credentials made per request and dropped share its connection instead of each leaving one open.
const pool = new Map<string, PooledAgent>();

function poolKey(proxy: AksTokenProxy, ca: string | undefined): string {
  const caDigest = ca === undefined ? "" : createHash("sha256").update(ca).digest("hex");
  return JSON.stringify([proxy.url.origin, proxy.sniName ?? "", caDigest]);
}

function acquireAgent(key: string, proxy: AksTokenProxy, ca: string | undefined): https.Agent {
  let pooled = pool.get(key);
  if (pooled === undefined) {
    pooled = {
      // The bracket-aware lookup connects to an IPv6 literal proxy (`https://[::1]:8443`), as the other requests do.
      agent: new https.Agent({
        keepAlive: true,
        ...(ca !== undefined && { ca }),
        servername: proxy.sniName,
        lookup: bracketAwareLookup,
      }),
      users: 0,
    };
    pool.set(key, pooled);
  }
  pooled.users++;
  return pooled.agent;
}

/**
 * Drops a policy's hold on an agent; the last one out retires it: its idle connections close now, and those in
 * flight when their request ends (never cut), as keep-alive is off for it from here on.
 */
function releaseAgent(key: string): void {
  const pooled = pool.get(key);
  if (pooled === undefined || --pooled.users > 0) return;
  pool.delete(key);
  const { agent } = pooled;
  // Node's Agent reads keepAlive when a request ends: a socket it frees is then destroyed, not kept.
  (agent as https.Agent & { keepAlive: boolean }).keepAlive = false;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

/** The CAs of `AZURE_KUBERNETES_CA_FILE`, read like the Arc challenge file: a regular file, bounded, ended by the try's deadline. */
async function readCaFile(file: string, signal: AbortSignalLike | undefined): Promise<string> {
  try {
    const { content } = await readBoundedFile(file, { maxBytes: MAX_CA_FILE_BYTES, signal });
    return content!.toString("utf8");
  } catch (error) {
    if (!(error instanceof FileRefusedError)) throw error;
    const { refusal } = error;
    const why =
      refusal.reason === "not-a-file"
        ? "it is not a regular file"
        : refusal.reason === "too-large"
          ? `it is larger than ${MAX_CA_FILE_BYTES} bytes`
          : `${refusal.code}`;
    throw unavailable(`cannot read AZURE_KUBERNETES_CA_FILE '${file}' (${why}).`);
  }
}

/**
 * Connects to the proxy with its own trust: the CAs of `AZURE_KUBERNETES_CA_DATA`, or of
 * `AZURE_KUBERNETES_CA_FILE` read on every try (a regular file of at most 1 MiB, the read ended by the try's
 * deadline) and used anew when its content changed (an empty file, in the middle of a rotation, keeps the CAs
 * read before), or the system's when neither is set; and the certificate checked against
 * `AZURE_KUBERNETES_SNI_NAME` when set. The connection is handed over as `request.agent`, from one keep-alive
 * agent per (proxy, CA, SNI name) that every credential shares; an agent a CA change leaves unused is released.
 * @internal
 */
export function aksTokenProxyPolicy(proxy: AksTokenProxy): PipelinePolicy {
  if (proxy.caData !== undefined && !holdsCertificate(proxy.caData)) {
    throw unavailable("AZURE_KUBERNETES_CA_DATA holds no PEM certificate.");
  }
  // The agent this credential holds, and for which CAs.
  let held: { key: string; ca: string | undefined; agent: https.Agent } | undefined;
  const agentFor = (ca: string | undefined): https.Agent => {
    if (held === undefined || held.ca !== ca) {
      const key = poolKey(proxy, ca);
      const agent = acquireAgent(key, proxy, ca);
      if (held !== undefined) releaseAgent(held.key);
      held = { key, ca, agent };
    }
    return held.agent;
  };
  return {
    name: "aksTokenProxyPolicy",
    async sendRequest(request, next) {
      let ca = proxy.caData;
      if (proxy.caFile !== undefined) {
        let content = await readCaFile(proxy.caFile, request.abortSignal);
        if (content.trim() === "") {
          if (held?.ca === undefined) throw unavailable(`AZURE_KUBERNETES_CA_FILE '${proxy.caFile}' is empty.`);
          content = held.ca;
        } else if (content !== held?.ca && !holdsCertificate(content)) {
          throw unavailable(`AZURE_KUBERNETES_CA_FILE '${proxy.caFile}' holds no PEM certificate.`);
        }
        ca = content;
      }
      request.agent = agentFor(ca);
      return next(request);
    },
  };
}
