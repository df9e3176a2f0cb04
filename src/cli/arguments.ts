import { parseArgs, type ParseArgsConfig } from "node:util";
import { checkWholeNumber } from "../optionChecks.js";
import { SOURCE_NAMES } from "../sources/index.js";
import type { ManagedIdentitySourceName } from "../sources/source.js";
import { resourceOfScopes } from "../token/resource.js";
import { UsageError } from "./usageError.js";

/** What `parseArgs` gives back for our options: strings and booleans only. */
export type OptionValues = Record<string, string | boolean | undefined>;

/** The option table of one command, as `node:util` `parseArgs` takes it. */
export type OptionTable = NonNullable<ParseArgsConfig["options"]>;

/** What each option takes, for the messages about it: the same words as `--help`. */
const VALUE_OF: Record<string, string> = {
  scope: "a scope, such as https://vault.azure.net/.default",
  resource: "a resource, such as https://vault.azure.net",
  source: "auto or a source name",
  "client-id": "a client id",
  "object-id": "an object (principal) id",
  "resource-id": "an Azure resource id",
  "token-folder": "a folder",
  "probe-timeout": "a number of milliseconds",
  timeout: "a number of milliseconds",
  endpoint: "a URL",
  sources: "a list such as imds,arc",
  fail: "a list such as 410,410,200",
  "retry-after": "a number of seconds",
  latency: "a number of milliseconds",
  "throttle-after": "a number of requests",
  "port-base": "a port number",
};

function takes(name: string, options: OptionTable): string {
  return options[name]?.type === "boolean" ? "no value" : (VALUE_OF[name] ?? "a value");
}

/**
 * Parses one command's options strictly, with `--help`/`-h` added to every command. Every mistake is a
 * usage error in our own words (the option, what it takes, and a pointer to `--help`), never
 * `parseArgs`'s: an unknown option, a missing value, a value given to a flag, an option given twice
 * (the last one silently winning would hide a typo), a stray argument. A value may start with a dash
 * (`--timeout -5` is then refused for what it is), unless it is one of the command's own options.
 * @internal
 */
export function parseCommandArgs(command: string, args: string[], options: OptionTable): OptionValues {
  const table: OptionTable = { ...options, help: { type: "boolean", short: "h" } };
  const { tokens } = parseArgs({ args, options: table, strict: false, allowPositionals: true, tokens: true });
  const known = new Set(
    Object.keys(table).flatMap((name) => [`--${name}`, ...(table[name]?.short ? [`-${table[name].short}`] : [])]),
  );
  const values: OptionValues = {};
  const seen = new Set<string>();
  let stray: string | undefined;
  for (const token of tokens) {
    if (token.kind === "positional") {
      stray ??= token.value;
      continue;
    }
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(table, token.name) ? table[token.name] : undefined;
    if (spec === undefined) {
      const list = Object.keys(options)
        .map((name) => `--${name}`)
        .join(", ");
      throw new UsageError(`Unknown option '${token.rawName}'. '${command}' takes ${list} and --help.`, command);
    }
    const name = `--${token.name}`;
    if (spec.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`${name} takes no value; give '${name}' alone.`, command);
      if (token.name === "help") {
        values["help"] = true;
        continue;
      }
    } else if (token.value === undefined || (!token.inlineValue && known.has(token.value))) {
      throw new UsageError(`${name} needs a value: ${takes(token.name, options)}.`, command);
    }
    if (seen.has(token.name)) {
      throw new UsageError(`${name} is given more than once; give it once.`, command);
    }
    seen.add(token.name);
    values[token.name] = token.value ?? true;
  }
  if (stray !== undefined && values["help"] !== true) {
    throw new UsageError(`Unexpected argument '${stray}': '${command}' takes options only.`, command);
  }
  return values;
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

/** RFC 3986's absolute URI (`https://…`, `api://…`) and an app ID: the resources Entra ID knows. */
const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]*:\S+$/i;
const APP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  const given = scope ?? resource;
  if (given === undefined) return DEFAULT_SCOPE;
  const option = scope !== undefined ? "--scope" : "--resource";
  let asked: string;
  try {
    // The library's own check, so that a bad scope is a usage error here rather than a failed token request.
    asked = resourceOfScopes(given);
  } catch (error) {
    throw new UsageError(`${option} ${JSON.stringify(given)}: ${(error as Error).message}`, command);
  }
  // Microsoft Entra ID knows a resource by an absolute URI (an app ID URI) or an app ID: anything else
  // would only come back as AADSTS500011 after a round trip.
  if (!ABSOLUTE_URI.test(asked) && !APP_ID.test(asked)) {
    throw new UsageError(
      `${option} ${JSON.stringify(given)} is not ${option === "--scope" ? "a scope" : "a resource"}: give an absolute URI, such as ${option === "--scope" ? DEFAULT_SCOPE : "https://management.azure.com"}, or an app ID.`,
      command,
    );
  }
  return given;
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
