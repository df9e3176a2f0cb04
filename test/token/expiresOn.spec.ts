import { describe, expect, it } from "vitest";
import { parseExpiresOn, parseSeconds } from "../../src/token/expiresOn.js";

// 2026-11-21T06:00:00Z, a Saturday.
const SIX_AM = Date.UTC(2026, 10, 21, 6, 0, 0);
const HOUR = 3_600_000;

describe("parseExpiresOn: every format the endpoints send", () => {
  it.each([
    ["epoch seconds as a number", SIX_AM / 1000, SIX_AM],
    ["epoch seconds as a string", String(SIX_AM / 1000), SIX_AM],
    ["epoch seconds as a string with blanks", ` ${SIX_AM / 1000} `, SIX_AM],
    ["epoch seconds with a fraction", `${SIX_AM / 1000}.5`, SIX_AM + 500],
    ["ISO-8601 UTC", "2026-11-21T06:00:00Z", SIX_AM],
    ["ISO-8601 lower-case z", "2026-11-21t06:00:00z", SIX_AM],
    ["ISO-8601 without a zone (UTC)", "2026-11-21T06:00:00", SIX_AM],
    ["ISO-8601 with a space", "2026-11-21 06:00:00", SIX_AM],
    ["ISO-8601 with milliseconds", "2026-11-21T06:00:00.250Z", SIX_AM + 250],
    ["ISO-8601 with 7 fraction digits (.NET)", "2026-11-21T06:00:00.1234567Z", SIX_AM + 123],
    ["ISO-8601 with 7 fraction digits and an offset", "2026-11-21T06:00:00.9999999+00:00", SIX_AM + 999],
    ["ISO-8601 with +00:00", "2026-11-21T06:00:00+00:00", SIX_AM],
    ["ISO-8601 with +02:00", "2026-11-21T08:00:00+02:00", SIX_AM],
    ["ISO-8601 with -05:30", "2026-11-21T00:30:00-05:30", SIX_AM],
    ["ISO-8601 with +0100 (no colon)", "2026-11-21T07:00:00+0100", SIX_AM],
    ["RFC 1123", "Sat, 21 Nov 2026 06:00:00 GMT", SIX_AM],
    ["RFC 1123 with UTC", "Sat, 21 Nov 2026 06:00:00 UTC", SIX_AM],
    ["App Service 2017, AM", "11/21/2026 6:00:00 AM +00:00", SIX_AM],
    ["App Service 2017, PM", "11/21/2026 6:00:00 PM +00:00", SIX_AM + 12 * HOUR],
    ["App Service 2017, 12 AM is midnight", "11/21/2026 12:00:00 AM +00:00", SIX_AM - 6 * HOUR],
    ["App Service 2017, 12 PM is noon", "11/21/2026 12:00:00 PM +00:00", SIX_AM + 6 * HOUR],
    ["App Service 2017 with an offset", "11/21/2026 8:00:00 AM +02:00", SIX_AM],
    ["App Service 2017 with a negative offset", "11/21/2026 1:00:00 AM -05:00", SIX_AM],
    ["App Service 2017 without an offset", "11/21/2026 6:00:00 AM", SIX_AM],
    ["App Service 2017 with two-digit month and day", "01/02/2027 6:00:00 AM +00:00", Date.UTC(2027, 0, 2, 6)],
    ["App Service 2017 on Linux, 24-hour", "11/21/2026 18:00:00 +00:00", SIX_AM + 12 * HOUR],
    ["App Service 2017 on Linux at midnight", "11/21/2026 00:00:00 +00:00", SIX_AM - 6 * HOUR],
  ])("%s", (_name, value, expected) => {
    expect(parseExpiresOn(value)).toBe(expected);
  });

  it.each([
    ["an empty string", ""],
    ["words", "tomorrow"],
    ["a date without a time", "2026-11-21"],
    ["31 February", "2027-02-31T06:00:00Z"],
    ["month 13", "2026-13-01T06:00:00Z"],
    ["hour 24", "2026-11-21T24:00:00Z"],
    ["an App Service time at hour 13", "11/21/2026 13:00:00 PM +00:00"],
    ["an App Service time at hour 0", "11/21/2026 0:00:00 AM +00:00"],
    ["an App Service 24-hour time at hour 24", "11/21/2026 24:00:00 +00:00"],
    ["an App Service date in month 13", "13/21/2026 6:00:00 AM +00:00"],
    ["an unknown month name", "Sat, 21 Foo 2026 06:00:00 GMT"],
    ["hex", "0x6a0f9c80"],
    ["exponent notation", "1.79e9"],
    ["a negative number", -1],
    ["a negative string", "-1795240800"],
    ["zero", 0],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["beyond the last Date", 9e15],
    ["an object", { seconds: 1795240800 }],
    ["an array", [1795240800]],
    ["a boolean", true],
    ["null", null],
    ["undefined", undefined],
  ])("rejects %s", (_name, value) => {
    expect(parseExpiresOn(value)).toBeUndefined();
  });
});

describe("parseSeconds", () => {
  it("takes numbers and digit strings, in milliseconds", () => {
    expect(parseSeconds(3599)).toBe(3_599_000);
    expect(parseSeconds("3599")).toBe(3_599_000);
    expect(parseSeconds(0)).toBe(0);
  });

  it.each([["-1"], [-1], ["1h"], [""], [{}], [true], [Number.NaN]])("rejects %j", (value) => {
    expect(parseSeconds(value)).toBeUndefined();
  });
});
