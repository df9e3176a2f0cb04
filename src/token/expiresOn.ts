/**
 * Parses the expiry formats that managed identity endpoints use, to epoch milliseconds.
 * Returns `undefined` for anything else, so that the caller can reject it clearly.
 */

// The latest instant a JavaScript Date can hold.
const MAX_DATE_MS = 8.64e15;

const EPOCH_SECONDS = /^\d{1,15}(\.\d+)?$/;
// 2026-11-21T06:00:00Z, 2026-11-21T06:00:00.1234567+00:00, 2026-11-21 06:00:00 (UTC assumed)
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;
// Sat, 21 Nov 2026 06:00:00 GMT
const RFC_1123 =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:GMT|UTC|\+0000)$/i;
// App Service 2017-09-01 on Windows, 12-hour: 11/21/2026 6:00:00 AM +00:00; on Linux, 24-hour (Python
// azure-identity's recording test_app_service.test_system_assigned.yaml): 05/22/2021 17:14:33 +00:00
const APP_SERVICE_2017 =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: (AM|PM))?(?: ([+-])(\d{2}):(\d{2}))?$/i;

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

function utc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms = 0,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return undefined;
  }
  const value = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 31 February over into March; a real timestamp never does that.
  return new Date(value).getUTCDate() === day ? value : undefined;
}

function offsetMs(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}

/**
 * A number of seconds, as a number or a string of digits → milliseconds; `undefined` for anything
 * else, including negative, non-finite and out-of-range values.
 * @internal
 */
export function parseSeconds(value: unknown): number | undefined {
  let seconds: number;
  if (typeof value === "number") seconds = value;
  else if (typeof value === "string" && EPOCH_SECONDS.test(value.trim())) seconds = Number(value);
  else return undefined;
  const ms = seconds * 1000;
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_DATE_MS ? ms : undefined;
}

/**
 * Any `expires_on` a managed identity endpoint sends → epoch milliseconds, or `undefined`.
 * @internal
 */
export function parseExpiresOn(value: unknown): number | undefined {
  const epoch = parseSeconds(value);
  if (epoch !== undefined) return epoch > 0 ? epoch : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();

  let m = ISO_8601.exec(text);
  if (m) {
    const fraction = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    const base = utc(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fraction);
    return base === undefined ? undefined : base - offsetMs(m[8]);
  }
  m = RFC_1123.exec(text);
  if (m) {
    return utc(+m[3]!, MONTHS.indexOf(m[2]!.toLowerCase()) + 1, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  }
  m = APP_SERVICE_2017.exec(text);
  if (m) {
    let hour = +m[4]!;
    if (m[7] !== undefined) {
      // 12-hour clock: 12:xx AM is midnight, 12:xx PM noon.
      if (hour < 1 || hour > 12) return undefined;
      hour = (hour % 12) + (m[7].toUpperCase() === "PM" ? 12 : 0);
    }
    const base = utc(+m[3]!, +m[1]!, +m[2]!, hour, +m[5]!, +m[6]!);
    const zone = m[8] ? `${m[8]}${m[9]}:${m[10]}` : undefined;
    return base === undefined ? undefined : base - offsetMs(zone);
  }
  return undefined;
}
