// Security review: a challenge file swapped between the checks and the read (for a symlink out of
// the token folder, a FIFO, a retargeted link) can never make the credential read outside the
// folder. The swaps happen deterministically, inside the file-system calls the reader makes.
import { promises as fsPromises } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ArcCredential, AuthenticationError } from "../../../src/index.js";
import { type ArcFolders, makeArcFolders, startArcAgent, unguessable } from "../../helpers/arcFixture.js";
import { tokenAnswer, type TokenServer } from "../../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
// The real functions, taken before any spy replaces them.
const realRealpath = fsPromises.realpath.bind(fsPromises) as (p: string) => Promise<string>;
const realOpen = fsPromises.open.bind(fsPromises) as (p: string, flags?: number) => Promise<fsPromises.FileHandle>;

describe("a challenge file swapped between check and read", () => {
  let arc: ArcFolders;
  let inside: string;
  let outside: string;
  let outsideFile: string;
  let agent: TokenServer;
  let realm: string;

  beforeEach(async () => {
    arc = await makeArcFolders();
    inside = unguessable("inside-secret");
    outside = unguessable("outside-secret");
    realm = await arc.write("race.key", inside);
    outsideFile = await arc.write("stolen.key", outside, arc.outside);
    agent = await startArcAgent({
      challenge: () => `Basic realm=${realm}`,
      authorized: () => tokenAnswer("arc-token"),
    });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await agent.close();
    await arc.remove();
  });

  const credential = (): ArcCredential =>
    new ArcCredential({ endpoint: `${agent.origin}/token`, tokenFolder: arc.folder, retryOptions: { maxRetries: 0 } });

  /** Runs `swap` once, right after the reader has resolved `target`'s real path (the check is then done). */
  function swapAfterRealpath(target: string, swap: () => Promise<void>): void {
    let swapped = false;
    vi.spyOn(fsPromises, "realpath").mockImplementation((async (p: string) => {
      const resolved = await realRealpath(p);
      if (p === target && !swapped) {
        swapped = true;
        await swap();
      }
      return resolved;
    }) as typeof fsPromises.realpath);
  }

  /** Every Authorization header the agent received. */
  const sentSecrets = (): unknown[] =>
    agent.requests.map((r) => r.headers["authorization"]).filter((a) => a !== undefined);

  it("the file replaced by a symlink out of the folder after the checks: refused by the open itself", async () => {
    swapAfterRealpath(realm, async () => {
      await fsPromises.rm(realm);
      await fsPromises.symlink(outsideFile, realm);
    });
    const error = await credential()
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/symbolic link/);
    expect(sentSecrets()).toEqual([]);
  });

  it("the file replaced by a FIFO after the checks: refused at once, no hang", async () => {
    const { execFileSync } = await import("node:child_process");
    swapAfterRealpath(realm, async () => {
      await fsPromises.rm(realm);
      execFileSync("mkfifo", [realm]);
    });
    const error = await credential()
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/not a regular file/);
    expect(sentSecrets()).toEqual([]);
  });

  it("a link inside the folder retargeted out of it after the checks: the file that was checked is read, not the new target", async () => {
    const link = path.join(arc.folder, "link.key");
    await fsPromises.symlink(realm, link);
    realm = link;
    swapAfterRealpath(link, async () => {
      await fsPromises.rm(link);
      await fsPromises.symlink(outsideFile, link);
    });
    await expect(credential().getToken(SCOPE)).resolves.toMatchObject({ token: "arc-token" });
    expect(sentSecrets()).toEqual([`Basic ${inside}`]);
  });

  it("the file replaced by a symlink out of the folder once it is open: the open file is read, not the new one", async () => {
    let swapped = false;
    vi.spyOn(fsPromises, "open").mockImplementation((async (p: string, flags?: number) => {
      const handle = await realOpen(p, flags);
      if (p === realm && !swapped) {
        swapped = true;
        await fsPromises.rm(realm);
        await fsPromises.symlink(outsideFile, realm);
      }
      return handle;
    }) as typeof fsPromises.open);
    await expect(credential().getToken(SCOPE)).resolves.toMatchObject({ token: "arc-token" });
    expect(swapped).toBe(true);
    expect(sentSecrets()).toEqual([`Basic ${inside}`]);
  });

  it("without a swap, the same outside file named directly is refused (the races above are the only way in)", async () => {
    realm = outsideFile;
    const error = await credential()
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(sentSecrets()).toEqual([]);
  });
});
