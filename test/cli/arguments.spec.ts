// The command line's own words for every mistake (never node:util parseArgs's), run in process:
// the option, what it takes, and the pointer to --help, with exit code 2.
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run.js";

/** Runs the command line in this process, with its output captured. */
async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe("usage errors in our own words", () => {
  it.each([
    // parseArgs said "argument is ambiguous … use '--timeout=-XYZ'": the value is refused for what it is.
    [["token", "--timeout", "-5"], "error: --timeout must be a whole number"],
    [["doctor", "--probe-timeout", "-1"], "error: --probe-timeout must be a whole number"],
    // parseArgs suggested `-- "--bogus` (an unbalanced quote), which then failed as "Unexpected argument".
    [["token", "--bogus"], "error: Unknown option '--bogus'. 'token' takes --scope, --resource, --source"],
    [["emulate", "-x"], "error: Unknown option '-x'. 'emulate' takes --sources"],
    [["token", "--scope"], "error: --scope needs a value: a scope, such as https://vault.azure.net/.default."],
    [["token", "--scope", "--json"], "error: --scope needs a value: a scope"],
    [["token", "--timeout"], "error: --timeout needs a value: a number of milliseconds."],
    [["emulate", "--hang=yes"], "error: --hang takes no value; give '--hang' alone."],
    [["token", "--json", "extra"], "error: Unexpected argument 'extra': 'token' takes options only."],
    [["token", "--", "--bogus"], "error: Unexpected argument '--bogus'"],
    [["--bogus"], "error: Unknown option '--bogus'. The commands are token, doctor, emulate."],
  ])("%j", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
    expect(result.stderr).toMatch(/\nRun 'azure-managed-identity( \w+)? --help' for the usage\.\n$/);
    expect(result.stderr).not.toMatch(/ambiguous|XYZ|To specify a positional argument|ERR_PARSE_ARGS/);
  });
});

describe("an option given twice", () => {
  it.each([
    [["token", "--scope", "https://a.example/.default", "--scope", "https://b.example/.default"], "--scope"],
    [["token", "--scope=https://a.example/.default", "--scope", "https://b.example/.default"], "--scope"],
    [["token", "--json", "--json"], "--json"],
    [["doctor", "--probe-timeout", "5", "--probe-timeout", "6"], "--probe-timeout"],
    [["emulate", "--fail", "500", "--fail", "410"], "--fail"],
  ])("%j is a usage error, not the last one silently winning", async (argv, option) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: ${option} is given more than once; give it once.`);
  });

  it("--help twice is still the help", async () => {
    const result = await run(["token", "--help", "-h"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: azure-managed-identity token");
  });
});

describe("a bad scope is a usage error naming the option and the value, nothing sent", () => {
  it.each([
    [["token", "--scope", "not a url"], '--scope "not a url": The scope "not a url" holds whitespace'],
    [["token", "--scope", "https://a/.default https://b/.default"], "several scopes"],
    [["token", "--scope", "   "], "--scope needs a value"],
    [["token", "--resource", "vault"], '--resource "vault" is not a resource: give an absolute URI'],
    [["token", "--scope", "vault/.default"], '--scope "vault/.default" is not a scope: give an absolute URI'],
    [["token", "--scope", "/.default"], '--scope "/.default": The scope "/.default" names no resource'],
    [["doctor", "--scope", "not a url"], '--scope "not a url"'],
  ])("%j", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("token --help", () => {
  it("says IMDS is probed last, after the environment (it said 'probed first')", async () => {
    const result = await run(["token", "--help"]);
    expect(result.code).toBe(0);
    const text = result.stdout.replace(/\s+/g, " ");
    expect(text).not.toContain("probed first");
    expect(text).toContain("the environment first, and only when it names no source, IMDS, probed last");
  });
});

describe("no arguments", () => {
  it("is a usage error: the help on stderr, nothing on stdout, exit code 2", async () => {
    const result = await run([]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain("Usage:\n  azure-managed-identity <command> [options]");
  });

  it("--help: the help on stdout, exit code 0", async () => {
    const result = await run(["--help"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("Usage:\n  azure-managed-identity <command> [options]");
  });
});
