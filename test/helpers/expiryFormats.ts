import fc from "fast-check";

/** The "now" every parser property runs at: a fixed instant, so that a failure replays exactly. */
export const FUZZ_NOW = Date.UTC(2026, 0, 15, 10, 30, 0);

const DAY_MS = 86_400_000;

/** An instant at least two seconds after {@link FUZZ_NOW} (so that second-resolution formats stay after it) and within a year. */
export const futureInstant = fc.integer({ min: FUZZ_NOW + 2_000, max: FUZZ_NOW + 365 * DAY_MS });

/** An instant between ten years before {@link FUZZ_NOW} and {@link FUZZ_NOW} itself. */
export const pastInstant = fc.integer({ min: FUZZ_NOW - 3_650 * DAY_MS, max: FUZZ_NOW });

/** An `expires_on` value, the format it is written in, and the epoch ms it must parse to. */
export interface FormattedExpiry {
  format: string;
  value: string | number;
  expected: number;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** UTC offsets from -12:00 to +14:00 in quarter hours, as minutes east of UTC. */
const offsetMinutes = fc.integer({ min: -48, max: 56 }).map((quarters) => quarters * 15);

function zone(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ":" : ""}${pad(abs % 60)}`;
}

/** The wall-clock fields of `ms` seen from a zone `minutes` east of UTC. */
function wallClock(ms: number, minutes = 0): Date {
  return new Date(ms + minutes * 60_000);
}

function isoDate(d: Date, separator: string): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${separator}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function appService(d: Date): string {
  const hour12 = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
  const half = d.getUTCHours() < 12 ? "AM" : "PM";
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${hour12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${half}`;
}

/**
 * `expires_on` for an instant in every format the README lists — epoch seconds (number or string,
 * whole or with a binary-exact fraction), ISO-8601 with `T` or a space, `Z`, no zone or any offset,
 * 1 to 9 fraction digits, RFC 1123, App Service 2017 with and without an offset — with the epoch
 * ms each must parse to (the instant cut to the format's resolution).
 */
export function formattedExpiry(instant: fc.Arbitrary<number>): fc.Arbitrary<FormattedExpiry> {
  return fc
    .record({
      ms: instant,
      kind: fc.integer({ min: 0, max: 9 }),
      offset: offsetMinutes,
      colon: fc.boolean(),
      zoneName: fc.integer({ min: 0, max: 2 }),
      fractionDigits: fc.integer({ min: 1, max: 9 }),
      extraDigits: fc.stringMatching(/^\d{6}$/),
      lowerCase: fc.boolean(),
    })
    .map(({ ms, kind, offset, colon, zoneName, fractionDigits, extraDigits, lowerCase }): FormattedExpiry => {
      const seconds = Math.floor(ms / 1000);
      const whole = seconds * 1000;
      // The quarter second at or before the instant: the expected value never passes the instant.
      const quarters = Math.floor((ms - whole) / 250);
      switch (kind) {
        case 0:
          return { format: "epoch seconds, number", value: seconds, expected: whole };
        case 1:
          // Quarters are exact in binary, so seconds * 1000 is exact too.
          return {
            format: "epoch seconds with a fraction, number",
            value: seconds + quarters / 4,
            expected: whole + quarters * 250,
          };
        case 2:
          return {
            format: "epoch seconds, string",
            value: quarters === 0 ? String(seconds) : `${seconds}.${quarters * 25}`,
            expected: whole + quarters * 250,
          };
        case 3: {
          const text = `${isoDate(wallClock(whole), "T")}Z`;
          return { format: "ISO-8601 UTC", value: lowerCase ? text.toLowerCase() : text, expected: whole };
        }
        case 4: {
          const fraction = (pad(ms % 1000, 3) + extraDigits).slice(0, fractionDigits);
          const expected = whole + Number(fraction.padEnd(3, "0").slice(0, 3));
          return {
            format: `ISO-8601 with ${fractionDigits} fraction digits`,
            value: `${isoDate(wallClock(whole), "T")}.${fraction}Z`,
            expected,
          };
        }
        case 5:
          return {
            format: "ISO-8601 with an offset",
            value: `${isoDate(wallClock(whole, offset), "T")}${zone(offset, colon)}`,
            expected: whole,
          };
        case 6:
          return {
            format: "ISO-8601 with a space and no zone (UTC)",
            value: isoDate(wallClock(whole), " "),
            expected: whole,
          };
        case 7: {
          const d = wallClock(whole);
          const gmt = ["GMT", "UTC", "+0000"][zoneName];
          const text = `${WEEKDAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${gmt}`;
          return { format: "RFC 1123", value: text, expected: whole };
        }
        case 8:
          return {
            format: "App Service 2017 with an offset",
            value: `${appService(wallClock(whole, offset))} ${zone(offset, true)}`,
            expected: whole,
          };
        default:
          return {
            format: "App Service 2017 without an offset (UTC)",
            value: appService(wallClock(whole)),
            expected: whole,
          };
      }
    });
}

/**
 * Raw JSON texts of every type and shape, including numbers JSON.stringify cannot write
 * (`1e400`, 30-digit integers) and strings that look almost like dates or numbers.
 */
export const rawJsonValue: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 2 }),
  fc.constantFrom(
    "1e400",
    "-1e400",
    "-1",
    "0",
    "-0",
    "1.5",
    "123456789012345678901234567890",
    '"NaN"',
    '"Infinity"',
    '"-1"',
    '"1e3"',
    '"0x10"',
    '""',
    '" "',
    '"  1770000000  "',
    '"2026-01-15T10:30:00"',
    '"2026-02-30T00:00:00Z"',
    '"9999-12-31T23:59:59Z"',
    '"Thu, 01 Jan 1970 00:00:00 GMT"',
    '"1/1/0001 12:00:00 AM +00:00"',
    "null",
    "true",
    "[]",
    "{}",
  ),
  fc.string().map((s) => JSON.stringify(s)),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : d > 0 ? "1e999" : d < 0 ? "-1e999" : "null")),
);
