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
    throw new TypeError(`${from} is not a URL: '${value}'.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`${from} must be an http or https URL: '${value}'.`);
  }
  url.search = "";
  url.hash = "";
  return url;
}
