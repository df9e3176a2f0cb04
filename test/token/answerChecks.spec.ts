// Answers are checked before they are believed (issue 19 §4).
import { describe, expect, it } from "vitest";
import { readErrorAnswer } from "../../src/engine/errorAnswer.js";
import { InvalidTokenResponseError, parseTokenResponse } from "../../src/token/parseTokenResponse.js";

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const parse = (fields: Record<string, unknown>) => parseTokenResponse(JSON.stringify(fields), NOW, NOW);

describe("access_token", () => {
  it.each([
    ["ESC", "eyJ0\u001b[2J"],
    ["BEL", "eyJ0\u0007"],
    ["CR", "eyJ0\rX"],
    ["LF", "eyJ0\nSet-Cookie: x"],
    ["a space", "eyJ0 eyJ1"],
    ["a non-ASCII character", "eyJ0é"],
  ])("with %s is refused, naming the field and never the value", (_, token) => {
    let error: unknown;
    try {
      parse({ access_token: token, expires_in: 3600 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidTokenResponseError);
    expect((error as Error).message).toContain("access_token");
    expect((error as Error).message).not.toContain(token);
  });

  it("a JWT and opaque tokens of printable ASCII pass", () => {
    for (const token of ["eyJhbGciOi.eyJzdWIi.c2ln-_", "opaque+token/with=padding~"]) {
      expect(parse({ access_token: token, expires_in: 3600 }).token).toBe(token);
    }
  });
});

// MSAL.NET 4.86 (AzureAD/microsoft-authentication-library-for-dotnet pull request 6112, commit f201e3832,
// DateTimeHelpers.GetDurationFromManagedIdentityTimestamp): numbers below AbsoluteTimestampThreshold = 978307200
// (2001-01-01T00:00:00Z) are a lifetime in seconds, at or above it an epoch point.
describe("expires_on below 978307200 (2001-01-01) is seconds from now", () => {
  it.each([["3599"], [3599], ["86399"]])("%j", (value) => {
    const token = parse({ access_token: "t", expires_on: value });
    expect(token.expiresOnTimestamp).toBe(NOW + Number(value) * 1000);
  });

  it("978307200 and above stay epoch seconds (and a past one is refused)", () => {
    const future = Math.floor(NOW / 1000) + 3600;
    expect(parse({ access_token: "t", expires_on: String(future) }).expiresOnTimestamp).toBe(future * 1000);
    expect(() => parse({ access_token: "t", expires_on: "978307200" })).toThrow(/already expired/);
  });
});

describe("an endpoint's words in an error", () => {
  it("have their control characters replaced, so a printed error cannot drive a terminal", () => {
    const { errorResponse, text } = readErrorAnswer(
      JSON.stringify({ error: "bad\u001b[31m", error_description: "ring\u0007 \u009b2J and \u007f" }),
    );
    for (const said of [errorResponse!.error, errorResponse!.errorDescription, text!]) {
      expect(said).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    expect(errorResponse!.errorDescription).toContain("ring\ufffd");
    expect(readErrorAnswer("plain \u001b]0;title\u0007 text").text).not.toMatch(/[\u0000-\u001f]/);
    expect(readErrorAnswer(JSON.stringify({ message: "App Service \u001b[2J" })).text).not.toMatch(/\u001b/);
  });

  it('keeps error_codes given as strings (["AADSTS50011"], ["500011"]) like numbers', () => {
    expect(
      readErrorAnswer(JSON.stringify({ error: "e", error_codes: ["AADSTS50011"] })).errorResponse?.errorCodes,
    ).toEqual([50011]);
    expect(
      readErrorAnswer(JSON.stringify({ error: "e", error_codes: ["500011", 7000215] })).errorResponse?.errorCodes,
    ).toEqual([500011, 7000215]);
    expect(readErrorAnswer(JSON.stringify({ error: "e", error_codes: [500011] })).errorResponse?.errorCodes).toEqual([
      500011,
    ]);
  });
});
