// A malformed environment is the host's configuration, not a usage error (issue 21 §3): `token` exits 1, not 2,
// and `doctor` gives one finding that names the variable and the fix, not first "Drop the identity option".
import { describe, expect, it } from "vitest";
import { cliEnv, closedPort, runCli } from "../helpers/runCli.js";

const BAD = { IDENTITY_ENDPOINT: "notaurl", IDENTITY_HEADER: "x" };

describe("IDENTITY_ENDPOINT=notaurl IDENTITY_HEADER=x", () => {
  it("token exits 1 with the variable named, not 2 with the usage", async () => {
    const run = await runCli(["token", "--scope", "https://vault.azure.net/.default"], cliEnv(await closedPort(), BAD));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /AuthenticationError: App Service is misconfigured: IDENTITY_ENDPOINT is not a URL: 'notaurl'/,
    );
    expect(run.stderr).not.toMatch(/--help/);
  });

  it("doctor gives one finding: the variable is not a URL, and how to fix it", async () => {
    const run = await runCli(["doctor", "--json"], cliEnv(await closedPort(), BAD));
    const report = JSON.parse(run.stdout) as {
      findings: { id: string; cause: string; fix: string }[];
      exitCode: number;
    };
    expect(report.findings.map((finding) => finding.id)).toEqual(["misconfigured"]);
    expect(report.findings[0]!.cause).toMatch(/IDENTITY_ENDPOINT is not a URL: 'notaurl'/);
    expect(report.findings[0]!.fix).toMatch(/Fix or unset/);
    expect(run.code).toBe(1);
  });
});
