import { SDK_VERSION } from "../constants.js";
import { ExitCode, type ExitCodeValue } from "./exitCodes.js";
import { MAIN_HELP, PROGRAM } from "./help.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./usageError.js";

type Command = (args: string[], io: CliIo) => Promise<ExitCodeValue>;

/** Each command is loaded only when run: `token` need not load the emulator. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  token: async () => (await import("./tokenCommand.js")).tokenCommand,
  doctor: async () => (await import("./doctor/doctorCommand.js")).doctorCommand,
  emulate: async () => (await import("./emulateCommand.js")).emulateCommand,
};

/**
 * Runs the command line: `argv` without the node and script paths. Returns the exit code
 * (0 ok, 1 no token, 2 usage error, 3 nothing found by `doctor`).
 * @internal
 */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCodeValue> {
  const [first, ...rest] = argv;
  try {
    // No command is a usage error (nothing was asked): the help goes to stderr, stdout stays empty, exit 2.
    // Asked for, with --help, it goes to stdout with exit 0.
    if (first === undefined) {
      io.stderr.write(MAIN_HELP);
      return ExitCode.usage;
    }
    if (first === "--help" || first === "-h") {
      io.stdout.write(MAIN_HELP);
      return ExitCode.ok;
    }
    if (first === "--version" || first === "-v") {
      io.stdout.write(`${SDK_VERSION}\n`);
      return ExitCode.ok;
    }
    if (first === "help") return runCli(rest[0] === undefined ? ["--help"] : [rest[0], "--help"], io);
    const load = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
    if (load === undefined) {
      const what = first.startsWith("-") ? "option" : "command";
      throw new UsageError(`Unknown ${what} '${first}'. The commands are ${Object.keys(COMMANDS).join(", ")}.`);
    }
    return await (
      await load()
    )(rest, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const help = error.command ? `${PROGRAM} ${error.command} --help` : `${PROGRAM} --help`;
    io.stderr.write(`error: ${error.message}\nRun '${help}' for the usage.\n`);
    return ExitCode.usage;
  }
}
