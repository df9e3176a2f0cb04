// Generated from package.json by scripts/writeVersion.mjs (npm version and npm run build run it).
/** The package version, sent in the User-Agent header and printed by `--version`. @internal */
export const SDK_VERSION = "1.0.0-beta.3";
