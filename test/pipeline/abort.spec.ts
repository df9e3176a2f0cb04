// A caller's abort signal ends a credential's retry delay at once and leaves nothing scheduled.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ArcCredential, ImdsCredential } from "../../src/index.js";
import { useFakeClock, waitForReal } from "../helpers/fakeClock.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";
import { tryRecorder } from "../helpers/tryRecorder.js";

let server: TokenServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

describe.each([
  ["ImdsCredential", ImdsCredential],
  ["ArcCredential", ArcCredential],
] as const)("%s: abort during a retry delay", (_, Credential) => {
  it("rejects with AbortError at once, with no timer left and no further request", async () => {
    useFakeClock();
    server = await startTokenServer(() => ({ status: 503 }));
    const recorder = tryRecorder();
    const credential = new Credential({
      endpoint: `${server.origin}/metadata/identity/oauth2/token`,
      additionalPolicies: [{ policy: recorder.policy, position: "perRetry" }],
    });
    const controller = new AbortController();
    const promise = credential.getToken("https://vault.azure.net/.default", { abortSignal: controller.signal });
    promise.catch(() => undefined);

    // The first try is answered; the only timer left is the retry delay.
    await waitForReal(() => recorder.tries.length === 1 && !recorder.busy() && vi.getTimerCount() === 1);
    controller.abort();
    await expect(promise).rejects.toMatchObject({ name: "AbortError" });
    expect(vi.getTimerCount()).toBe(0);

    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(server.requests).toHaveLength(1);
  });
});
