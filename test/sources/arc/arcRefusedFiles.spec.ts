import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError, type AuthenticationErrorCode } from "../../../src/index.js";
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

/** Fails the test with a clear message instead of letting it hang until the test timeout. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

describe("ArcCredential refuses every challenge file the agent did not write, and sends nothing", () => {
  let tokens: TokenFolder;
  let agent: HimdsAgent | undefined;
  beforeEach(async () => {
    tokens = await makeTokenFolder();
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await tokens.remove();
  });

  /**
   * Challenges with `realm`, expects a refusal with `code` whose message matches `why`, and checks the
   * secret never left.
   */
  async function expectRefused(
    realm: string,
    secret: string,
    why: RegExp,
    code: AuthenticationErrorCode = "arc-file-invalid",
  ): Promise<AuthenticationError> {
    agent = await startHimdsAgent({ challenge: `Basic realm="${realm}"`, secret });
    const credential = new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder });
    const error = await within(credential.getToken(SCOPE), 5_000, "getToken").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/^Azure Arc: refused to read the challenge file/);
    expect((error as Error).message).toMatch(why);
    expect((error as AuthenticationError).code).toBe(code);
    expect((error as Error).message).not.toContain(secret);
    expect(agent.requests).toHaveLength(1);
    expectSecretNeverSent(agent, secret);
    return error as AuthenticationError;
  }

  it("a file outside the token folder", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.outside, "x.key"), secret);
    await expectRefused(file, secret, /not inside the agent's token folder/, "arc-file-outside-folder");
  });

  it("a file in a folder inside the token folder (only the folder itself is trusted)", async () => {
    const secret = newSecret();
    await fs.mkdir(path.join(tokens.folder, "sub"));
    const file = await writeKey(path.join(tokens.folder, "sub", "x.key"), secret);
    await expectRefused(file, secret, /not inside the agent's token folder/, "arc-file-outside-folder");
  });

  it("a path whose '..' escapes the token folder", async () => {
    const secret = newSecret();
    await writeKey(path.join(tokens.outside, "x.key"), secret);
    // Spelled by hand: path.join would resolve the '..' before the credential sees it.
    const realm = `${tokens.folder}${path.sep}..${path.sep}outside${path.sep}x.key`;
    expect(realm.startsWith(tokens.folder)).toBe(true);
    await expectRefused(realm, secret, /not inside the agent's token folder/, "arc-file-outside-folder");
  });

  it("a relative path", async () => {
    const secret = newSecret();
    await writeKey(path.join(tokens.folder, "x.key"), secret);
    await expectRefused("x.key", secret, /not absolute/);
  });

  it("a symlink inside the token folder that points out of it", async () => {
    const secret = newSecret();
    const target = await writeKey(path.join(tokens.outside, "target.key"), secret);
    const link = path.join(tokens.folder, "link.key");
    await fs.symlink(target, link);
    await expectRefused(link, secret, /not inside the agent's token folder/, "arc-file-outside-folder");
  });

  it("a .key symlink inside the token folder that points to a file of another kind beside it", async () => {
    const secret = newSecret();
    const target = await writeKey(path.join(tokens.folder, "notes.txt"), secret);
    const link = path.join(tokens.folder, "link.key");
    await fs.symlink(target, link);
    await expectRefused(link, secret, /links to a file that is not a \.key file/);
  });

  it("a file with the wrong extension (.txt)", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "x.txt"), secret);
    await expectRefused(file, secret, /not a \.key file/);
  });

  it("a file of 4097 bytes, one over the limit", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "big.key"), secret.padEnd(4097, "x"));
    await expectRefused(file, secret, /larger than 4096 bytes/);
  });

  it("a missing file", async () => {
    const secret = newSecret();
    await expectRefused(path.join(tokens.folder, "missing.key"), secret, /does not exist/, "arc-file-missing");
  });

  it("an empty file", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "empty.key"), "");
    await expectRefused(file, secret, /empty/);
  });

  it("a FIFO named x.key, at once and without hanging the process", async () => {
    const secret = newSecret();
    const fifo = path.join(tokens.folder, "x.key");
    execFileSync("mkfifo", [fifo]);
    expect((await fs.lstat(fifo)).isFIFO()).toBe(true);
    await expectRefused(fifo, secret, /not a regular file/);
  });

  it("a directory named x.key", async () => {
    const secret = newSecret();
    const directory = path.join(tokens.folder, "x.key");
    await fs.mkdir(directory);
    await writeKey(path.join(directory, "inner"), secret);
    await expectRefused(directory, secret, /not a regular file/);
  });

  it("any file, when the configured token folder does not exist", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "x.key"), secret);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    const credential = new ArcCredential({
      endpoint: agent.endpoint,
      tokenFolder: path.join(tokens.root, "no-such-folder"),
    });
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/token folder .* cannot be opened/);
    expect((error as AuthenticationError).code).toBe("arc-folder-missing");
    expectSecretNeverSent(agent, secret);
  });

  it("the agent's real token folder unless the application sets another: a temp-folder realm is refused by default", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "x.key"), secret);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    // No tokenFolder: the folder is the agent's default, which the server's realm cannot change.
    const error = await new ArcCredential({ endpoint: agent.endpoint }).getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/refused to read the challenge file/);
    expectSecretNeverSent(agent, secret);
  });
});

describe("ArcCredential sends the secret only to a loopback endpoint", () => {
  let tokens: TokenFolder;
  beforeEach(async () => {
    tokens = await makeTokenFolder();
  });
  afterEach(async () => {
    nock.cleanAll();
    await tokens.remove();
  });

  it("refuses a challenge from a non-loopback endpoint without reading or sending the file", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "x.key"), secret);
    // nock answers in-process: no packet leaves the machine (and test/setup.ts refuses any that would).
    // 192.0.2.1 is TEST-NET-1, reserved for documentation and never routed.
    const seen: Record<string, unknown>[] = [];
    const scope = nock("http://192.0.2.1:40342")
      .get("/metadata/identity/oauth2/token")
      .query(true)
      .times(2)
      .reply(function () {
        seen.push({ ...this.req.headers });
        return [401, "", { "WWW-Authenticate": `Basic realm=${file}` }];
      });
    const credential = new ArcCredential({
      endpoint: "http://192.0.2.1:40342/metadata/identity/oauth2/token",
      tokenFolder: tokens.folder,
    });

    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/came from http:\/\/192\.0\.2\.1:40342, which is not this machine/);
    expect((error as AuthenticationError).code).toBe("arc-challenge-not-loopback");
    expect(seen).toHaveLength(1);
    expect(seen[0]!["authorization"]).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(secret);
    expect(scope.pendingMocks()).toHaveLength(1); // the second interceptor was never used
  });
});
