/** The package version, sent in the User-Agent header. @internal */
export const SDK_VERSION = "1.0.0-beta.1";
