import { AzureLogger, type AzureLogLevel, getLogLevel, setLogLevel } from "@azure/logger";
import path from "node:path";
import { format, inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ArcCredential, AuthenticationError, ImdsCredential } from "../../src/index.js";
import { makeTokenFolder, newSecret, startHimdsAgent, type TokenFolder, writeKey } from "../helpers/himdsAgent.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";

/** An unsigned JWT naming `appid`, as a token from the machine's own identity would. */
function jwtFor(appid: string, marker: string): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ appid, marker })}.${part(marker)}`;
}

describe("verbose logging and errors never show a token or the Arc secret", () => {
  let lines: string[];
  let originalLog: typeof AzureLogger.log;
  let previousLevel: AzureLogLevel | undefined;
  let tokens: TokenFolder;
  const servers: TokenServer[] = [];
  /** Every token and secret a test hands out: none may appear in a log line or an error. */
  let secrets: string[];
  let errors: unknown[];

  beforeEach(async () => {
    lines = [];
    secrets = [];
    errors = [];
    previousLevel = getLogLevel();
    originalLog = AzureLogger.log;
    // What AZURE_LOG_LEVEL=verbose does, with every line captured instead of written to stderr.
    AzureLogger.log = (...args: unknown[]) => {
      lines.push(format(...args));
    };
    setLogLevel("verbose");
    tokens = await makeTokenFolder();
  });

  afterEach(async () => {
    vi.useRealTimers();
    AzureLogger.log = originalLog;
    setLogLevel(previousLevel);
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await tokens.remove();
  });

  function expectNothingLeaked(): void {
    expect(secrets.length).toBeGreaterThan(0);
    // The check means something only if the credential did log.
    expect(lines.some((line) => line.startsWith("azure:managed-identity:"))).toBe(true);
    for (const secret of secrets) {
      for (const line of lines) expect(line, "a log line").not.toContain(secret);
      for (const error of errors) {
        const e = error as Error;
        expect(e.message, "an error message").not.toContain(secret);
        expect(e.stack ?? "", "an error stack").not.toContain(secret);
        expect(inspect(e, { depth: Infinity, showHidden: true }), "an error's properties").not.toContain(secret);
      }
    }
  }

  async function failure(promise: Promise<unknown>): Promise<Error> {
    const error = await promise.then(
      () => new Error("expected a failure"),
      (e: unknown) => e as Error,
    );
    errors.push(error);
    return error;
  }

  async function server(handler: Parameters<typeof startTokenServer>[0]): Promise<TokenServer> {
    const started = await startTokenServer(handler);
    servers.push(started);
    return started;
  }

  it("IMDS: a token, a cached token, and a background refresh", async () => {
    const first = newSecret("imds-token");
    const refreshed = newSecret("imds-token-refreshed");
    secrets.push(first, refreshed);
    let calls = 0;
    // refresh_in 60, then two minutes later: the second getToken gets the cached token and starts a background refresh.
    const imds = await server(() => tokenAnswer(++calls === 1 ? first : refreshed, 3600, { refresh_in: 60 }));
    const credential = new ImdsCredential({ endpoint: imds.origin, clientId: "00000000-0000-0000-0000-000000000001" });

    // The cache counts freshness down on performance.now(): both clocks are faked, and two minutes pass.
    vi.useFakeTimers({ toFake: ["Date", "performance"] });
    expect((await credential.getToken(SCOPE)).token).toBe(first);
    vi.advanceTimersByTime(2 * 60_000);
    expect((await credential.getToken(SCOPE)).token).toBe(first);
    await vi.waitFor(() => expect(imds.requests).toHaveLength(2));
    await vi.waitFor(() =>
      expect(lines.filter((l) => l.includes("IMDS: token for https://vault.azure.net ("))).toHaveLength(2),
    );

    expect(lines.some((l) => l.includes("Refreshing the token for https://vault.azure.net in the background"))).toBe(
      true,
    );
    expectNothingLeaked();
  });

  it("IMDS: retried 500s, an unparsable token answer, a failed background refresh", async () => {
    secrets.push(newSecret("unused"));
    const failing = await server(() => ({
      status: 500,
      body: { error: "server_error", error_description: "IMDS is unwell" },
    }));
    const error = await failure(
      new ImdsCredential({ endpoint: failing.origin, retryOptions: { maxRetries: 2, retryDelayInMs: 1 } }).getToken(
        SCOPE,
      ),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(failing.requests).toHaveLength(3);
    expect(lines.some((l) => /retry 2 in/.test(l))).toBe(true);

    // A token with an expiry that cannot be read: the token must not show up in the explanation.
    const unreadable = newSecret("imds-token-bad-expiry");
    secrets.push(unreadable);
    const bad = await server(() => ({
      status: 200,
      body: { access_token: unreadable, expires_on: "soon", token_type: "Bearer" },
    }));
    const parseError = await failure(new ImdsCredential({ endpoint: bad.origin }).getToken(SCOPE));
    expect(parseError).toBeInstanceOf(AuthenticationError);
    expect(parseError.message).toMatch(/not a token/);

    // A good token, then a background refresh that fails: the failure is logged, the token is not.
    const good = newSecret("imds-token-good");
    secrets.push(good);
    let calls = 0;
    const flaky = await server(() =>
      ++calls === 1
        ? tokenAnswer(good, 3600, { refresh_in: 60 })
        : { status: 503, body: { error: "busy", error_description: "try later" } },
    );
    const credential = new ImdsCredential({ endpoint: flaky.origin, retryOptions: { maxRetries: 0 } });
    vi.useFakeTimers({ toFake: ["Date", "performance"] });
    expect((await credential.getToken(SCOPE)).token).toBe(good);
    vi.advanceTimersByTime(2 * 60_000);
    expect((await credential.getToken(SCOPE)).token).toBe(good);
    await vi.waitFor(() => expect(lines.some((l) => l.includes("background refresh of the token"))).toBe(true));

    expectNothingLeaked();
  });

  it("Arc: the secret goes out in a header the log shows only as REDACTED", async () => {
    const secret = newSecret();
    const token = newSecret("arc-token");
    secrets.push(secret, token);
    const file = await writeKey(path.join(tokens.folder, "ok.key"), secret);
    const agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret, answer: () => tokenAnswer(token) });
    servers.push(agent);

    expect(
      (await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder }).getToken(SCOPE)).token,
    ).toBe(token);

    expect(agent.requests[1]!.headers["authorization"]).toBe(`Basic ${secret}`);
    // The request log names the header (so the check below is not vacuous) but not its value.
    expect(lines.some((l) => /"authorization": "REDACTED"/i.test(l))).toBe(true);
    expect(lines.some((l) => l.includes("arcChallengePolicy: challenged with the file"))).toBe(true);
    expectNothingLeaked();
  });

  it("Arc: not even when the application allows the Authorization header in its logging options", async () => {
    const secret = newSecret();
    secrets.push(secret);
    const file = await writeKey(path.join(tokens.folder, "ok.key"), secret);
    const agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    servers.push(agent);
    const credential = new ArcCredential({
      endpoint: agent.endpoint,
      tokenFolder: tokens.folder,
      loggingOptions: { additionalAllowedHeaderNames: ["Authorization", "x-ms-client-request-id"] },
    });

    await credential.getToken(SCOPE);

    expect(agent.requests[1]!.headers["authorization"]).toBe(`Basic ${secret}`);
    expect(lines.some((l) => /"authorization": "REDACTED"/i.test(l))).toBe(true);
    expectNothingLeaked();
  });

  it("Arc: a refused file, a refused secret, a failing agent, a reset connection, the wrong identity", async () => {
    // A file the credential refuses to read: its content must not show up anywhere.
    const txtSecret = newSecret("in-a-txt-file");
    secrets.push(txtSecret);
    const txt = await writeKey(path.join(tokens.folder, "x.txt"), txtSecret);
    const refusing = await startHimdsAgent({ challenge: `Basic realm=${txt}`, secret: txtSecret });
    servers.push(refusing);
    expect(
      await failure(new ArcCredential({ endpoint: refusing.endpoint, tokenFolder: tokens.folder }).getToken(SCOPE)),
    ).toBeInstanceOf(AuthenticationError);

    // The agent does not accept the secret sent: a second 401.
    const stale = newSecret("stale");
    secrets.push(stale);
    const staleFile = await writeKey(path.join(tokens.folder, "stale.key"), stale);
    const rejecting = await startHimdsAgent({ challenge: `Basic realm=${staleFile}`, secret: newSecret("other") });
    servers.push(rejecting);
    const rejected = await failure(
      new ArcCredential({ endpoint: rejecting.endpoint, tokenFolder: tokens.folder }).getToken(SCOPE),
    );
    expect((rejected as AuthenticationError).statusCode).toBe(401);

    // The agent fails after taking the secret, with retries.
    const secret = newSecret();
    secrets.push(secret);
    const file = await writeKey(path.join(tokens.folder, "ok.key"), secret);
    const failingAgent = await startHimdsAgent({
      challenge: `Basic realm=${file}`,
      secret,
      answer: () => ({ status: 500, body: { error: "internal", error_description: "himds failed" } }),
    });
    servers.push(failingAgent);
    const failed = await failure(
      new ArcCredential({
        endpoint: failingAgent.endpoint,
        tokenFolder: tokens.folder,
        retryOptions: { maxRetries: 1, retryDelayInMs: 1 },
      }).getToken(SCOPE),
    );
    expect((failed as AuthenticationError).statusCode).toBe(500);
    expect(failingAgent.requests).toHaveLength(4); // challenge + secret, twice

    // The connection drops after the secret was sent: the transport error must not carry the request.
    const resetting = await startHimdsAgent({
      challenge: `Basic realm=${file}`,
      secret,
      answer: (_request, { res }) => {
        res.socket?.destroy();
        return undefined;
      },
    });
    servers.push(resetting);
    const reset = await failure(
      new ArcCredential({
        endpoint: resetting.endpoint,
        tokenFolder: tokens.folder,
        retryOptions: { maxRetries: 0 },
      }).getToken(SCOPE),
    );
    expect(reset).toBeInstanceOf(AuthenticationError);

    // The agent answers with the machine's identity instead of the user-assigned one asked for.
    const wrongToken = jwtFor("aaaaaaaa-0000-0000-0000-000000000000", newSecret("marker"));
    secrets.push(wrongToken);
    const ignoring = await startHimdsAgent({
      challenge: `Basic realm=${file}`,
      secret,
      answer: () => tokenAnswer(wrongToken),
    });
    servers.push(ignoring);
    const mismatch = await failure(
      new ArcCredential({
        endpoint: ignoring.endpoint,
        tokenFolder: tokens.folder,
        clientId: "bbbbbbbb-0000-0000-0000-000000000000",
      }).getToken(SCOPE),
    );
    expect(mismatch.message).toMatch(/appid claim/);

    expect(errors.every((e) => e instanceof AuthenticationError)).toBe(true);
    expectNothingLeaked();
  });
});
