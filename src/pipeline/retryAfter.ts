import type { PipelineResponse } from "@azure/core-rest-pipeline";

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds (fractions tolerated) or an HTTP-date.
 * `undefined` when the header is absent or unreadable.
 * @internal
 */
export function parseRetryAfter(response: PipelineResponse, now = Date.now()): number | undefined {
  const value = response.headers.get("Retry-After")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // Every HTTP-date form starts with the day name. Date.parse alone would read "-5" or "1.5" as a
  // date in 2001, that is "retry now".
  if (!/^[a-z]{3}/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
