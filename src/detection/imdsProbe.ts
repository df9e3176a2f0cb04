import type { HttpClient } from "@azure/core-rest-pipeline";
import { logger } from "../logger.js";
import { sharedManagedIdentityHttpClient } from "../pipeline/managedIdentityHttpClient.js";
import { createManagedIdentityPipeline } from "../pipeline/createManagedIdentityPipeline.js";
import { createTokenRequest } from "../engine/createTokenRequest.js";
import { networkErrorCode, TRY_TIMEOUT_CODE } from "../pipeline/networkErrors.js";
import { managedIdentityRetryPolicy } from "../pipeline/retryPolicy.js";
import { isDockerDesktopUnreachable } from "../sources/imds.js";
import { timerBound } from "../shared/timerBound.js";

/** How long the probe waits for IMDS by default. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1000;

/**
 * Options of the IMDS probe.
 * @internal
 */
export interface ImdsProbeOptions {
  /** How long the probe waits, connection to last byte. Default: 1 s. */
  timeoutMs?: number;
  /** The HTTP client; the default is Node's, never through a proxy. */
  httpClient?: HttpClient;
}

/**
 * What the probe found: whether IMDS is there, and what it saw, for the detection's reason.
 * @internal
 */
export interface ImdsProbeResult {
  present: boolean;
  detail: string;
}

/**
 * Asks IMDS once, without retries and with a short timeout, whether it is there. The request has no
 * `Metadata` header, so IMDS answers 400 and gives no token; any HTTP answer means it is there, except
 * Docker Desktop's 403 whose body says the network is unreachable. A refused, unreachable or
 * timed-out request means it is not. Never throws.
 * @internal
 */
export async function probeImds(endpoint: URL, options: ImdsProbeOptions = {}): Promise<ImdsProbeResult> {
  // A probe must be short: no bound (0, Infinity) means the default, never "wait forever".
  const timeoutMs = timerBound(options.timeoutMs) ?? DEFAULT_PROBE_TIMEOUT_MS;
  const pipeline = createManagedIdentityPipeline({
    retryPolicy: managedIdentityRetryPolicy({ maxRetries: 0 }),
    tryTimeoutInMs: timeoutMs,
  });
  const request = createTokenRequest(
    endpoint,
    { method: "GET", query: { "api-version": "2018-02-01" } },
    new AbortController().signal,
  );
  const where = `${endpoint.origin}${endpoint.pathname}`;
  let result: ImdsProbeResult;
  try {
    const response = await pipeline.sendRequest(options.httpClient ?? sharedManagedIdentityHttpClient(), request);
    if (isDockerDesktopUnreachable(response.status, response.bodyAsText ?? undefined)) {
      result = {
        present: false,
        detail: `${where} answered 403 "unreachable", the answer of Docker Desktop off Azure`,
      };
    } else {
      result = { present: true, detail: `${where} answered the probe with ${response.status}` };
    }
  } catch (error) {
    const code = networkErrorCode(error);
    const why =
      code === TRY_TIMEOUT_CODE
        ? `no answer within ${timeoutMs} ms`
        : `${(error as Error | undefined)?.message ?? String(error)}${code ? ` (${code})` : ""}`;
    result = { present: false, detail: `nothing answers at ${where}: ${why}` };
  }
  // The chain's decision, which follows, is the info line; the probe's own detail is verbose.
  logger.verbose(`IMDS probe: ${result.detail}.`);
  return result;
}
