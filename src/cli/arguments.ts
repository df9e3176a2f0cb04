import { parseArgs, type ParseArgsConfig } from "node:util";
import { checkWholeNumber } from "../optionChecks.js";
import { SOURCE_NAMES } from "../sources/index.js";
import type { ManagedIdentitySourceName } from "../sources/source.js";
import { UsageError } from "./usageError.js";

/** What `parseArgs` gives back for our options: strings and booleans only. */
export type OptionValues = Record<string, string | boolean | undefined>;

/** The option table of one command, as `node:util` `parseArgs` takes it. */
export type OptionTable = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses one command's options strictly (unknown options, missing values and stray arguments are
 * usage errors), with `--help`/`-h` added to every command.
 * @internal
 */
export function parseCommandArgs(command: string, args: string[], options: OptionTable): OptionValues {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    // parseArgs reports every command line mistake as a TypeError with an ERR_PARSE_ARGS_* code.
    const code = (error as { code?: string }).code ?? "";
    if (code.startsWith("ERR_PARSE_ARGS")) throw new UsageError((error as Error).message, command);
    throw error;
  }
  if (parsed.positionals.length > 0 && parsed.values["help"] !== true) {
    throw new UsageError(`Unexpected argument '${parsed.positionals[0]}'.`, command);
  }
  return parsed.values as OptionValues;
}

/** A string option's value, or `undefined`; an empty value is a usage error. @internal */
export function stringOption(values: OptionValues, name: string, command: string): string | undefined {
  const value = values[name];
  if (value === undefined || typeof value === "boolean") return undefined;
  if (value.trim() === "") throw new UsageError(`--${name} needs a value.`, command);
  return value;
}

/** A whole-number option within bounds, or `undefined`. @internal */
export function integerOption(
  values: OptionValues,
  name: string,
  command: string,
  bounds: { min: number; max: number },
): number | undefined {
  const text = stringOption(values, name, command);
  if (text === undefined) return undefined;
  // Digits only (no 1e3, 0x10, Infinity), then the library's own check: the same rules and the same words.
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  try {
    checkWholeNumber(value, `--${name}`, bounds, `'${text}'`);
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
  return value;
}

/** `--source`: a source, or `"auto"` (the default) to detect it. @internal */
export function sourceOption(values: OptionValues, command: string): ManagedIdentitySourceName | "auto" {
  const value = stringOption(values, "source", command) ?? "auto";
  if (value === "auto" || (SOURCE_NAMES as readonly string[]).includes(value))
    return value as ManagedIdentitySourceName | "auto";
  throw new UsageError(`--source must be auto or one of ${SOURCE_NAMES.join(", ")}, not '${value}'.`, command);
}

/** The resource `az account get-access-token` asks for by default: Azure Resource Manager. */
export const DEFAULT_SCOPE = "https://management.azure.com/.default";

/**
 * `--scope S` or `--resource R` (a resource is a scope without `/.default`, which the credentials
 * accept as it is); Azure Resource Manager when neither is given.
 * @internal
 */
export function scopeOption(values: OptionValues, command: string): string {
  const scope = stringOption(values, "scope", command);
  const resource = stringOption(values, "resource", command);
  if (scope !== undefined && resource !== undefined)
    throw new UsageError("Give --scope or --resource, not both.", command);
  return scope ?? resource ?? DEFAULT_SCOPE;
}

/** A user-assigned identity from the command line. @internal */
export interface IdentityOptions {
  clientId?: string;
  objectId?: string;
  resourceId?: string;
}

/** `--client-id`, `--object-id` or `--resource-id`: at most one. @internal */
export function identityOption(values: OptionValues, command: string): IdentityOptions {
  const given: IdentityOptions = {
    clientId: stringOption(values, "client-id", command),
    objectId: stringOption(values, "object-id", command),
    resourceId: stringOption(values, "resource-id", command),
  };
  const names = Object.entries(given).filter(([, value]) => value !== undefined);
  if (names.length > 1)
    throw new UsageError("Give at most one of --client-id, --object-id and --resource-id.", command);
  return Object.fromEntries(names) as IdentityOptions;
}

/** The options `token` and `doctor` share: which source, which identity, which resource. @internal */
export const CREDENTIAL_OPTIONS: OptionTable = {
  scope: { type: "string" },
  resource: { type: "string" },
  source: { type: "string" },
  "client-id": { type: "string" },
  "object-id": { type: "string" },
  "resource-id": { type: "string" },
  "token-folder": { type: "string" },
  "probe-timeout": { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
};
