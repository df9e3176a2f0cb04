// A reader that goes away (`token | head -c1`, `doctor | true`): the command ends quietly with its own
// exit code, not Node's "Unhandled 'error' event … EPIPE" stack trace and exit code 1 ("no token").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { cliEnv, closedPort, finished, startCli } from "../helpers/runCli.js";

let emulator: Emulator;
let closed: number;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["imds"] });
  closed = await closedPort();
});
afterAll(() => emulator.close());

/** Runs the command line with its stdout closed at once, as `| true` does. */
async function withClosedStdout(args: string[], env: NodeJS.ProcessEnv) {
  const child = startCli(args, env);
  child.stdout!.destroy();
  return finished(child);
}

describe("stdout closed by the reader", () => {
  it("token: exit code 0 (the token was got), nothing on stderr", async () => {
    const run = await withClosedStdout(
      ["token", "--source", "imds", "--resource", "https://vault.azure.net"],
      cliEnv(closed, emulator.env.imds),
    );
    expect(run.stderr).toBe("");
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
  });

  it.each([[["doctor"]], [["doctor", "--json"]]])("%j: its own exit code, nothing on stderr", async (args) => {
    const run = await withClosedStdout(args, cliEnv(closed, emulator.env.imds));
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled|at /);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
  });

  it("doctor finding nothing: still exit code 3, not 1", async () => {
    const run = await withClosedStdout(["doctor", "--json"], cliEnv(closed));
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(run.code).toBe(3);
  });
});
