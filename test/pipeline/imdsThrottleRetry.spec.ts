// IMDS's 429 without Retry-After (issue 22): IMDS throttles each VM to about 20 token requests a second and
// 5 at once, and its answer says nothing of when to come back. Microsoft's guidance: retry 429 with exponential
// back-off ("Retry guidance" in https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#error-handling).
// Driven alone with scripted answers and fake timers, as test/pipeline/imdsRetryPolicy.spec.ts; several
// policies stand for several processes of one host, sharing this test process's private temporary folder.
import { execFileSync } from "node:child_process";
import {
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { imdsRetryPolicy } from "../../src/index.js";
import { HOST_QUEUE_SPACING_MS } from "../../src/pipeline/imdsHostQueue.js";
import { FAKE_START, settleWithFakeClock, useFakeClock } from "../helpers/fakeClock.js";
import { loopbackRequest, scriptedNext, type ScriptStep } from "../helpers/scriptedNext.js";

const QUEUE_PREFIX = "azure-managed-identity-imds-queue-";

/** One process of the host: its own policy, its own script; `calls` are its tries, from the fake start. */
function process_(steps: ScriptStep[], options?: Parameters<typeof imdsRetryPolicy>[0]) {
  const script = scriptedNext(steps);
  const promise = imdsRetryPolicy(options).sendRequest(loopbackRequest(), script.next);
  const at = (): number[] => script.calls.map((t) => t - FAKE_START.getTime());
  const gaps = (): number[] => script.calls.slice(1).map((t, i) => t - script.calls[i]!);
  return { script, promise, at, gaps };
}

const queueFiles = (): string[] => readdirSync(os.tmpdir()).filter((name) => name.startsWith(QUEUE_PREFIX));

let realTmp: string | undefined;
beforeEach(() => {
  useFakeClock();
  vi.spyOn(Math, "random").mockReturnValue(0.5);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  if (realTmp !== undefined) process.env["TMPDIR"] = realTmp;
  realTmp = undefined;
});

/** The temporary folder as it is read at the policy's construction: one that cannot hold the queue. */
function withoutUsableTmp(): void {
  realTmp = process.env["TMPDIR"];
  process.env["TMPDIR"] = path.join(os.tmpdir(), "does-not-exist");
}

describe("IMDS 429 without Retry-After: a time budget, not a count", () => {
  it("retries past maxRetries until at least 90 s have been waited, then returns the 429", async () => {
    const one = process_([429]);
    expect((await settleWithFakeClock(one.promise, { maxTimers: 500 })).status).toBe(429);
    // The old rule, 5 retries, stopped within 25 s.
    expect(one.script.calls.length).toBeGreaterThan(6);
    expect(one.at().at(-1)!).toBeGreaterThanOrEqual(90_000);
    // ...and not much more: the last wait is at most one window (60 s).
    expect(one.at().at(-1)!).toBeLessThan(90_000 + 60_000);
  });

  it("gives the token when IMDS lets the request through after more 429s than the default count", async () => {
    const one = process_([429, 429, 429, 429, 429, 429, 429, 429, 200]);
    expect((await settleWithFakeClock(one.promise, { maxTimers: 500 })).status).toBe(200);
    expect(one.script.calls).toHaveLength(9);
  });

  it("an explicit maxRetries is the caller's choice: that many retries, on the new jitter", async () => {
    const one = process_([429], { maxRetries: 2 });
    expect((await settleWithFakeClock(one.promise)).status).toBe(429);
    expect(one.script.calls).toHaveLength(3);
  });

  it("counts a 429 with Retry-After against an explicit maxRetries", async () => {
    const one = process_([{ status: 429, headers: { "Retry-After": "1" } }], { maxRetries: 2 });
    expect((await settleWithFakeClock(one.promise)).status).toBe(429);
    expect(one.script.calls).toHaveLength(3);
    // Alone in the queue: exactly the Retry-After.
    expect(one.gaps()).toEqual([1000, 1000]);
  });

  it("gives a 429 with Retry-After the same time budget when maxRetries is left unset", async () => {
    const throttled = { status: 429, headers: { "Retry-After": "1" } };
    const one = process_([...Array.from({ length: 8 }, () => throttled), 200]);
    expect((await settleWithFakeClock(one.promise, { maxTimers: 500 })).status).toBe(200);
    expect(one.script.calls).toHaveLength(9);
    // Never sooner than IMDS said.
    for (const gap of one.gaps()) expect(gap).toBeGreaterThanOrEqual(1000);
  });

  it("a Retry-After longer than maxRetryDelayInMs is still a refusal: the 429 at once", async () => {
    const one = process_([{ status: 429, headers: { "Retry-After": "120" } }, 200]);
    expect((await settleWithFakeClock(one.promise)).status).toBe(429);
    expect(one.script.calls).toHaveLength(1);
    expect(queueFiles()).toEqual([]);
  });

  it("keeps the 410 rule: 70 s, on its own schedule", async () => {
    vi.mocked(Math.random).mockReturnValue(0);
    const one = process_([410], { maxRetries: 1 });
    await settleWithFakeClock(one.promise);
    expect(one.gaps()).toEqual([400, 1000, 1600, 3200, 6400, 12800, 25600, 30000]);
  });
});

describe("IMDS 429 without Retry-After, alone (no usable temporary folder): full jitter over a doubling window", () => {
  it.each([
    [0.5, [800, 1600, 3200, 6400]],
    [0.999_999, [1600, 3200, 6400, 12800]],
  ])("Math.random() %d: waits that fraction of 1.6 s, 3.2 s, 6.4 s, …", async (random, expected) => {
    withoutUsableTmp();
    vi.mocked(Math.random).mockReturnValue(random);
    const one = process_([429, 429, 429, 429, 200]);
    expect((await settleWithFakeClock(one.promise)).status).toBe(200);
    one.gaps().forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(Math.floor(expected[i]! * 0.999));
      expect(gap).toBeLessThanOrEqual(expected[i]!);
    });
  });

  it("spreads over the whole window, down to one IMDS interval (50 ms), not over its second half", async () => {
    withoutUsableTmp();
    vi.mocked(Math.random).mockReturnValue(0);
    const one = process_([429, 429, 200]);
    await settleWithFakeClock(one.promise);
    // The old jitter never went below half the exponential delay: 400 ms, then 800 ms.
    expect(one.gaps()).toEqual([50, 50]);
  });
});

describe("IMDS 429 without Retry-After, on one host: the throttled processes take turns", () => {
  it("ten processes throttled at once retry one slot apart, each with a single 429", async () => {
    const processes = Array.from({ length: 10 }, () => process_([429, 200]));
    await settleWithFakeClock(Promise.all(processes.map((p) => p.promise)));
    const secondTries = processes.map((p) => p.at()[1]!).sort((a, b) => a - b);
    expect(secondTries).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * HOST_QUEUE_SPACING_MS));
    // 20 requests in all: one 429 and one token each.
    expect(processes.reduce((sum, p) => sum + p.script.calls.length, 0)).toBe(20);
  });

  it("a process that starts while others wait its turn goes after them, without a 429 of its own", async () => {
    const waiting = Array.from({ length: 5 }, () => process_([429, 200]));
    await vi.advanceTimersByTimeAsync(10);
    const late = process_([200]);
    await settleWithFakeClock(Promise.all([...waiting, late].map((p) => p.promise)));
    expect(late.script.calls).toHaveLength(1);
    expect(late.at()).toEqual([6 * HOST_QUEUE_SPACING_MS]);
  });

  it("throttled again in its turn (others share IMDS): waits its own growing back-off as well", async () => {
    vi.mocked(Math.random).mockReturnValue(0.5);
    const one = process_([429, 429, 429, 200]);
    await settleWithFakeClock(one.promise);
    expect(one.gaps()).toEqual([HOST_QUEUE_SPACING_MS, 800, 1600]);
  });

  it("ten processes throttled at once with Retry-After: 1 come back one slot apart from it, not all together", async () => {
    // Retry-After alone sent every process back at the same instant, into the same throttle.
    const throttled = { status: 429, headers: { "Retry-After": "1" } };
    const processes = Array.from({ length: 10 }, () => process_([throttled, 200]));
    await settleWithFakeClock(Promise.all(processes.map((p) => p.promise)));
    const secondTries = processes.map((p) => p.at()[1]!).sort((a, b) => a - b);
    expect(secondTries).toEqual(Array.from({ length: 10 }, (_, i) => 1000 + i * HOST_QUEUE_SPACING_MS));
  });

  it("a Retry-After further away than the queue's clock tolerance (10 s) still takes turns from it", async () => {
    // A line's earliest time may be far ahead; the lines dropped as written "from the future" are judged by the
    // time they were written. Before, a Retry-After of 30 s dropped every line, and all came back at once.
    const throttled = { status: 429, headers: { "Retry-After": "30" } };
    const processes = Array.from({ length: 3 }, () => process_([throttled, 200]));
    await settleWithFakeClock(Promise.all(processes.map((p) => p.promise)));
    const secondTries = processes.map((p) => p.at()[1]!).sort((a, b) => a - b);
    expect(secondTries).toEqual([30_000, 30_000 + HOST_QUEUE_SPACING_MS, 30_000 + 2 * HOST_QUEUE_SPACING_MS]);
  });

  it("takes no turn further away than maxRetryDelayInMs: beyond, a process backs off alone and writes nothing", async () => {
    // With 200 ms, three turns fit (56, 112, 168 ms); the fourth would be 224 ms away. A capped turn kept in the
    // file made later processes wait for turns nobody used, and the capped processes all woke together.
    const processes = Array.from({ length: 10 }, () => process_([429, 200], { maxRetryDelayInMs: 200 }));
    await settleWithFakeClock(Promise.all(processes.map((p) => p.promise)));
    const [name] = queueFiles();
    const lines = readFileSync(path.join(os.tmpdir(), name!), "utf8").trim().split("\n");
    expect(lines).toHaveLength(3);
    const secondTries = processes.map((p) => p.at()[1]!).sort((a, b) => a - b);
    // Three in turn; the other seven on their own jitter (Math.random() 0.5 of a 200 ms window).
    expect(secondTries).toEqual([...Array.from({ length: 7 }, () => 100), 56, 112, 168].sort((a, b) => a - b));
  });

  it("a process that IMDS never throttles touches no file: no queue, no wait", async () => {
    const ok = process_([200]);
    const failing = process_([500, 200]);
    await settleWithFakeClock(Promise.all([ok.promise, failing.promise]));
    expect(ok.at()).toEqual([0]);
    expect(failing.at()).toEqual([0, 600]);
    expect(queueFiles()).toEqual([]);
  });

  it("an old queue, nobody waiting in it any more, delays nobody", async () => {
    const first = process_([429, 200]);
    await settleWithFakeClock(first.promise);
    await vi.advanceTimersByTimeAsync(5_000);
    const later = process_([200]);
    await settleWithFakeClock(later.promise);
    expect(later.gaps()).toEqual([]);
    expect(later.at()).toEqual([first.at()[1]! + 5_000]);
  });

  it("does not follow a link planted where the queue file goes, nor write through it: it backs off alone", async () => {
    // The policy's first 429 creates the queue file; learn its name, then put a link in its place.
    const probe = process_([429, 200]);
    await settleWithFakeClock(probe.promise);
    const [name] = queueFiles();
    const target = path.join(os.tmpdir(), "elsewhere");
    mkdirSync(target, { recursive: true });
    writeFileSync(path.join(target, "victim"), "");
    rmSync(path.join(os.tmpdir(), name!));
    symlinkSync(path.join(target, "victim"), path.join(os.tmpdir(), name!));
    vi.mocked(Math.random).mockReturnValue(0.5);
    const one = process_([429, 200]);
    expect((await settleWithFakeClock(one.promise)).status).toBe(200);
    expect(one.gaps()).toEqual([800]);
    expect(readFileSync(path.join(target, "victim"), "utf8")).toBe("");
  });

  /** The queue file's path, learned from a first throttled process. */
  async function queuePath(): Promise<string> {
    const probe = process_([429, 200]);
    await settleWithFakeClock(probe.promise);
    const [name] = queueFiles();
    return path.join(os.tmpdir(), name!);
  }

  it("does not write through a hard link planted where the queue file goes: it backs off alone", async () => {
    const file = await queuePath();
    const victim = path.join(os.tmpdir(), "victim-config");
    writeFileSync(victim, "setting=1\n");
    rmSync(file);
    linkSync(victim, file);
    const one = process_([429, 200]);
    expect((await settleWithFakeClock(one.promise)).status).toBe(200);
    expect(one.gaps()).toEqual([800]);
    expect(readFileSync(victim, "utf8")).toBe("setting=1\n");
  });

  it("does not hang on a FIFO planted where the queue file goes (an open for writing blocks until a reader comes)", async () => {
    const file = await queuePath();
    rmSync(file);
    execFileSync("mkfifo", ["-m", "600", file]);
    // The newcomer's look at the queue, and its own 429: both open the path.
    const one = process_([429, 200]);
    expect((await settleWithFakeClock(one.promise)).status).toBe(200);
    expect(one.gaps()).toEqual([800]);
  });

  it("does not read a huge file planted where the queue file goes: the queue is off", async () => {
    const file = await queuePath();
    // 2 GiB that cost nothing on disk (sparse); reading it whole would take seconds and the memory.
    rmSync(file);
    writeFileSync(file, "");
    truncateSync(file, 2 * 1024 ** 3);
    const one = process_([429, 200]);
    expect((await settleWithFakeClock(one.promise)).status).toBe(200);
    expect(one.gaps()).toEqual([800]);
    expect(statSync(file).size).toBe(2 * 1024 ** 3);
  });
});
