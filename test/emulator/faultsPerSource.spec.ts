// Issue 21 §3: what an injected fault does, source by source, as the README's table says. The README's example was
// [410, 410, 200], which only IMDS retries: ArcCredential and CloudShellCredential failed on it. [503, 503, 200]
// gets every source's credential its token; 410 fails every source but IMDS at once (the retry rules of
// src/pipeline/retryPolicy.ts: IMDS retries 404, 408, 410, 429 and 5xx; the other endpoints 408, 429 and 5xx).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import {
  AuthenticationError,
  ManagedIdentityChainCredential,
  type ManagedIdentitySourceName,
} from "../../src/index.js";
import { SOURCE_NAMES } from "../../src/sources/index.js";

const SCOPE = "https://vault.azure.net/.default";
let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.close());

/** The credential an application on that host would use, pointed at the emulator through its `env` option alone. */
const credentialFor = (source: ManagedIdentitySourceName) =>
  new ManagedIdentityChainCredential({
    env: emulator.env[source]!,
    tokenFolder: emulator.tokenFolder,
    retryOptions: { retryDelayInMs: 1, maxRetryDelayInMs: 1 },
  });

/** The outcomes of the token requests one source's endpoint answered. */
const tokenOutcomes = (source: ManagedIdentitySourceName) =>
  emulator.requests
    .filter(
      (request) => request.endpoint === source && (request.path.includes("resource=") || request.method === "POST"),
    )
    .map((request) => request.outcome);

describe.each(SOURCE_NAMES)("injected faults on %s", (source) => {
  it("503, 503, then the token: retried through", async () => {
    emulator.setFaults({ statusSequence: [503, 503, 200] }, source);
    emulator.requests.length = 0;
    const token = await credentialFor(source).getToken(SCOPE);
    expect(token.token.split(".")).toHaveLength(3);
    // Arc's challenge (401) and its answer are two requests: the third step lets the challenge through.
    expect(tokenOutcomes(source)).toEqual(source === "arc" ? [503, 503, 401, 200] : [503, 503, 200]);
  });
});

// IMDS retries 410 for at least 70 s: test/pipeline's retry specs cover it with fake timers.
describe.each(SOURCE_NAMES.filter((name) => name !== "imds"))("an injected 410 on %s", (source) => {
  it("is not retried: AuthenticationError at once (IMDS alone retries it)", async () => {
    emulator.setFaults({ statusSequence: [410] }, source);
    emulator.requests.length = 0;
    const failure = await credentialFor(source)
      .getToken(SCOPE)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AuthenticationError);
    expect((failure as AuthenticationError).statusCode).toBe(410);
    expect(tokenOutcomes(source)).toEqual([410]);
  });
});
