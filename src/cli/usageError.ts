/**
 * A mistake on the command line: reported with a pointer to `--help`, exit code 2.
 * @internal
 */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` to point at; none for the top level. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}
