// No password in what the command line prints: a proxy or endpoint variable with user info, scheme-less
// (`alice:s3cret@proxy.corp:3128`, which curl takes) or malformed (`http://admin:s3cret@[bad`), is shown
// with its user info masked in the doctor's text, its --json, its findings and its detection reason,
// and in `token`'s error. Nothing here connects anywhere: the proxies are never used, IMDS is a closed port.
import { beforeAll, describe, expect, it } from "vitest";
import { cliEnv, closedPort, runCli } from "../helpers/runCli.js";

const SECRET = "s3cret";
let closed: number;
beforeAll(async () => {
  closed = await closedPort();
});

const PROXIES: Record<string, string>[] = [
  { HTTPS_PROXY: `alice:${SECRET}@proxy.corp:3128` },
  { http_proxy: `alice:${SECRET}@proxy.corp:3128` },
  { HTTP_PROXY: `http://alice:${SECRET}@proxy.corp:3128/` },
  { HTTPS_PROXY: `http://alice:${SECRET}@[bad` },
];

describe("doctor masks the user info of proxy and endpoint variables", () => {
  it.each(PROXIES)("%j: text and --json, the finding included", async (proxy) => {
    const env = cliEnv(closed, proxy);
    for (const args of [["doctor"], ["doctor", "--json"]]) {
      const run = await runCli(args, env);
      expect(run.code).toBe(3);
      expect(run.stdout + run.stderr).not.toContain(SECRET);
      expect(run.stdout).toContain("****@");
      if (args.includes("--json")) {
        const report = JSON.parse(run.stdout) as { findings: { id: string; cause: string }[] };
        expect(report.findings.find((finding) => finding.id === "imds-proxy")?.cause).toContain("****@");
      }
    }
  });

  it("a malformed IDENTITY_ENDPOINT with user info: masked in the variables, the detection reason and the findings", async () => {
    const env = cliEnv(closed, { IDENTITY_ENDPOINT: `http://admin:${SECRET}@[bad`, IDENTITY_HEADER: "h" });
    for (const args of [["doctor"], ["doctor", "--json"]]) {
      const run = await runCli(args, env);
      expect(run.stdout + run.stderr).not.toContain(SECRET);
      expect(run.stdout).toContain("http://****@[bad");
      if (args.includes("--json")) {
        const report = JSON.parse(run.stdout) as { detection: { reason: string }; findings: { cause: string }[] };
        expect(report.detection.reason).toContain("http://****@[bad");
        expect(report.findings.some((finding) => finding.cause.includes("http://****@[bad"))).toBe(true);
      }
    }
  });
});

describe("token masks them too", () => {
  it("the TypeError for a malformed IDENTITY_ENDPOINT names it without the password", async () => {
    const env = cliEnv(closed, { IDENTITY_ENDPOINT: `http://admin:${SECRET}@[bad`, IDENTITY_HEADER: "h" });
    for (const args of [["token"], ["token", "--source", "appservice"]]) {
      const run = await runCli(args, env);
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain("IDENTITY_ENDPOINT");
      expect(run.stderr).toContain("http://****@[bad");
      expect(run.stderr).not.toContain(SECRET);
    }
  });
});
