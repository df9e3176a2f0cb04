import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ArcCredential } from "../../../src/index.js";
import {
  expectSecretNeverSent,
  type HimdsAgent,
  makeTokenFolder,
  newSecret,
  startHimdsAgent,
  type TokenFolder,
  writeKey,
} from "../../helpers/himdsAgent.js";

const SCOPE = "https://vault.azure.net/.default";
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const CHILD = fileURLToPath(new URL("./fixtures/arcAsUser.ts", import.meta.url));
const NOBODY = 65534;

/** What the credential threw, as the child process reports it. */
interface Outcome {
  ok: boolean;
  name?: string;
  message?: string;
  code?: string;
}

/** Whether mode bits deny this process a read; they do not for root (CAP_DAC_OVERRIDE). */
async function permissionsApplyToUs(): Promise<boolean> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "arc-probe-"));
  const probe = path.join(dir, "probe");
  await fs.writeFile(probe, "x");
  await fs.chmod(probe, 0o000);
  try {
    await fs.readFile(probe);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EACCES";
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

let inProcess: boolean;
beforeAll(async () => {
  inProcess = await permissionsApplyToUs();
  if (!inProcess && process.getuid?.() !== 0) {
    throw new Error(
      "mode bits do not deny this process a read, and it is not root: cannot run the check as another user",
    );
  }
});

/**
 * Runs ArcCredential against the agent where mode bits bind: in this process when they apply to it,
 * otherwise (tests running as root) in a child process as the unprivileged user \`nobody\`.
 */
async function getTokenUnprivileged(tokens: TokenFolder, endpoint: string): Promise<Outcome> {
  if (inProcess) {
    try {
      await new ArcCredential({ endpoint, tokenFolder: tokens.folder }).getToken(SCOPE);
      return { ok: true };
    } catch (error) {
      const { name, message, code } = error as Error & { code?: string };
      return { ok: false, name, message, code };
    }
  }
  // The child loads its code as root (the clone may sit in a folder only root can enter), then drops to
  // 'nobody' before the credential touches the challenge file.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", CHILD, endpoint, tokens.folder, String(NOBODY)],
    {
      cwd: REPO,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: os.tmpdir() },
      timeout: 15_000,
    },
  );
  return JSON.parse(stdout) as Outcome;
}

describe("ArcCredential on a challenge file it may not read", () => {
  let tokens: TokenFolder;
  let agent: HimdsAgent | undefined;
  beforeEach(async () => {
    tokens = await makeTokenFolder();
    // The user under test must be able to reach the token folder; each test sets the mode it examines.
    await fs.chmod(tokens.root, 0o755);
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await tokens.remove();
  });

  it("an unreadable file (mode 000): names the himds group and sends nothing", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "x.key"), secret);
    await fs.chmod(tokens.folder, 0o755);
    await fs.chmod(file, 0o000);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });

    const outcome = await getTokenUnprivileged(tokens, agent.endpoint);

    expect(outcome.ok).toBe(false);
    expect(outcome.name).toBe("AuthenticationError");
    expect(outcome.code).toBe("arc-file-permission");
    expect(outcome.message).toMatch(/refused to read the challenge file .*x\.key.*: permission denied/);
    expect(outcome.message).toMatch(/'himds' group/);
    expect(outcome.message).toMatch(/usermod -a -G himds/);
    expect(outcome.message).not.toContain(secret);
    expect(agent.requests).toHaveLength(1);
    expectSecretNeverSent(agent, secret);
  });

  it("a token folder this user may not enter (the agent's 'himds' folder): names the himds group and sends nothing", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "x.key"), secret);
    // On an Arc server the folder is root:himds 0750; a user outside the group cannot look inside.
    await fs.chmod(tokens.folder, inProcess ? 0o000 : 0o700);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });

    const outcome = await getTokenUnprivileged(tokens, agent.endpoint);

    expect(outcome.ok).toBe(false);
    expect(outcome.name).toBe("AuthenticationError");
    expect(outcome.code).toBe("arc-file-permission");
    expect(outcome.message).toMatch(/permission denied/);
    expect(outcome.message).toMatch(/'himds' group/);
    expect(outcome.message).not.toContain(secret);
    expectSecretNeverSent(agent, secret);
  });

  it("a token folder inside a folder this user may not enter: names the himds group and sends nothing", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "x.key"), secret);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    await fs.chmod(tokens.root, inProcess ? 0o000 : 0o700);

    const outcome = await getTokenUnprivileged(tokens, agent.endpoint);

    expect(outcome.ok).toBe(false);
    expect(outcome.name).toBe("AuthenticationError");
    expect(outcome.code).toBe("arc-file-permission");
    expect(outcome.message).toMatch(/token folder .* cannot be opened: permission denied/);
    expect(outcome.message).toMatch(/'himds' group/);
    expectSecretNeverSent(agent, secret);
  });

  it("the same file, once readable, gives the token (the refusals above are about permission only)", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "x.key"), secret);
    await fs.chmod(tokens.folder, 0o755);
    await fs.chmod(file, 0o644);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });

    const outcome = await getTokenUnprivileged(tokens, agent.endpoint);

    expect(outcome).toEqual({ ok: true });
    expect(agent.requests[1]!.headers["authorization"]).toBe(`Basic ${secret}`);
  });
});
