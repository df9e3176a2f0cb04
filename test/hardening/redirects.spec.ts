// Security review: a token request is never redirected. Every 3xx, from every credential, before
// and after the Arc challenge, ends in AuthenticationError; the redirect target sees nothing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError, CloudShellCredential, ImdsCredential } from "../../src/index.js";
import { type ArcFolders, makeArcFolders, startArcAgent, unguessable } from "../helpers/arcFixture.js";
import { type Answer, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const REDIRECTS = [301, 302, 303, 307, 308];
const NO_RETRY = { maxRetries: 0 };

describe("redirects are never followed", () => {
  let target: TokenServer;
  let arc: ArcFolders;
  const servers: TokenServer[] = [];

  beforeEach(async () => {
    // Where every redirect points: it would hand out a token to anyone who came.
    target = await startTokenServer(() => tokenAnswer("redirected-token"));
    arc = await makeArcFolders();
  });

  afterEach(async () => {
    await Promise.all([target, ...servers.splice(0)].map((s) => s.close()));
    await arc.remove();
  });

  // Another origin, and the same origin under another path (which even a cautious redirect policy follows).
  const LOCATIONS = [
    ["to another origin", () => `${target.origin}/token?stolen=1`],
    ["to the same origin", () => "/elsewhere/token?stolen=1"],
  ] as const;
  let location: () => string;
  const redirect = (status: number): Answer => ({ status, headers: { Location: location() }, body: "" });

  async function expectRedirectRefused(getToken: Promise<unknown>, status: number): Promise<void> {
    const error = await getToken.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(status);
    expect((error as Error).message).toContain(`answered ${status}`);
    expect(target.requests).toHaveLength(0);
    for (const server of servers)
      expect(server.requests.filter((r) => r.url.pathname.startsWith("/elsewhere"))).toEqual([]);
  }

  for (const [where, to] of LOCATIONS) {
    describe(where, () => {
      beforeEach(() => {
        location = to;
      });

      for (const status of REDIRECTS) {
        it(`IMDS ${status}: not followed, not retried`, async () => {
          const server = await startTokenServer(() => redirect(status));
          servers.push(server);
          await expectRedirectRefused(new ImdsCredential({ endpoint: server.origin }).getToken(SCOPE), status);
          expect(server.requests).toHaveLength(1);
        });

        it(`Cloud Shell ${status} to its POST: not followed, the form body goes nowhere else`, async () => {
          const server = await startTokenServer(() => redirect(status));
          servers.push(server);
          const credential = new CloudShellCredential({
            endpoint: `${server.origin}/oauth2/token`,
            retryOptions: NO_RETRY,
          });
          await expectRedirectRefused(credential.getToken(SCOPE), status);
          expect(server.requests).toHaveLength(1);
        });

        it(`Arc ${status} instead of the challenge: not followed, no file read`, async () => {
          const server = await startTokenServer(() => redirect(status));
          servers.push(server);
          const credential = new ArcCredential({
            endpoint: `${server.origin}/token`,
            tokenFolder: arc.folder,
            retryOptions: NO_RETRY,
          });
          await expectRedirectRefused(credential.getToken(SCOPE), status);
          expect(server.requests.map((r) => r.headers["authorization"])).toEqual([undefined]);
        });

        it(`Arc ${status} after the challenge: not followed, the secret goes nowhere else`, async () => {
          const secret = unguessable("arc-secret");
          const key = await arc.write("redirect.key", secret);
          const agent = await startArcAgent({
            challenge: () => `Basic realm=${key}`,
            authorized: () => redirect(status),
          });
          servers.push(agent);
          const credential = new ArcCredential({
            endpoint: `${agent.origin}/token`,
            tokenFolder: arc.folder,
            retryOptions: NO_RETRY,
          });
          await expectRedirectRefused(credential.getToken(SCOPE), status);
          expect(agent.requests.map((r) => r.headers["authorization"])).toEqual([undefined, `Basic ${secret}`]);
        });
      }
    });
  }
});
