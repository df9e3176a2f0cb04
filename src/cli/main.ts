#!/usr/bin/env node
// The `azure-managed-identity` command. Kept out of the package's main entry: importing the
// credentials never loads the command line. (No top-level await: the CommonJS build compiles this too.)
import { dropOutputOnClosedPipe } from "./closedPipe.js";
import { runCli } from "./run.js";

dropOutputOnClosedPipe(process.stdout);
dropOutputOnClosedPipe(process.stderr);

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bug, not a usage or token error: say what it was; the stack only when logging is on.
    process.stderr.write(`error: ${(error as Error | undefined)?.message ?? String(error)}\n`);
    if (process.env["AZURE_LOG_LEVEL"]) process.stderr.write(`${(error as Error | undefined)?.stack ?? ""}\n`);
    process.exitCode = 1;
  },
);
