import type { AccessToken } from "@azure/core-auth";
import { detectManagedIdentity } from "../detection/detectManagedIdentity.js";
import type { ManagedIdentitySourceName } from "../sources/source.js";
import {
  CREDENTIAL_OPTIONS,
  identityOption,
  integerOption,
  parseCommandArgs,
  scopeOption,
  sourceOption,
  stringOption,
} from "./arguments.js";
import { sourceByName } from "../sources/index.js";
import { credentialForSource, type CredentialSettings } from "./credentialForSource.js";
import { ExitCode, type ExitCodeValue } from "./exitCodes.js";
import { PROGRAM, TOKEN_HELP } from "./help.js";
import type { CliIo } from "./io.js";
import { withProgress } from "./progress.js";
import { UsageError } from "./usageError.js";

const COMMAND = "token";
const MAX_MS = 10 * 60_000;

/** `token`'s output with `--json`. @internal */
export interface TokenOutput {
  token: string;
  expiresOn: string;
  refreshAfter: string | undefined;
  tokenType: string;
  source: ManagedIdentitySourceName;
  scope: string;
}

/**
 * The token command's settings, checked before anything is sent.
 * @internal
 */
export interface TokenCommandSettings {
  scope: string;
  source: ManagedIdentitySourceName | "auto";
  credential: CredentialSettings;
  probeTimeoutMs: number | undefined;
  timeoutMs: number | undefined;
  json: boolean;
}

function settingsFrom(args: string[]): TokenCommandSettings | "help" {
  const values = parseCommandArgs(COMMAND, args, { ...CREDENTIAL_OPTIONS, endpoint: { type: "string" } });
  if (values["help"] === true) return "help";
  const source = sourceOption(values, COMMAND);
  const endpoint = stringOption(values, "endpoint", COMMAND);
  const tokenFolder = stringOption(values, "token-folder", COMMAND);
  if (endpoint !== undefined && source === "auto") {
    throw new UsageError(
      "--endpoint needs --source: an endpoint alone does not say which protocol it speaks.",
      COMMAND,
    );
  }
  if (tokenFolder !== undefined && source !== "auto" && source !== "arc") {
    throw new UsageError("--token-folder is for Azure Arc (--source arc or auto) only.", COMMAND);
  }
  return {
    scope: scopeOption(values, COMMAND),
    source,
    credential: { ...identityOption(values, COMMAND), endpoint, tokenFolder },
    probeTimeoutMs: integerOption(values, "probe-timeout", COMMAND, { min: 1, max: MAX_MS }),
    timeoutMs: integerOption(values, "timeout", COMMAND, { min: 1, max: MAX_MS }),
    json: values["json"] === true,
  };
}

/**
 * `azure-managed-identity token`: one token, printed alone on stdout (or as JSON), like
 * `az account get-access-token`.
 * @internal
 */
export async function tokenCommand(args: string[], io: CliIo): Promise<ExitCodeValue> {
  const settings = settingsFrom(args);
  if (settings === "help") {
    io.stdout.write(TOKEN_HELP);
    return ExitCode.ok;
  }

  let source = settings.source;
  if (source === "auto") {
    const detection = await withProgress(
      io.stderr,
      "looking for a managed identity",
      detectManagedIdentity({ probeTimeoutMs: settings.probeTimeoutMs }),
    );
    if (detection.source === "none") {
      io.stderr.write(`error: ${detection.reason}\nRun '${PROGRAM} doctor' for the details and what to do.\n`);
      return ExitCode.failure;
    }
    source = detection.source;
  }

  let credential;
  try {
    credential = credentialForSource(source, settings.credential);
  } catch (error) {
    // The constructor refuses options that do not fit the source, before anything is sent.
    if (error instanceof TypeError) throw new UsageError(error.message, COMMAND);
    throw error;
  }

  let token: AccessToken | null;
  try {
    token = await withProgress(
      io.stderr,
      `waiting for ${sourceByName(source).displayName}`,
      credential.getToken(
        settings.scope,
        settings.timeoutMs === undefined ? {} : { requestOptions: { timeout: settings.timeoutMs } },
      ),
    );
  } catch (error) {
    const { name, message } = error as Error;
    io.stderr.write(`error: ${name}: ${message}\n`);
    return ExitCode.failure;
  }
  if (token === null) {
    io.stderr.write(`error: ${sourceByName(source).displayName} gave no token.\n`);
    return ExitCode.failure;
  }

  if (settings.json) {
    const output: TokenOutput = {
      token: token.token,
      expiresOn: new Date(token.expiresOnTimestamp).toISOString(),
      refreshAfter:
        token.refreshAfterTimestamp === undefined ? undefined : new Date(token.refreshAfterTimestamp).toISOString(),
      tokenType: token.tokenType ?? "Bearer",
      source,
      scope: settings.scope,
    };
    io.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } else {
    io.stdout.write(`${token.token}\n`);
  }
  return ExitCode.ok;
}
