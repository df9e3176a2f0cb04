import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** What the fake `az` does on its next runs. */
export type FakeAzureCliMode =
  "ok" | "not-signed-in" | "fail" | "hang" | "hang-with-child" | "garbage" | "old-expiry-field";

/**
 * A stand-in for the Azure CLI (not installed on these machines): an executable `az` in a folder of its own that
 * prints what `az account get-access-token --output json` prints (the fields and shapes of Azure CLI 2.54+:
 * `accessToken`, `expiresOn` as a local date-time, `expires_on` in seconds, `subscription`, `tenant`,
 * `tokenType`), or fails as it does when nobody is signed in ("Please run 'az login' to setup account." on
 * stderr, exit code 1), or hangs. Every run appends its argv (as JSON) to a log, so a test can count the runs and
 * see each argument exactly as `az` received it.
 */
export class FakeAzureCli {
  readonly folder = mkdtempSync(join(tmpdir(), "fake-az-"));
  private readonly log = join(this.folder, "runs.log");
  private readonly config = join(this.folder, "config.json");

  constructor(mode: FakeAzureCliMode = "ok", delayMs = 0) {
    this.setMode(mode, delayMs);
    const script = join(this.folder, "az");
    writeFileSync(
      script,
      `#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
fs.appendFileSync(${JSON.stringify(this.log)}, JSON.stringify(process.argv.slice(2)) + "\\n");
const { mode, delayMs } = JSON.parse(fs.readFileSync(${JSON.stringify(this.config)}, "utf8"));
const args = process.argv.slice(2);
const resource = args[args.indexOf("--resource") + 1];
const tenant = args.includes("--tenant") ? args[args.indexOf("--tenant") + 1] : "72f988bf-86f1-41af-91ab-2d7cd011db47";
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const now = Math.floor(Date.now() / 1000);
const exp = now + 3600;
const claims = { aud: resource, iss: "https://sts.windows.net/" + tenant + "/", iat: now, nbf: now, exp, tid: tenant,
  oid: "11111111-2222-3333-4444-555555555555", upn: "developer@contoso.com", appid: "04b07795-8ddb-461a-bbee-02f9e1bf7b46", scp: "user_impersonation" };
const token = b64({ alg: "RS256", typ: "JWT" }) + "." + b64(claims) + ".c2lnbmF0dXJl";
const local = new Date(exp * 1000);
const pad = (n) => String(n).padStart(2, "0");
const expiresOn = local.getFullYear() + "-" + pad(local.getMonth() + 1) + "-" + pad(local.getDate()) + " " + pad(local.getHours()) + ":" + pad(local.getMinutes()) + ":" + pad(local.getSeconds()) + ".000000";
setTimeout(() => {
  if (mode === "hang") { setInterval(() => {}, 1000); return; }
  if (mode === "hang-with-child") {
    // As the real az (a bash wrapper around python): the process started is not the one that hangs.
    const child = require("node:child_process").spawn("sleep", ["300"], { stdio: "ignore" });
    fs.writeFileSync(path.join(${JSON.stringify(this.folder)}, "child.pid"), String(child.pid));
    setInterval(() => {}, 1000);
    return;
  }
  if (mode === "not-signed-in") { process.stderr.write("ERROR: Please run 'az login' to setup account.\\n"); process.exit(1); }
  if (mode === "fail") { process.stderr.write("ERROR: AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.\\n"); process.exit(1); }
  if (mode === "garbage") { process.stdout.write("<html>not json</html>"); process.exit(0); }
  const answer = { accessToken: token, expiresOn, subscription: "00000000-0000-0000-0000-000000000000", tenant, tokenType: "Bearer" };
  if (mode !== "old-expiry-field") answer.expires_on = exp;
  process.stdout.write(JSON.stringify(answer, null, 2) + "\\n");
}, delayMs);
`,
    );
    chmodSync(script, 0o755);
  }

  /** Changes what the next runs do. */
  setMode(mode: FakeAzureCliMode, delayMs = 0): void {
    writeFileSync(this.config, JSON.stringify({ mode, delayMs }));
  }

  /** Every run so far, its arguments as `az` received them. */
  runs(): string[][] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as string[]);
  }

  /** The process id of the child a `hang-with-child` run started, once it has. */
  childPid(): number | undefined {
    const file = join(this.folder, "child.pid");
    return existsSync(file) ? Number(readFileSync(file, "utf8")) : undefined;
  }

  /** `PATH` with this fake first, for a child process or `process.env`. */
  path(base = process.env["PATH"] ?? ""): string {
    return `${this.folder}${delimiter}${base}`;
  }

  remove(): void {
    rmSync(this.folder, { recursive: true, force: true });
  }
}
