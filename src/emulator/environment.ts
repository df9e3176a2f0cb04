import type { EmulatedSourceName } from "./options.js";

/** The environment variables that point a credential at one emulated source. */
export type EmulatorEnvironment = Partial<Record<EmulatedSourceName, Record<string, string>>>;

/** One running source, as {@link describeEmulator} shows it. @internal */
export interface DescribedSource {
  title: string;
  url: string;
  env: Record<string, string>;
  /** What a credential needs beyond the variables (Arc's `tokenFolder`). */
  note?: string;
}

/** What {@link describeEmulator} needs. @internal */
export interface EmulatorDescription {
  sources: DescribedSource[];
  keyVaultUrl: string;
  secretNames: string[];
}

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * A human-readable summary: each endpoint (the titles in one column, however long), and the shell lines that
 * point a credential at each source (one source at a time), with what a credential needs beyond them.
 * @internal
 */
export function describeEmulator({ sources, keyVaultUrl, secretNames }: EmulatorDescription): string {
  const keyVault = "Key Vault";
  const width = Math.max(keyVault.length, ...sources.map((source) => source.title.length));
  const lines = ["Azure managed identity emulator", ""];
  for (const source of sources) lines.push(`  ${source.title.padEnd(width)}  ${source.url}`);
  lines.push(
    `  ${keyVault.padEnd(width)}  ${keyVaultUrl}  (secrets: ${secretNames.join(", ") || "none"}; self-signed certificate)`,
  );
  lines.push("", "Point a credential at one source:");
  for (const source of sources) {
    lines.push(`  # ${source.title}${source.note ? ` — ${source.note}` : ""}`);
    for (const [name, value] of Object.entries(source.env)) lines.push(`  export ${name}=${quote(value)}`);
  }
  return lines.join("\n");
}
