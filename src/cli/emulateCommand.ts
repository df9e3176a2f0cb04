import { startEmulator } from "../emulator/index.js";
import type { EmulatorEndpointName } from "../emulator/emulatedServer.js";
import { EMULATED_SOURCE_TABLE, EMULATED_SOURCES, KEY_VAULT_PORT_OFFSET } from "../emulator/emulatedSources.js";
import { parseFaultSequence, type FaultOptions } from "../emulator/faults.js";
import type { EmulatedSourceName, EmulatorOptions } from "../emulator/options.js";
import { integerOption, parseCommandArgs, stringOption } from "./arguments.js";
import { ExitCode, type ExitCodeValue } from "./exitCodes.js";
import { EMULATE_HELP } from "./help.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./usageError.js";

const COMMAND = "emulate";
const EMULATED: readonly EmulatedSourceName[] = EMULATED_SOURCES;
/** `--port-base N`: each endpoint at its fixed offset from N (the table's; a new source takes the next one). */
const PORT_OFFSETS: ReadonlyMap<EmulatorEndpointName, number> = new Map<EmulatorEndpointName, number>([
  ["keyvault", KEY_VAULT_PORT_OFFSET],
  ...EMULATED_SOURCE_TABLE.map((source): [EmulatorEndpointName, number] => [source.name, source.portOffset]),
]);
const MAX_PORT_OFFSET = Math.max(...PORT_OFFSETS.values());
/** After a stop signal, the process exits even if something still holds it open. */
const FORCED_EXIT_MS = 5_000;

/** The emulator's settings from the command line. @internal */
export function emulatorOptionsFrom(args: string[]): { options: EmulatorOptions; json: boolean } | "help" {
  const values = parseCommandArgs(COMMAND, args, {
    sources: { type: "string" },
    fail: { type: "string" },
    "retry-after": { type: "string" },
    latency: { type: "string" },
    hang: { type: "boolean" },
    "throttle-after": { type: "string" },
    "port-base": { type: "string" },
    "token-folder": { type: "string" },
    "tokens-from": { type: "string" },
    listen: { type: "string" },
    json: { type: "boolean" },
  });
  if (values["help"] === true) return "help";

  const options: EmulatorOptions = {};
  const sources = stringOption(values, "sources", COMMAND);
  if (sources !== undefined) {
    const names = sources
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    const unknown = names.find((name) => !(EMULATED as readonly string[]).includes(name));
    if (unknown !== undefined || names.length === 0) {
      throw new UsageError(
        `--sources takes a list of ${EMULATED.join(", ")}; '${unknown ?? sources}' is not one.`,
        COMMAND,
      );
    }
    options.sources = names as EmulatedSourceName[];
  }

  const faults: FaultOptions = {};
  const fail = stringOption(values, "fail", COMMAND);
  if (fail !== undefined) {
    try {
      faults.statusSequence = parseFaultSequence(fail);
    } catch (error) {
      throw new UsageError(`--fail: ${(error as Error).message}`, COMMAND);
    }
  }
  const day = 24 * 60 * 60;
  faults.retryAfter = integerOption(values, "retry-after", COMMAND, { min: 0, max: day });
  faults.latencyMs = integerOption(values, "latency", COMMAND, { min: 0, max: day * 1000 });
  faults.throttleAfter = integerOption(values, "throttle-after", COMMAND, { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (values["hang"] === true) faults.hang = true;
  options.faults = Object.fromEntries(Object.entries(faults).filter(([, value]) => value !== undefined));

  const portBase = integerOption(values, "port-base", COMMAND, { min: 1, max: 65535 - MAX_PORT_OFFSET });
  if (portBase !== undefined)
    options.ports = Object.fromEntries([...PORT_OFFSETS].map(([name, offset]) => [name, portBase + offset]));
  const tokenFolder = stringOption(values, "token-folder", COMMAND);
  if (tokenFolder !== undefined) options.arc = { tokenFolder };
  const tokensFrom = stringOption(values, "tokens-from", COMMAND);
  if (tokensFrom !== undefined) {
    if (tokensFrom !== "emulator" && tokensFrom !== "azure-cli")
      throw new UsageError(`--tokens-from takes 'emulator' or 'azure-cli', not '${tokensFrom}'.`, COMMAND);
    options.tokensFrom = tokensFrom;
  }
  const listen = stringOption(values, "listen", COMMAND);
  if (listen !== undefined) {
    if (!/^(localhost|[0-9a-fA-F.:]+)$/.test(listen))
      throw new UsageError(`--listen takes an IP address (0.0.0.0, 172.17.0.1, ::), not '${listen}'.`, COMMAND);
    options.listen = listen;
  }
  return { options, json: values["json"] === true };
}

/** The signals that stop the emulator cleanly: Ctrl+C, a kill, and a closed terminal (SIGHUP). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The first stop signal; `dispose` stops listening (then the signals kill the process again). */
function stopSignal(): { signal: Promise<NodeJS.Signals>; dispose(): void } {
  let on: (signal: NodeJS.Signals) => void = () => undefined;
  const dispose = (): void => {
    for (const name of STOP_SIGNALS) process.off(name, on);
  };
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    on = (received) => {
      dispose();
      resolve(received);
    };
    for (const name of STOP_SIGNALS) process.on(name, on);
  });
  return { signal, dispose };
}

/**
 * `azure-managed-identity emulate`: the emulator in the foreground. Prints its endpoints and the
 * variables that point a credential at it (stdout), logs each request (stderr), and on SIGINT,
 * SIGTERM or SIGHUP closes every endpoint and removes its challenge files (and the folders it made)
 * before returning 0.
 * @internal
 */
export async function emulateCommand(args: string[], io: CliIo): Promise<ExitCodeValue> {
  const parsed = emulatorOptionsFrom(args);
  if (parsed === "help") {
    io.stdout.write(EMULATE_HELP);
    return ExitCode.ok;
  }
  // Listen for the signals before starting, so that a stop sent during start-up is not missed.
  const stopped = stopSignal();
  let emulator;
  try {
    emulator = await startEmulator({
      ...parsed.options,
      onRequest: (record) =>
        io.stderr.write(`${record.endpoint} ${record.method} ${record.path} -> ${record.outcome}\n`),
    });
  } catch (error) {
    stopped.dispose();
    io.stderr.write(`error: the emulator could not start: ${(error as Error).message}\n`);
    return ExitCode.failure;
  }

  if (parsed.json) {
    const { endpoints, env, tokenFolder, keyVaultUrl, ca, identities } = emulator;
    io.stdout.write(`${JSON.stringify({ endpoints, env, tokenFolder, keyVaultUrl, ca, identities })}\n`);
  } else {
    io.stdout.write(`${emulator.describe()}\n`);
    if (emulator.tokenFolder !== undefined) {
      io.stdout.write(
        `\n  # with this command line: azure-managed-identity token --source arc --token-folder '${emulator.tokenFolder}'\n`,
      );
    }
  }
  io.stderr.write("Emulator running; Ctrl+C, SIGTERM or SIGHUP stops it.\n");

  const signal = await stopped.signal;
  io.stderr.write(`${signal}: stopping the emulator.\n`);
  const forced = setTimeout(() => process.exit(ExitCode.ok), FORCED_EXIT_MS);
  forced.unref();
  await emulator.close();
  io.stderr.write("Emulator stopped.\n");
  return ExitCode.ok;
}
