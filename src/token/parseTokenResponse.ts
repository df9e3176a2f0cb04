import type { AccessToken } from "@azure/core-auth";
import { parseExpiresOn, parseSeconds } from "./expiresOn.js";
import { refreshAfter } from "./refreshTiming.js";

/**
 * Why a successful answer is not a token. Its message never contains the body.
 * @internal
 */
export class InvalidTokenResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidTokenResponseError";
  }
}

const ONE_YEAR = 366 * 24 * 60 * 60_000;

/** 2001-01-01T00:00:00Z: an `expires_on` below it is seconds from now, not an epoch point (MSAL.NET 4.86). */
const RELATIVE_EXPIRES_ON_BELOW_MS = 978_307_200_000;

/** Anything but printable ASCII without blanks: what no bearer token carries. */
const NOT_IN_BEARER_TOKEN = /[^\x21-\x7e]/;

function describeBody(body: string): string {
  const start = body.trimStart().slice(0, 1);
  if (start === "<") return "HTML or XML";
  if (body.trim().length === 0) return "empty";
  return `${body.length} bytes that are not JSON`;
}

/**
 * Parses the body of a successful token answer into an `AccessToken`, for every shape that the
 * managed identity endpoints send: numbers as numbers or strings, `expires_on` as epoch seconds,
 * ISO-8601, RFC 1123 or App Service 2017's format, and `expires_in` alone.
 *
 * Throws `InvalidTokenResponseError` for anything that is not a usable token: never a token whose
 * expiry is `NaN`, in the past, or now.
 *
 * @param body - the response body
 * @param requestTime - when the request was sent, epoch ms; `expires_in` counts from it
 * @param now - the current time, epoch ms
 * @internal
 */
export function parseTokenResponse(body: string | undefined, requestTime: number, now = Date.now()): AccessToken {
  let json: unknown;
  try {
    json = JSON.parse(body ?? "");
  } catch {
    throw new InvalidTokenResponseError(`the body is ${describeBody(body ?? "")}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidTokenResponseError("the body is JSON but not an object");
  }
  const fields = json as Record<string, unknown>;

  const token = fields["access_token"];
  if (typeof token !== "string" || token.length === 0) {
    throw new InvalidTokenResponseError(
      token === undefined ? "it has no access_token" : "its access_token is not a non-empty string",
    );
  }

  // A bearer token is printable ASCII without blanks (RFC 6750's b64token is narrower still): one with a control
  // character (ESC, BEL, CR, LF) or a space would drive a terminal the CLI prints it to, or fail later in an SDK's
  // request as "Invalid character in header content". The message names the field, never the value.
  if (NOT_IN_BEARER_TOKEN.test(token)) {
    throw new InvalidTokenResponseError(
      "its access_token holds characters a bearer token cannot carry (a control character, a space or a non-ASCII character)",
    );
  }

  const tokenType = fields["token_type"];
  if (tokenType !== undefined && (typeof tokenType !== "string" || tokenType.toLowerCase() !== "bearer")) {
    throw new InvalidTokenResponseError("its token_type is not Bearer");
  }

  let expiresOn: number | undefined;
  if (fields["expires_on"] !== undefined && fields["expires_on"] !== null) {
    const seconds = parseSeconds(fields["expires_on"]);
    // Epoch seconds before 2001 are no expiry any token has: a number of seconds from now ("3599"), as MSAL.NET
    // reads them since 4.86 (AzureAD/microsoft-authentication-library-for-dotnet pull request 6112,
    // DateTimeHelpers.GetDurationFromManagedIdentityTimestamp: AbsoluteTimestampThreshold = 978307200).
    expiresOn =
      seconds !== undefined && seconds < RELATIVE_EXPIRES_ON_BELOW_MS
        ? requestTime + seconds
        : parseExpiresOn(fields["expires_on"]);
    if (expiresOn === undefined) {
      throw new InvalidTokenResponseError(
        `its expires_on (${typeof fields["expires_on"]}) is neither epoch seconds nor a date in a known format`,
      );
    }
  } else if (fields["expires_in"] !== undefined && fields["expires_in"] !== null) {
    const expiresIn = parseSeconds(fields["expires_in"]);
    if (expiresIn === undefined) {
      throw new InvalidTokenResponseError(`its expires_in (${typeof fields["expires_in"]}) is not a number of seconds`);
    }
    expiresOn = requestTime + expiresIn;
  } else {
    throw new InvalidTokenResponseError("it has neither expires_on nor expires_in");
  }
  expiresOn = Math.floor(expiresOn);
  if (expiresOn <= now) {
    throw new InvalidTokenResponseError(
      `it is already expired (expires ${new Date(expiresOn).toISOString()}); check the machine's clock`,
    );
  }

  if (expiresOn - now > ONE_YEAR) {
    throw new InvalidTokenResponseError(
      `its expiry (${new Date(expiresOn).toISOString()}) is more than a year away, which no managed identity token has; is it in milliseconds?`,
    );
  }

  const refreshIn = parseSeconds(fields["refresh_in"]);
  return {
    token,
    expiresOnTimestamp: expiresOn,
    refreshAfterTimestamp: refreshAfter(now, expiresOn, refreshIn),
    tokenType: "Bearer",
  };
}
