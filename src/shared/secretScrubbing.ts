import type { AuthenticationError } from "../errors.js";

/**
 * The forms an echoed secret may take in an answer: as sent, URL-encoded (a form body or query echoed) and
 * JSON-escaped (a JSON error echoing a value with quotes or backslashes).
 */
function forms(secret: string): string[] {
  const all = [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
  all.push(JSON.stringify(secret).slice(1, -1));
  return [...new Set(all)].filter((form) => form !== "");
}

/**
 * Shorter values are not scrubbed: the platforms' secrets are GUIDs and longer, and replacing every "h" of a
 * one-letter test value would leave a message nobody can read while protecting nothing.
 */
const MIN_SCRUBBED_LENGTH = 8;

/**
 * `text` with every secret of `secrets` (by name) replaced by `(<name>, not shown)`.
 * @internal
 */
export function scrubSecrets(text: string, secrets: Record<string, string>): string {
  let scrubbed = text;
  for (const [name, secret] of Object.entries(secrets)) {
    if (secret.length < MIN_SCRUBBED_LENGTH) continue;
    for (const form of forms(secret)) {
      if (scrubbed.includes(form)) scrubbed = scrubbed.split(form).join(`(${name}, not shown)`);
    }
  }
  return scrubbed;
}

/**
 * The error with every secret of `secrets` scrubbed from its message, stack and `errorResponse`: an
 * endpoint that echoes what the request carried must not put it into an error, a log line or a report.
 * @internal
 */
export function scrubError<T>(error: T, secrets: Record<string, string> | undefined): T {
  if (secrets === undefined || !(error instanceof Error)) return error;
  error.message = scrubSecrets(error.message, secrets);
  if (error.stack !== undefined) error.stack = scrubSecrets(error.stack, secrets);
  const response = (error as Partial<AuthenticationError>).errorResponse as Record<string, unknown> | undefined;
  if (response !== undefined) {
    for (const [key, value] of Object.entries(response)) {
      if (typeof value === "string") response[key] = scrubSecrets(value, secrets);
    }
  }
  return error;
}
