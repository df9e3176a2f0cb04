/**
 * The command line's exit codes, documented in `--help` and the README.
 * @internal
 */
export const ExitCode = {
  /** The command did what was asked: a token was printed, the doctor got one, the emulator stopped on a signal. */
  ok: 0,
  /** No token: the source was not found or failed (the message says which and why); the emulator could not start. */
  failure: 1,
  /** The command line is wrong: an unknown command or option, a bad value, options that cannot go together. */
  usage: 2,
  /** `doctor` found no managed identity source on this machine. */
  nothingFound: 3,
} as const;

/** One of {@link ExitCode}'s values. @internal */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
