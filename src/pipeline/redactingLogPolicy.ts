import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { logger } from "../logger.js";
import { maskUserInfo } from "../shared/maskUserInfo.js";

/** The name of {@link redactingLogPolicy}. @internal */
export const redactingLogPolicyName = "redactingLogPolicy";

/** What stands in for a value the log may not show. */
const REDACTED = "REDACTED";

/**
 * Headers whose values carry nothing secret, on requests and answers alike: the names `@azure/logger`'s
 * documentation lists as logged, plus IMDS's `Metadata`. Everything else is shown as `REDACTED`.
 */
const ALLOWED_HEADERS = [
  "x-ms-client-request-id",
  "x-ms-return-client-request-id",
  "x-ms-useragent",
  "x-ms-correlation-request-id",
  "x-ms-request-id",
  "client-request-id",
  "ms-cv",
  "return-client-request-id",
  "traceparent",
  "accept",
  "accept-encoding",
  "cache-control",
  "connection",
  "content-length",
  "content-type",
  "date",
  "etag",
  "expires",
  "last-modified",
  "pragma",
  "request-id",
  "retry-after",
  "server",
  "transfer-encoding",
  "user-agent",
  "www-authenticate",
  "metadata",
];

/** Headers that carry a secret (Arc's file content, App Service's and Service Fabric's shared secrets): never shown, whatever the application allows. */
const SECRET_HEADERS = new Set(["authorization", "x-identity-header", "secret", "set-cookie", "cookie"]);

/**
 * Options of {@link redactingLogPolicy}.
 * @internal
 */
export interface RedactingLogPolicyOptions {
  /** Where the lines go; default: the package's logger at `verbose`. */
  log?: ((message: string) => void) & { enabled: boolean };
  /** More header names whose values may be shown (never a secret one). */
  additionalAllowedHeaderNames?: string[];
  /** More query parameters whose values may be shown. */
  additionalAllowedQueryParameters?: string[];
}

/**
 * Logs each try's request (method, URL, headers) and answer (status, headers) with every header value not
 * on an allow-list shown as `REDACTED`, on the answer as on the request: core-rest-pipeline's own log
 * policy redacts request headers only, so an answer's headers (a cookie, an echoed secret) went out whole.
 * Query parameters other than `api-version` and the allowed ones are redacted too. Bodies are never logged.
 * @internal
 */
export function redactingLogPolicy(options: RedactingLogPolicyOptions = {}): PipelinePolicy {
  const log = options.log ?? logger.verbose;
  const allowedHeaders = new Set(
    [...ALLOWED_HEADERS, ...(options.additionalAllowedHeaderNames ?? [])]
      .map((name) => name.toLowerCase())
      .filter((name) => !SECRET_HEADERS.has(name)),
  );
  const allowedQuery = new Set(
    ["api-version", ...(options.additionalAllowedQueryParameters ?? [])].map((name) => name.toLowerCase()),
  );

  const headers = (list: Iterable<[string, string]>): Record<string, string> => {
    const shown: Record<string, string> = {};
    for (const [name, value] of list) shown[name] = allowedHeaders.has(name.toLowerCase()) ? value : REDACTED;
    return shown;
  };
  const url = (text: string): string => {
    const parsed = new URL(text);
    for (const name of [...parsed.searchParams.keys()]) {
      if (!allowedQuery.has(name.toLowerCase())) parsed.searchParams.set(name, REDACTED);
    }
    // A user name and password in the endpoint (http://svc:Pa55w0rd@…) are masked, as the doctor masks them.
    return maskUserInfo(parsed.toString());
  };

  return {
    name: redactingLogPolicyName,
    async sendRequest(request, next) {
      if (!log.enabled) return next(request);
      log(
        `Request: ${JSON.stringify({ method: request.method, url: url(request.url), headers: headers(request.headers) }, undefined, 2)}`,
      );
      const response = await next(request);
      log(`Response status code: ${response.status}`);
      log(`Headers: ${JSON.stringify(headers(response.headers), undefined, 2)}`);
      return response;
    },
  };
}
