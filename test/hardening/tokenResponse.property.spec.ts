// Property-based tests of the token response parser: whatever an endpoint sends, the answer is a
// usable token or InvalidTokenResponseError — never another exception, a NaN or a past expiry.
import type { AccessToken } from "@azure/core-auth";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseExpiresOn } from "../../src/token/expiresOn.js";
import { LINEAR_GROWTH_BOUND, tenfoldGrowth } from "../helpers/linearTime.js";
import { InvalidTokenResponseError, parseTokenResponse } from "../../src/token/parseTokenResponse.js";
import {
  FUZZ_NOW,
  futureInstant,
  type FormattedExpiry,
  formattedExpiry,
  pastInstant,
  rawJsonValue,
} from "../helpers/expiryFormats.js";

const ONE_YEAR_MS = 366 * 24 * 60 * 60_000;
/** A token string long enough that finding it in a message cannot be chance. */
/** Printable ASCII without blanks: what a bearer token carries (the parser refuses anything else). */
const accessToken = fc
  .string({
    minLength: 12,
    maxLength: 80,
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  })
  .map((s) => `tok-${s}`);

/** Every promise the parser makes about a token it returns. */
function expectUsable(token: AccessToken, now: number): void {
  expect(typeof token.token).toBe("string");
  expect(token.token.length).toBeGreaterThan(0);
  expect(token.tokenType).toBe("Bearer");
  expect(Number.isInteger(token.expiresOnTimestamp)).toBe(true);
  expect(token.expiresOnTimestamp).toBeGreaterThan(now);
  expect(token.expiresOnTimestamp).toBeLessThanOrEqual(now + ONE_YEAR_MS);
  expect(Number.isFinite(token.refreshAfterTimestamp)).toBe(true);
  expect(token.refreshAfterTimestamp).toBeGreaterThanOrEqual(now);
  expect(token.refreshAfterTimestamp).toBeLessThan(token.expiresOnTimestamp);
}

/** Parses, and sorts the outcome: a usable token, or the parser's own error (anything else fails). */
function outcome(body: string | undefined, requestTime = FUZZ_NOW): AccessToken | InvalidTokenResponseError {
  try {
    const token = parseTokenResponse(body, requestTime, FUZZ_NOW);
    expectUsable(token, FUZZ_NOW);
    return token;
  } catch (error) {
    if (error instanceof InvalidTokenResponseError) return error;
    throw error;
  }
}

/** A JSON object text whose fields are raw JSON texts, so that numbers JSON cannot round-trip (1e400) survive. */
function objectText(fields: Record<string, string | undefined>): string {
  const members = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, raw]) => `${JSON.stringify(name)}:${raw}`);
  return `{${members.join(",")}}`;
}

const maybe = (arbitrary: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> =>
  fc.option(arbitrary, { nil: undefined });

describe("parseTokenResponse under fuzzing", () => {
  it("any text at all: a usable token or InvalidTokenResponseError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json(), fc.constant(undefined)), (body) => {
        outcome(body);
      }),
      { numRuns: 1_000 },
    );
  });

  it("any JSON value of any type in every field: a usable token or InvalidTokenResponseError", () => {
    const fieldValue = fc.oneof(
      rawJsonValue,
      formattedExpiry(futureInstant).map((f) => JSON.stringify(f.value)),
    );
    fc.assert(
      fc.property(
        fc.record({
          access_token: maybe(
            fc.oneof(
              accessToken.map((t) => JSON.stringify(t)),
              rawJsonValue,
            ),
          ),
          token_type: maybe(
            fc.oneof(fc.constantFrom('"Bearer"', '"bearer"', '"BEARER"', '"pop"', '"Basic"', '""'), rawJsonValue),
          ),
          expires_on: maybe(fieldValue),
          expires_in: maybe(fieldValue),
          refresh_in: maybe(fieldValue),
          resource: maybe(rawJsonValue),
        }),
        (fields) => {
          outcome(objectText(fields));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("never puts the body, hence the token, in its error message", () => {
    fc.assert(
      fc.property(accessToken, rawJsonValue, rawJsonValue, (token, expiresOn, tokenType) => {
        const result = outcome(
          objectText({ access_token: JSON.stringify(token), expires_on: expiresOn, token_type: tokenType }),
        );
        if (result instanceof InvalidTokenResponseError) expect(result.message).not.toContain(token);
      }),
      { numRuns: 1_000 },
    );
  });

  it("expires_on in every format and time zone the endpoints use, to the millisecond", () => {
    fc.assert(
      fc.property(accessToken, formattedExpiry(futureInstant), (token, expiry: FormattedExpiry) => {
        const parsed = parseTokenResponse(
          JSON.stringify({ access_token: token, expires_on: expiry.value }),
          FUZZ_NOW,
          FUZZ_NOW,
        );
        expect(parsed.expiresOnTimestamp, `${expiry.format}: ${JSON.stringify(expiry.value)}`).toBe(expiry.expected);
        expectUsable(parsed, FUZZ_NOW);
      }),
      { numRuns: 3_000 },
    );
  });

  it("a past or present expiry in any format is refused, never returned as a token", () => {
    fc.assert(
      fc.property(accessToken, formattedExpiry(pastInstant), (token, expiry) => {
        const body = JSON.stringify({ access_token: token, expires_on: expiry.value, token_type: "Bearer" });
        expect(
          () => parseTokenResponse(body, FUZZ_NOW, FUZZ_NOW),
          `${expiry.format}: ${JSON.stringify(expiry.value)}`,
        ).toThrow(InvalidTokenResponseError);
      }),
      { numRuns: 2_000 },
    );
  });

  it("expires_in alone counts from the request time; zero, negative or already elapsed is refused", () => {
    fc.assert(
      fc.property(
        accessToken,
        fc.integer({ min: -10 * 86_400, max: 400 * 86_400 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.boolean(),
        (token, seconds, age, asString) => {
          const requestTime = FUZZ_NOW - age;
          const body = JSON.stringify({ access_token: token, expires_in: asString ? String(seconds) : seconds });
          const expected = requestTime + seconds * 1000;
          const result = outcome(body, requestTime);
          if (seconds >= 0 && expected > FUZZ_NOW && expected - FUZZ_NOW <= ONE_YEAR_MS) {
            expect(result).not.toBeInstanceOf(InvalidTokenResponseError);
            expect((result as AccessToken).expiresOnTimestamp).toBe(expected);
          } else {
            expect(result).toBeInstanceOf(InvalidTokenResponseError);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("huge, tiny, negative and non-finite numbers: refused, never NaN", () => {
    const extreme = fc.oneof(
      fc.constantFrom(
        "1e400",
        "-1e400",
        "1e308",
        "-0",
        "0",
        "5e-324",
        "123456789012345678901234567890",
        "9007199254740993",
      ),
      fc
        .double()
        .filter((d) => Number.isFinite(d))
        .map((d) => JSON.stringify(d)),
      fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
    );
    fc.assert(
      fc.property(accessToken, extreme, fc.constantFrom("expires_on", "expires_in"), (token, raw, field) => {
        const result = outcome(objectText({ access_token: JSON.stringify(token), [field]: raw }));
        if (!(result instanceof InvalidTokenResponseError)) expect(Number.isNaN(result.expiresOnTimestamp)).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("parseExpiresOn under fuzzing", () => {
  it("any value of any type: undefined or a finite positive number of ms, never an exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.string(),
          fc.double(),
          formattedExpiry(futureInstant).map((f) => f.value),
        ),
        (value) => {
          const ms = parseExpiresOn(value);
          if (ms !== undefined) {
            expect(Number.isFinite(ms)).toBe(true);
            expect(ms).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("near misses of every format are refused, not misread", () => {
    const nearMiss = fc.oneof(
      fc.constantFrom(
        "2026-02-30T00:00:00Z", // 30 February
        "2026-13-01T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:60:00Z",
        "Sat, 31 Nov 2026 06:00:00 GMT",
        "Sat, 21 Foo 2026 06:00:00 GMT",
        "11/21/2026 0:00:00 AM +00:00", // hour 0 on a 12-hour clock
        "11/21/2026 13:00:00 PM +00:00",
        "2/29/2026 1:00:00 AM +00:00", // not a leap year
        "1e10",
        "0x7fffffff",
        "-1700000000",
        " ",
        "",
      ),
    );
    fc.assert(
      fc.property(nearMiss, (value) => {
        expect(parseExpiresOn(value)).toBeUndefined();
      }),
    );
  });

  it("reads long runs of digits, dashes or colons in linear time: ten times longer, about ten times the work", () => {
    const inputs: ((n: number) => string)[] = [
      (n) => "1".repeat(n),
      (n) => `${"1".repeat(n)}.`,
      (n) => `1.${"1".repeat(n)}x`,
      (n) => `2026-01-01T00:00:00.${"1".repeat(n)}`,
      (n) => `${"2026-01-01T00:00:00".repeat(n / 20)}`,
      (n) => `11/21/2026 6:00:00 AM${" ".repeat(n)}+00:00x`,
      (n) => `Sat, 21 Nov 2026 06:00:00${" ".repeat(n)}GMT x`,
    ];
    for (const make of inputs) {
      const growth = tenfoldGrowth(make, (input) => parseExpiresOn(input));
      expect(growth, make(40).slice(0, 40)).toBeLessThan(LINEAR_GROWTH_BOUND);
    }
  });
});
