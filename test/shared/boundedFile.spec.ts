import { execFileSync } from "node:child_process";
import { promises as fs, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileRefusedError, readBoundedFile } from "../../src/shared/boundedFile.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mi-bounded-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The refusal a read ended with, or the error itself when it is not a refusal. */
async function refusalOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "read",
    (error: unknown) => (error instanceof FileRefusedError ? error.refusal : error),
  );
}

// One bounded read for the Arc challenge file, the federated token file and the AKS token proxy's CA file.
describe("readBoundedFile", () => {
  it("reads a regular file of at most maxBytes, from the descriptor it checked", async () => {
    const file = path.join(dir, "f");
    writeFileSync(file, "x".repeat(10));
    const { stat, content } = await readBoundedFile(file, { maxBytes: 10 });
    expect(content!.toString()).toBe("x".repeat(10));
    expect(stat.size).toBe(10n);
  });

  it("refuses one byte more, a directory, a FIFO (at once) and a missing file, each with its reason", async () => {
    writeFileSync(path.join(dir, "big"), "x".repeat(11));
    execFileSync("mkfifo", [path.join(dir, "fifo")]);
    expect(await refusalOf(readBoundedFile(path.join(dir, "big"), { maxBytes: 10 }))).toEqual({
      reason: "too-large",
      maxBytes: 10,
    });
    expect(await refusalOf(readBoundedFile(dir, { maxBytes: 10 }))).toEqual({ reason: "not-a-file" });
    expect(await refusalOf(readBoundedFile(path.join(dir, "fifo"), { maxBytes: 10 }))).toEqual({
      reason: "not-a-file",
    });
    expect(await refusalOf(readBoundedFile(path.join(dir, "none"), { maxBytes: 10 }))).toEqual({
      reason: "open",
      code: "ENOENT",
    });
  });

  it("noFollow refuses a symbolic link; without it the link's target is read", async () => {
    writeFileSync(path.join(dir, "target"), "content");
    symlinkSync(path.join(dir, "target"), path.join(dir, "link"));
    expect(await refusalOf(readBoundedFile(path.join(dir, "link"), { maxBytes: 10, noFollow: true }))).toEqual({
      reason: "open",
      code: "ELOOP",
    });
    const { content } = await readBoundedFile(path.join(dir, "link"), { maxBytes: 10 });
    expect(content!.toString()).toBe("content");
  });

  it("beforeRead sees the opened file's stat: false skips the read, a throw refuses it", async () => {
    const file = path.join(dir, "f");
    writeFileSync(file, "content");
    const skipped = await readBoundedFile(file, { maxBytes: 10, beforeRead: (stat) => stat.size !== 7n });
    expect(skipped.content).toBeUndefined();
    const refused = new Error("not this one");
    await expect(
      readBoundedFile(file, {
        maxBytes: 10,
        beforeRead: () => {
          throw refused;
        },
      }),
    ).rejects.toBe(refused);
  });

  it("an aborted signal ends the wait with an AbortError, and the descriptor is closed", async () => {
    const file = path.join(dir, "f");
    writeFileSync(file, "content");
    const controller = new AbortController();
    const reading = readBoundedFile(file, { maxBytes: 10, signal: controller.signal });
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: "AbortError" });
    await expect(readBoundedFile(file, { maxBytes: 10, signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
    // Nothing holds the file: it can be removed and the folder with it.
    await fs.rm(file);
  });
});
