// Faults injected by the emulator, as a credential's retry handling sees them (fake timers: the
// back-offs are jumped over, and their lengths read exactly).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ArcCredential, AuthenticationError, CloudShellCredential, ImdsCredential } from "../../src/index.js";
import type { ManagedIdentityRetryOptions } from "../../src/index.js";
import { settleWithFakeClock, useFakeClock } from "../helpers/fakeClock.js";
import { tryRecorder } from "../helpers/tryRecorder.js";

const SCOPE = "https://vault.azure.net/.default";
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["imds", "arc", "cloudshell"] });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.requests.length = 0;
  useFakeClock();
  vi.spyOn(Math, "random").mockReturnValue(0); // the smallest jitter
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  emulator.setFaults({});
});

type Source = "imds" | "arc" | "cloudshell";

/** A credential of that source on the emulator, its tries recorded; getToken() drives the fake clock. */
function credentialFor(source: Source, retryOptions: ManagedIdentityRetryOptions = {}) {
  const recorder = tryRecorder();
  const options = {
    endpoint: emulator.endpoints[source],
    retryOptions,
    additionalPolicies: [{ policy: recorder.policy, position: "perRetry" as const }],
  };
  const credential =
    source === "imds"
      ? new ImdsCredential(options)
      : source === "arc"
        ? new ArcCredential({ ...options, tokenFolder: emulator.tokenFolder })
        : new CloudShellCredential(options);
  // A try is real I/O to wait for, unless the emulator is hanging it on purpose: then the pending
  // fake timer is the try timeout, and the clock may jump to it.
  const hung = () => emulator.requests.length === recorder.tries.length && emulator.requests.at(-1)?.outcome === "hang";
  const getToken = () => settleWithFakeClock(credential.getToken(SCOPE), { busy: () => recorder.busy() && !hung() });
  return { recorder, getToken };
}

const outcomes = () => emulator.requests.map((r) => r.outcome);

describe("faults observed by a credential", () => {
  it("IMDS 410, 410, 200: the token after two retries", async () => {
    emulator.setFaults({ statusSequence: [410, 410, 200] });
    const { recorder, getToken } = credentialFor("imds");
    expect((await getToken()).token).toMatch(/^ey/);
    expect(outcomes()).toEqual([410, 410, 200]);
    expect(recorder.gaps()).toEqual([400, 800]);
  });

  it("IMDS 410 that does not end: retried for at least 70 s, then the 410 with the emulator's words", async () => {
    emulator.setFaults({ statusSequence: Array<number>(50).fill(410) });
    const { recorder, getToken } = credentialFor("imds", { maxRetries: 2 });
    const error = await getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ statusCode: 410 });
    expect((error as Error).message).toContain("retry for up to 70 seconds");
    const tries = recorder.tries;
    expect(tries.at(-1)!.at - tries[0]!.at).toBeGreaterThanOrEqual(70_000);
    expect(outcomes().every((o) => o === 410)).toBe(true);
  });

  it("Arc 429 with Retry-After: 3, then the challenge and the token", async () => {
    emulator.setFaults({ statusSequence: [429], retryAfter: 3 }, "arc");
    const { recorder, getToken } = credentialFor("arc");
    expect((await getToken()).token).toMatch(/^ey/);
    expect(outcomes()).toEqual([429, 401, 200]);
    expect(recorder.gaps()).toEqual([3_000]);
  });

  it("throttling after one request, with a one-second window: the second credential waits out Retry-After", async () => {
    emulator.setFaults({ throttleAfter: 1, throttleWindowMs: 1_000, retryAfter: 1 });
    await credentialFor("imds").getToken();
    const { recorder, getToken } = credentialFor("imds");
    expect((await getToken()).token).toMatch(/^ey/);
    expect(outcomes()).toEqual([200, 429, 200]);
    expect(recorder.gaps()).toEqual([1_000]);
  });

  it("a hung connection: the try times out and the retry gets the token", async () => {
    emulator.setFaults({ statusSequence: ["hang", 200] });
    const { recorder, getToken } = credentialFor("imds", { tryTimeoutInMs: 2_000 });
    expect((await getToken()).token).toMatch(/^ey/);
    expect(outcomes()).toEqual(["hang", 200]);
    expect(recorder.tries.map((t) => t.error ?? t.status)).toEqual(["TRY_TIMEOUT", 200]);
  });

  it("a reset connection is retried", async () => {
    emulator.setFaults({ statusSequence: ["reset", 200] });
    const { recorder, getToken } = credentialFor("cloudshell");
    expect((await getToken()).token).toMatch(/^ey/);
    expect(outcomes()).toEqual(["reset", 200]);
    expect(recorder.tries).toHaveLength(2);
  });

  it("Cloud Shell 503 until the retries run out: AuthenticationError with the status", async () => {
    emulator.setFaults({ statusSequence: [503, 503, 503, 503, 503] });
    const { getToken } = credentialFor("cloudshell", { maxRetries: 2 });
    const error = await getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ statusCode: 503, errorResponse: { error: "temporarily_unavailable" } });
    expect(outcomes()).toEqual([503, 503, 503]);
  });
});
