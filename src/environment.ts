/**
 * Reads an environment variable; one that is set but empty (or only blanks) counts as unset.
 * @internal
 */
export function readEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}
