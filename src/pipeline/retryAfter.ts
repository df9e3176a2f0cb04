import type { PipelineResponse } from "@azure/core-rest-pipeline";

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds or an HTTP-date.
 * `undefined` when the header is absent or unreadable.
 * @internal
 */
export function parseRetryAfter(response: PipelineResponse, now = Date.now()): number | undefined {
  const value = response.headers.get("Retry-After")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
