// The chain honours the caller's deadline while it detects. Before, with probeTimeoutMs 5000 and an IMDS that
// accepts and never answers, a caller's requestOptions.timeout of 300 ms waited out the whole 5 s probe.
// The detection goes on when the caller leaves, and a later call uses its result. Fake timers: nothing timed.
import type http from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CredentialUnavailableError, ManagedIdentityChainCredential } from "../../src/index.js";
import { useFakeClock, waitForReal } from "../helpers/fakeClock.js";
import { type SeenRequest, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const NO_AGENT = "/nonexistent/azcmagent/bin/himds";
const isProbe = (request: SeenRequest): boolean => request.headers["metadata"] === undefined;

let server: TokenServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

/** An IMDS that holds every probe until the test releases it, and answers token requests at once. */
async function hangingImds() {
  const held: http.ServerResponse[] = [];
  server = await startTokenServer((request, { res }) => {
    if (!isProbe(request)) return tokenAnswer(`imds:${request.url.searchParams.get("resource")}`);
    held.push(res);
    return undefined;
  });
  const release = (): void => {
    for (const res of held.splice(0)) {
      res.writeHead(400, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({ error: "invalid_request", error_description: "Required metadata header not specified" }),
      );
    }
  };
  return { server, held, release };
}

/** Whether a promise has settled, without waiting for it. */
function watch<T>(promise: Promise<T>) {
  const state = { settled: false, result: promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe("ManagedIdentityChainCredential and the caller's deadline during detection", () => {
  it("a 300 ms requestOptions.timeout ends the caller's wait for a 5 s probe; a later call finishes the same detection", async () => {
    const imds = await hangingImds();
    useFakeClock();
    const credential = new ManagedIdentityChainCredential({
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.server.origin },
      arcAgentPath: NO_AGENT,
      probeTimeoutMs: 5000,
    });

    const first = watch(credential.getToken(SCOPE, { requestOptions: { timeout: 300 } }));
    await waitForReal(() => imds.held.length === 1);
    await vi.advanceTimersByTimeAsync(299);
    expect(first.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(first.settled).toBe(true);
    const error = await first.result.catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error).toMatchObject({
      code: "detection-timeout",
      message: expect.stringMatching(/did not finish within the caller's timeout of 300 ms/),
    });

    // An abort signal ends a caller's wait the same way.
    const controller = new AbortController();
    const second = credential.getToken(SCOPE, { abortSignal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });

    // The probe was not abandoned: it answers now, and the next call gets its token from that one detection.
    imds.release();
    const token = await credential.getToken(SCOPE);
    expect(token.token).toBe("imds:https://vault.azure.net");
    expect(imds.server.requests.filter(isProbe)).toHaveLength(1);
  });

  it("the caller's timeout covers detection and token request together: the token request gets what is left", async () => {
    const imds = await hangingImds();
    useFakeClock();
    const credential = new ManagedIdentityChainCredential({
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: imds.server.origin },
      arcAgentPath: NO_AGENT,
      probeTimeoutMs: 5000,
    });
    const timeouts: Array<number | undefined> = [];
    const client = await import("../../src/engine/managedIdentityClient.js");
    // The chain hands its call to the client it picked through getTokenInSpan (its own span, when traced).
    const original = client.ManagedIdentityClient.prototype.getTokenInSpan;
    vi.spyOn(client.ManagedIdentityClient.prototype, "getTokenInSpan").mockImplementation(function (
      this: unknown,
      scopes,
      options,
      span,
    ) {
      timeouts.push(options?.requestOptions?.timeout);
      return original.call(this as never, scopes, options, span);
    });
    const call = credential.getToken(SCOPE, { requestOptions: { timeout: 1000 } });
    await waitForReal(() => imds.held.length === 1);
    await vi.advanceTimersByTimeAsync(400);
    imds.release();
    expect((await call).token).toBe("imds:https://vault.azure.net");
    expect(timeouts).toEqual([600]);
  });
});
