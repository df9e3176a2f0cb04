import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, ImdsCredential } from "../../src/index.js";
import { tokenAnswer } from "../helpers/tokenServer.js";
import { failure } from "../helpers/failure.js";
import { type GatedServer, startGatedServer } from "../helpers/gatedServer.js";

const SCOPE = "https://vault.azure.net/.default";

/** A promise's outcome, to look at without awaiting it. */
function watch<T>(promise: Promise<T>): { settled: boolean; result: Promise<T> } {
  const state = { settled: false, result: promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe("abort and timeout", () => {
  let server: GatedServer;
  afterEach(async () => server?.close());

  // A try timeout far longer than the test: only the caller's abort or timeout can end a wait.
  const credential = (): ImdsCredential =>
    new ImdsCredential({ endpoint: server.origin, retryOptions: { tryTimeoutInMs: 120_000, maxRetries: 0 } });

  it("rejects with AbortError, sending nothing, when the signal is already aborted", async () => {
    server = await startGatedServer();
    server.answerAll(() => tokenAnswer());
    const error = await failure(credential().getToken(SCOPE, { abortSignal: AbortSignal.abort() }));
    expect(error.name).toBe("AbortError");
    expect(server.requests).toHaveLength(0);
  });

  it("rejects with AbortError while the endpoint hangs, and cancels the request", async () => {
    server = await startGatedServer();
    const controller = new AbortController();
    const call = credential().getToken(SCOPE, { abortSignal: controller.signal });
    await vi.waitFor(() => expect(server.pending).toBe(1));
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    expect(server.requests).toHaveLength(1);
    // The last waiter left: the upstream request is cancelled, the endpoint sees its socket close.
    await vi.waitFor(() => expect(server.closedUnanswered).toBe(1));
  });

  it("does not disturb the other callers sharing the request when one aborts", async () => {
    server = await startGatedServer();
    const shared = credential();
    const controller = new AbortController();
    const leaving = shared.getToken(SCOPE, { abortSignal: controller.signal });
    const staying = watch(shared.getToken(SCOPE));
    const stayingWithSignal = watch(shared.getToken(SCOPE, { abortSignal: new AbortController().signal }));
    await vi.waitFor(() => expect(server.pending).toBe(1));

    controller.abort();
    await expect(leaving).rejects.toMatchObject({ name: "AbortError" });
    // The endpoint still hangs: the others still wait, on the same, still open, request.
    expect(staying.settled).toBe(false);
    expect(stayingWithSignal.settled).toBe(false);
    expect(server.closedUnanswered).toBe(0);

    server.answerAll(() => tokenAnswer("shared-token"));
    expect((await staying.result).token).toBe("shared-token");
    expect((await stayingWithSignal.result).token).toBe("shared-token");
    expect(server.requests).toHaveLength(1);
  });

  it("cancels the upstream request only when every waiter has left", async () => {
    server = await startGatedServer();
    const shared = credential();
    const first = new AbortController();
    const second = new AbortController();
    const calls = [first, second].map((c) => failure(shared.getToken(SCOPE, { abortSignal: c.signal })));
    await vi.waitFor(() => expect(server.pending).toBe(1));

    first.abort();
    expect((await calls[0])!.name).toBe("AbortError");
    expect(server.pending).toBe(1);

    second.abort();
    expect((await calls[1])!.name).toBe("AbortError");
    await vi.waitFor(() => expect(server.closedUnanswered).toBe(1));
  });

  it("starts a new request for a caller arriving right after the last waiter left", async () => {
    server = await startGatedServer();
    const shared = credential();
    const controller = new AbortController();
    const leaving = failure(shared.getToken(SCOPE, { abortSignal: controller.signal }));
    await vi.waitFor(() => expect(server.pending).toBe(1));

    controller.abort();
    // In the same tick: the cancelled request must not be handed to this caller.
    const next = shared.getToken(SCOPE);
    expect((await leaving).name).toBe("AbortError");
    await vi.waitFor(() => expect(server.requests).toHaveLength(2));
    server.answerAll(() => tokenAnswer("fresh-token"));
    expect((await next).token).toBe("fresh-token");
  });

  it("rejects with an AuthenticationError naming the timeout when requestOptions.timeout passes, and cancels the request", async () => {
    server = await startGatedServer();
    const error = await failure(credential().getToken(SCOPE, { requestOptions: { timeout: 100 } }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(
      /IMDS: no token from http:\/\/127\.0\.0\.1:\d+\/metadata\/identity\/oauth2\/token within the caller's timeout of 100 ms/,
    );
    await vi.waitFor(() => expect(server.closedUnanswered).toBe(1));
  });

  it("leaves no listener on the caller's signal once the call is over", async () => {
    server = await startGatedServer();
    server.answerAll(() => tokenAnswer());
    const controller = new AbortController();
    await credential().getToken(SCOPE, { abortSignal: controller.signal, requestOptions: { timeout: 60_000 } });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});
