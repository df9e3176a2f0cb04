import { afterEach, describe, expect, it, vi } from "vitest";
import { InvalidTokenResponseError, parseTokenResponse } from "../../src/token/parseTokenResponse.js";

const NOW = Date.UTC(2026, 10, 21, 5, 0, 0);
const IN_ONE_HOUR = NOW + 3_600_000;
const TOKEN = "eyJ0eXAiOiJKV1QifQ.SECRET-TOKEN-VALUE.sig";

function parse(fields: unknown, requestTime = NOW): ReturnType<typeof parseTokenResponse> {
  return parseTokenResponse(typeof fields === "string" ? fields : JSON.stringify(fields), requestTime, NOW);
}

function rejection(body: string | undefined): InvalidTokenResponseError {
  try {
    parseTokenResponse(body, NOW, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenResponseError);
    return error as InvalidTokenResponseError;
  }
  throw new Error("parsed a body that is not a token");
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("parseTokenResponse: good answers", () => {
  it("reads the token, its expiry in ms and the Bearer type", () => {
    const token = parse({ access_token: TOKEN, expires_on: IN_ONE_HOUR / 1000, token_type: "Bearer", resource: "r" });
    expect(token).toMatchObject({ token: TOKEN, expiresOnTimestamp: IN_ONE_HOUR, tokenType: "Bearer" });
  });

  it.each([
    ["epoch seconds, number", IN_ONE_HOUR / 1000],
    ["epoch seconds, string", String(IN_ONE_HOUR / 1000)],
    ["ISO-8601", "2026-11-21T06:00:00Z"],
    ["ISO-8601 with 7 fraction digits", "2026-11-21T06:00:00.0000000+00:00"],
    ["ISO-8601 with an offset", "2026-11-21T07:00:00+01:00"],
    ["RFC 1123", "Sat, 21 Nov 2026 06:00:00 GMT"],
    ["App Service 2017", "11/21/2026 6:00:00 AM +00:00"],
  ])("takes expires_on as %s", (_name, expiresOn) => {
    expect(parse({ access_token: TOKEN, expires_on: expiresOn }).expiresOnTimestamp).toBe(IN_ONE_HOUR);
  });

  it("counts expires_in alone from the request time", () => {
    const requestTime = NOW - 2_000;
    expect(parse({ access_token: TOKEN, expires_in: 3600 }, requestTime).expiresOnTimestamp).toBe(
      requestTime + 3_600_000,
    );
    expect(parse({ access_token: TOKEN, expires_in: "3600" }, requestTime).expiresOnTimestamp).toBe(
      requestTime + 3_600_000,
    );
  });

  it("prefers expires_on to expires_in", () => {
    expect(parse({ access_token: TOKEN, expires_on: IN_ONE_HOUR / 1000, expires_in: 60 }).expiresOnTimestamp).toBe(
      IN_ONE_HOUR,
    );
  });

  it("takes the type case-insensitively and a missing type as Bearer", () => {
    expect(parse({ access_token: TOKEN, expires_in: 3600, token_type: "bearer" }).tokenType).toBe("Bearer");
    expect(parse({ access_token: TOKEN, expires_in: 3600 }).tokenType).toBe("Bearer");
  });

  it("honours refresh_in, as a number or a string", () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const day = NOW + 86_400_000;
    expect(parse({ access_token: TOKEN, expires_on: day / 1000, refresh_in: 600 }).refreshAfterTimestamp).toBe(
      NOW + 600_000,
    );
    expect(parse({ access_token: TOKEN, expires_on: day / 1000, refresh_in: "600" }).refreshAfterTimestamp).toBe(
      NOW + 600_000,
    );
  });

  it("without refresh_in, refreshes a long token at half-life and a short one five minutes early", () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const day = NOW + 86_400_000;
    expect(parse({ access_token: TOKEN, expires_on: day / 1000 }).refreshAfterTimestamp).toBe(NOW + 43_200_000);
    expect(parse({ access_token: TOKEN, expires_on: IN_ONE_HOUR / 1000 }).refreshAfterTimestamp).toBe(
      IN_ONE_HOUR - 300_000,
    );
  });

  it("sets refreshAfterTimestamp between now and the expiry, jitter included", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    const token = parse({ access_token: TOKEN, expires_on: IN_ONE_HOUR / 1000 });
    expect(token.refreshAfterTimestamp).toBeGreaterThanOrEqual(IN_ONE_HOUR - 300_000 - 60_000);
    expect(token.refreshAfterTimestamp).toBeLessThan(IN_ONE_HOUR);
  });
});

describe("parseTokenResponse: what is not a token", () => {
  it.each<[string, string | undefined, RegExp]>([
    ["malformed JSON", `{"access_token": "${TOKEN}", "expires_on": `, /not JSON/],
    ["an empty body", "", /empty/],
    ["blanks", "  \n", /empty/],
    ["no body", undefined, /empty/],
    ["an HTML page", `<html><title>Proxy login</title><body>${TOKEN}</body></html>`, /HTML/],
    ["a JSON array", JSON.stringify([{ access_token: TOKEN, expires_in: 3600 }]), /not an object/],
    ["JSON null", "null", /not an object/],
    ["a JSON string", JSON.stringify(TOKEN), /not an object/],
    ["a missing access_token", JSON.stringify({ expires_in: 3600 }), /no access_token/],
    [
      "a numeric access_token",
      JSON.stringify({ access_token: 42, expires_in: 3600 }),
      /access_token is not a non-empty string/,
    ],
    [
      "an object access_token",
      JSON.stringify({ access_token: { value: TOKEN }, expires_in: 3600 }),
      /access_token is not/,
    ],
    ["an empty access_token", JSON.stringify({ access_token: "", expires_in: 3600 }), /access_token is not/],
    ["another token type", JSON.stringify({ access_token: TOKEN, expires_in: 3600, token_type: "pop" }), /token_type/],
    ["neither expires_on nor expires_in", JSON.stringify({ access_token: TOKEN }), /neither expires_on nor expires_in/],
    ["an object expires_on", JSON.stringify({ access_token: TOKEN, expires_on: { at: 1 } }), /expires_on \(object\)/],
    ["a boolean expires_on", JSON.stringify({ access_token: TOKEN, expires_on: true }), /expires_on \(boolean\)/],
    [
      "an unparseable date",
      JSON.stringify({ access_token: TOKEN, expires_on: "next Tuesday" }),
      /expires_on \(string\)/,
    ],
    ["a negative expires_in", JSON.stringify({ access_token: TOKEN, expires_in: -5 }), /expires_in/],
    ["a text expires_in", JSON.stringify({ access_token: TOKEN, expires_in: "an hour" }), /expires_in/],
    ["an expired token", JSON.stringify({ access_token: TOKEN, expires_on: (NOW - 60_000) / 1000 }), /already expired/],
    ["a token expiring now", JSON.stringify({ access_token: TOKEN, expires_on: NOW / 1000 }), /already expired/],
    ["a zero expires_in", JSON.stringify({ access_token: TOKEN, expires_in: 0 }), /already expired/],
    ["an expiry in milliseconds", JSON.stringify({ access_token: TOKEN, expires_on: IN_ONE_HOUR }), /more than a year/],
  ])("rejects %s, clearly and without the token", (_name, body, message) => {
    const error = rejection(body);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("SECRET-TOKEN-VALUE");
  });
});
