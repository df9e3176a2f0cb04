// The retry rules as a credential applies them against a real loopback endpoint, under fake timers:
// what is retried, when, and the error that comes out at the end.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ArcCredential,
  AuthenticationError,
  CloudShellCredential,
  CredentialUnavailableError,
  ImdsCredential,
  type ManagedIdentityRetryOptions,
} from "../../src/index.js";
import { FAKE_START, settleWithFakeClock, useFakeClock } from "../helpers/fakeClock.js";
import {
  type Answer,
  type SeenRequest,
  startTokenServer,
  tokenAnswer,
  type TokenServer,
} from "../helpers/tokenServer.js";
import { tryRecorder } from "../helpers/tryRecorder.js";

const SCOPE = "https://vault.azure.net/.default";
type CredentialClass = typeof ImdsCredential | typeof ArcCredential | typeof CloudShellCredential;

let server: TokenServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await server?.close();
  server = undefined;
});

/** A credential of `Credential` on a loopback server answering with `handler`, its tries recorded. */
async function setUp(
  Credential: CredentialClass,
  handler: (request: SeenRequest) => Answer,
  retryOptions: ManagedIdentityRetryOptions = {},
) {
  server = await startTokenServer(handler);
  const recorder = tryRecorder();
  const credential = new Credential({
    endpoint: `${server.origin}/metadata/identity/oauth2/token`,
    retryOptions,
    additionalPolicies: [{ policy: recorder.policy, position: "perRetry" }],
  });
  const getToken = () => settleWithFakeClock(credential.getToken(SCOPE), { busy: recorder.busy });
  return { server, recorder, getToken };
}

beforeEach(() => {
  useFakeClock();
  vi.spyOn(Math, "random").mockReturnValue(0);
});

const busy = { status: 503, body: { error: "service_unavailable", error_description: "IMDS is busy, try later" } };

describe("ImdsCredential retries", () => {
  it("retries 5xx until the retries run out, then rejects with the status and the endpoint's words", async () => {
    const { server, recorder, getToken } = await setUp(ImdsCredential, () => busy, { maxRetries: 3 });
    const error = await getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({
      name: "AuthenticationError",
      statusCode: 503,
      errorResponse: { error: "service_unavailable", errorDescription: "IMDS is busy, try later" },
    });
    expect((error as Error).message).toContain("503");
    expect((error as Error).message).toContain("service_unavailable");
    expect((error as Error).message).toContain("IMDS is busy, try later");
    expect(server.requests).toHaveLength(4);
    expect(recorder.gaps()).toEqual([400, 800, 1600]);
    // The Metadata header is on every try, not only the first.
    expect(server.requests.every((r) => r.headers["metadata"] === "true")).toBe(true);
  });

  it("gives the token when a retry succeeds", async () => {
    const { server, getToken } = await setUp(ImdsCredential, () =>
      server!.requests.length < 3 ? { status: 500 } : tokenAnswer("after-500s"),
    );
    expect((await getToken()).token).toBe("after-500s");
    expect(server.requests).toHaveLength(3);
  });

  it.each([404, 408, 429, 502])("retries %i", async (status) => {
    const { server, getToken } = await setUp(ImdsCredential, () =>
      server!.requests.length === 1 ? { status } : tokenAnswer(),
    );
    expect((await getToken()).token).toBe("test-token");
    expect(server.requests).toHaveLength(2);
  });

  it("retries 410 for at least 70 s even with the smallest jitter and maxRetries 1", async () => {
    const { server, recorder, getToken } = await setUp(
      ImdsCredential,
      () => ({ status: 410, body: { error: "gone" } }),
      { maxRetries: 1 },
    );
    await expect(getToken()).rejects.toMatchObject({ name: "AuthenticationError", statusCode: 410 });
    const span = recorder.tries.at(-1)!.at - recorder.tries[0]!.at;
    expect(span).toBeGreaterThanOrEqual(70_000);
    expect(recorder.gaps()).toEqual([400, 1000, 1600, 3200, 6400, 12800, 25600, 30000]);
    expect(server.requests.length).toBe(9);
  });

  it("gets the token when IMDS comes back 65 s after its first 410", async () => {
    const { server, getToken } = await setUp(
      ImdsCredential,
      () => (Date.now() - FAKE_START.getTime() < 65_000 ? { status: 410 } : tokenAnswer("back")),
      { maxRetries: 0 },
    );
    expect((await getToken()).token).toBe("back");
    expect(Date.now() - FAKE_START.getTime()).toBeGreaterThanOrEqual(65_000);
    expect(server.requests.at(-1)!.headers["metadata"]).toBe("true");
  });

  it("waits exactly a Retry-After in seconds, then one as an HTTP-date", async () => {
    const { recorder, getToken } = await setUp(ImdsCredential, () => {
      const tries = recorder.tries.length;
      if (tries === 1) return { status: 429, headers: { "Retry-After": "9" } };
      if (tries === 2) return { status: 429, headers: { "Retry-After": new Date(Date.now() + 21_000).toUTCString() } };
      return tokenAnswer("throttled-then-ok");
    });
    expect((await getToken()).token).toBe("throttled-then-ok");
    expect(recorder.gaps()).toEqual([9000, 21_000]);
  });

  it("gives up at once when Retry-After is longer than maxRetryDelayInMs", async () => {
    const { server, getToken } = await setUp(
      ImdsCredential,
      () => ({
        status: 429,
        headers: { "Retry-After": "120" },
        body: { error: "throttled", error_description: "too many requests" },
      }),
      { maxRetryDelayInMs: 30_000 },
    );
    const error = await getToken().catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "AuthenticationError",
      statusCode: 429,
      errorResponse: { error: "throttled" },
    });
    expect(server.requests).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("does not retry 400 and reports it as no identity here (CredentialUnavailableError)", async () => {
    const { server, getToken } = await setUp(ImdsCredential, () => ({
      status: 400,
      body: { error: "invalid_request", error_description: "Identity not found" },
    }));
    const error = await getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect((error as Error).name).toBe("CredentialUnavailableError");
    expect((error as Error).message).toContain("Identity not found");
    expect(server.requests).toHaveLength(1);
  });

  it.each([401, 403])("does not retry %i and fails with AuthenticationError", async (status) => {
    const { server, getToken } = await setUp(ImdsCredential, () => ({
      status,
      body: { error: "access_denied", error_description: "no" },
    }));
    await expect(getToken()).rejects.toMatchObject({ name: "AuthenticationError", statusCode: status });
    expect(server.requests).toHaveLength(1);
  });

  it("takes Docker Desktop's 403 'unreachable' as no IMDS here, without a retry", async () => {
    const { server, getToken } = await setUp(ImdsCredential, () => ({
      status: 403,
      headers: { "Content-Type": "text/plain" },
      body: "connecting to 169.254.169.254:80: connecting to 169.254.169.254:80: dial tcp 169.254.169.254:80: connectex: A socket operation was attempted to an unreachable network.",
    }));
    await expect(getToken()).rejects.toBeInstanceOf(CredentialUnavailableError);
    expect(server.requests).toHaveLength(1);
  });
});

describe.each([
  ["ArcCredential", ArcCredential],
  ["CloudShellCredential", CloudShellCredential],
] as const)("%s retries", (_, Credential) => {
  it("retries 5xx 3 times by default, then rejects with the status and the endpoint's words", async () => {
    const { server, recorder, getToken } = await setUp(Credential, () => busy);
    await expect(getToken()).rejects.toMatchObject({
      name: "AuthenticationError",
      statusCode: 503,
      errorResponse: { error: "service_unavailable", errorDescription: "IMDS is busy, try later" },
    });
    expect(server.requests).toHaveLength(4);
    expect(recorder.gaps()).toEqual([400, 800, 1600]);
  });

  it.each([408, 429])("retries %i", async (status) => {
    const { server, getToken } = await setUp(Credential, () =>
      server!.requests.length === 1 ? { status } : tokenAnswer(),
    );
    expect((await getToken()).token).toBe("test-token");
    expect(server.requests).toHaveLength(2);
  });

  it.each([404, 410, 400, 403])("does not retry %i", async (status) => {
    const { server, getToken } = await setUp(Credential, () => ({ status }));
    await expect(getToken()).rejects.toMatchObject({ name: "AuthenticationError", statusCode: status });
    expect(server.requests).toHaveLength(1);
  });
});
