import { AuthenticationError } from "../errors.js";
import { maskUserInfo } from "../shared/maskUserInfo.js";

/** An environment variable's name (`IDENTITY_ENDPOINT`), as opposed to an option's (`The endpoint option`). */
const VARIABLE_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * The error for a configured value that is not usable, by where it came from: an option is the application's
 * mistake (`TypeError`, at construction); an environment variable is the host's configuration, not the caller's
 * (`AuthenticationError` with code `misconfigured`, at `getToken`; the command line exits 1, not 2).
 * @param from - the option (`The endpoint option`) or the environment variable's name (`IDENTITY_ENDPOINT`).
 * @internal
 */
export function configurationError(from: string, message: string): Error {
  return VARIABLE_NAME.test(from)
    ? new AuthenticationError(
        `${message} Fix or unset ${from}: the platform sets it, and a copy from another machine or process goes stale. Nothing was sent.`,
        undefined,
        undefined,
        "misconfigured",
      )
    : new TypeError(message);
}

/**
 * Parses a configured endpoint; throws (see {@link configurationError}) an error that names where it came from
 * when it is not an http(s) URL, so that a typo is reported before anything is sent.
 * @param from - the option (`The endpoint option`) or the environment variable's name (`IDENTITY_ENDPOINT`).
 * @internal
 */
export function parseEndpoint(value: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value is echoed to say which one is wrong, but never a password it carries.
    throw configurationError(from, `${from} is not a URL: '${maskUserInfo(value)}'.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw configurationError(from, `${from} must be an http or https URL: '${maskUserInfo(value)}'.`);
  }
  url.search = "";
  url.hash = "";
  return url;
}
