/** `scheme://user:password@`: everything between `//` and `@` (a malformed URL's too, so no `/` check). */
const AFTER_SCHEME = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s'"@]*@/gi;
/** A scheme-less `user:password@host` (curl takes `HTTPS_PROXY=alice:s3cret@proxy:3128`) at a word's start. */
const SCHEME_LESS = /(^|[\s'"=(,;])([^\s'"@/:=(,;]+:(?!\/\/)[^\s'"@]*)@/g;

/**
 * Masks the user info (a user name and password, a proxy's or one pasted by mistake) of every URL in
 * a text, well formed or not: `http://admin:s3cret@[bad` → `http://****@[bad`,
 * `alice:s3cret@proxy.corp:3128` → `****@proxy.corp:3128`. An e-mail address (no password) is left alone.
 * @internal
 */
export function maskUserInfo(text: string): string {
  return text.replace(AFTER_SCHEME, "$1****@").replace(SCHEME_LESS, "$1****@");
}
