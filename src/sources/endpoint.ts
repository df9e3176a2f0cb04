import { maskUserInfo } from "../shared/maskUserInfo.js";

/**
 * Parses a configured endpoint; throws a `TypeError` that names where it came from when it is not an
 * http(s) URL, so that a typo fails at construction and not on the first token.
 * @internal
 */
export function parseEndpoint(value: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value is echoed to say which one is wrong, but never a password it carries.
    throw new TypeError(`${from} is not a URL: '${maskUserInfo(value)}'.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`${from} must be an http or https URL: '${maskUserInfo(value)}'.`);
  }
  url.search = "";
  url.hash = "";
  return url;
}
