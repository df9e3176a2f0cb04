// Security review: the Arc secret and every token stay out of log output, error messages, and the
// string and JSON forms of errors and credentials — also when an endpoint misbehaves on purpose:
// an agent that echoes the secret back, an endpoint that sends a token with an error status.
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError, CloudShellCredential, ImdsCredential } from "../../src/index.js";
import { type ArcFolders, makeArcFolders, startArcAgent, unguessable } from "../helpers/arcFixture.js";
import { type AzureLogCapture, captureAzureLogs } from "../helpers/azureLogCapture.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const NO_RETRY = { maxRetries: 0 };

/** Every way an object turns into text: what a logger, a crash report or a debugger would show. */
function renderings(value: unknown): Record<string, string> {
  const e = value as Error;
  return {
    String: String(value),
    JSON: JSON.stringify(value) ?? "",
    inspect: inspect(value, { showHidden: true, depth: Infinity, getters: true }),
    message: typeof e?.message === "string" ? e.message : "",
    stack: typeof e?.stack === "string" ? e.stack : "",
    ownProperties: JSON.stringify(
      Object.getOwnPropertyNames(value ?? {}).map((k) => String((value as Record<string, unknown>)[k])),
    ),
  };
}

describe("no secret or token in logs, messages or renderings", () => {
  let logs: AzureLogCapture;
  let arc: ArcFolders;
  const servers: TokenServer[] = [];

  beforeEach(async () => {
    logs = captureAzureLogs();
    arc = await makeArcFolders();
  });

  afterEach(async () => {
    logs.stop();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await arc.remove();
  });

  /** Fails if `secret` shows up in any log line or any rendering of `things`; checks something was logged. */
  function expectHidden(secret: string, ...things: unknown[]): void {
    expect(logs.lines.some((line) => line.startsWith("azure:managed-identity:"))).toBe(true);
    for (const line of logs.lines) expect(line, "a log line").not.toContain(secret);
    for (const thing of things) {
      for (const [how, text] of Object.entries(renderings(thing))) expect(text, how).not.toContain(secret);
    }
  }

  async function rejection(promise: Promise<unknown>): Promise<AuthenticationError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    return error as AuthenticationError;
  }

  describe("an Arc agent that echoes the secret back in its error answer", () => {
    const echoes: [string, (authorization: string) => { status: number; body: unknown }][] = [
      [
        "401 with the Authorization header in error_description",
        (a) => ({ status: 401, body: { error: "invalid_secret", error_description: `rejected ${a}` } }),
      ],
      [
        "403 with the secret in App Service's 'message'",
        (a) => ({ status: 403, body: { message: `no access for ${a.slice(6)}` } }),
      ],
      ["500 with the secret as plain text", (a) => ({ status: 500, body: `internal error handling ${a}` })],
      [
        "404 with the secret in an HTML title",
        (a) => ({ status: 404, body: `<html><title>${a.slice(6)} not found</title></html>` }),
      ],
    ];
    for (const [name, answer] of echoes) {
      it(name, async () => {
        const secret = unguessable("arc-secret");
        const key = await arc.write("echo.key", secret);
        const agent = await startArcAgent({
          challenge: () => `Basic realm=${key}`,
          authorized: (r) => answer(String(r.headers["authorization"])),
        });
        servers.push(agent);
        const credential = new ArcCredential({
          endpoint: `${agent.origin}/token`,
          tokenFolder: arc.folder,
          retryOptions: NO_RETRY,
        });

        const error = await rejection(credential.getToken(SCOPE));
        // The secret did go out, to the agent that asked for it, and came back in the answer.
        expect(agent.requests.at(-1)!.headers["authorization"]).toBe(`Basic ${secret}`);
        // The error still carries the status and says what happened, without the secret.
        expect(error.statusCode).toBe(answer("Basic x").status);
        expectHidden(secret, error, error.errorResponse, credential);
      });
    }
  });

  describe("an endpoint that sends a whole token answer with an error status", () => {
    it("IMDS: 500 with a token body", async () => {
      const token = unguessable("imds-token");
      const server = await startTokenServer(() => ({ ...tokenAnswer(token), status: 500 }));
      servers.push(server);
      const credential = new ImdsCredential({ endpoint: server.origin, retryOptions: NO_RETRY });
      const error = await rejection(credential.getToken(SCOPE));
      expect(error.statusCode).toBe(500);
      expectHidden(token, error, credential);
    });

    it("Cloud Shell: 302 with a token body (and no redirect followed)", async () => {
      const token = unguessable("cloudshell-token");
      const server = await startTokenServer(() => ({
        ...tokenAnswer(token),
        status: 302,
        headers: { Location: "http://127.0.0.1:9/elsewhere" },
      }));
      servers.push(server);
      const credential = new CloudShellCredential({
        endpoint: `${server.origin}/oauth2/token`,
        retryOptions: NO_RETRY,
      });
      const error = await rejection(credential.getToken(SCOPE));
      expect(error.statusCode).toBe(302);
      expectHidden(token, error, credential);
    });

    it("Arc: 403 with a token body after the challenge", async () => {
      const token = unguessable("arc-token");
      const secret = unguessable("arc-secret");
      const key = await arc.write("a.key", secret);
      const agent = await startArcAgent({
        challenge: () => `Basic realm=${key}`,
        authorized: () => ({ ...tokenAnswer(token), status: 403 }),
      });
      servers.push(agent);
      const credential = new ArcCredential({
        endpoint: `${agent.origin}/token`,
        tokenFolder: arc.folder,
        retryOptions: NO_RETRY,
      });
      const error = await rejection(credential.getToken(SCOPE));
      expectHidden(token, error, credential);
      expectHidden(secret, error, credential);
    });
  });

  describe("credentials holding cached tokens", () => {
    it("JSON.stringify, String and inspect of every credential show none of its tokens or the Arc secret", async () => {
      const issued: string[] = [];
      const answer = (): ReturnType<typeof tokenAnswer> => {
        const token = unguessable("cached-token");
        issued.push(token);
        return tokenAnswer(token);
      };
      const secret = unguessable("arc-secret");
      const key = await arc.write("cache.key", secret);
      const imds = await startTokenServer(answer);
      const cloudShell = await startTokenServer(answer);
      const agent = await startArcAgent({ challenge: () => `Basic realm=${key}`, authorized: answer });
      servers.push(imds, cloudShell, agent);
      const credentials = [
        new ImdsCredential({ endpoint: imds.origin, clientId: "11111111-2222-3333-4444-555555555555" }),
        new CloudShellCredential({ endpoint: `${cloudShell.origin}/oauth2/token` }),
        new ArcCredential({ endpoint: `${agent.origin}/token`, tokenFolder: arc.folder }),
      ];
      for (const credential of credentials) {
        for (const scope of [SCOPE, "https://storage.azure.com/.default", "https://management.azure.com/.default"]) {
          const token = await credential.getToken(scope);
          // The tokens are cached: the renderings below would show them if anything exposed the cache.
          await expect(credential.getToken(scope)).resolves.toBe(token);
        }
      }
      expect(issued).toHaveLength(9);
      for (const hidden of [...issued, secret]) expectHidden(hidden, ...credentials);
    });
  });
});
