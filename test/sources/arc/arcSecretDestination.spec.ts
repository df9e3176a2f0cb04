// Security review: the Arc secret goes only to a loopback endpoint, only to the very URL (host and
// port) that issued the challenge, and only in answer to a challenge.
import {
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type PipelineRequest,
  type SendRequest,
} from "@azure/core-rest-pipeline";
import fc from "fast-check";
import { promises as fsPromises } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { arcChallengePolicy, ArcCredential, AuthenticationError } from "../../../src/index.js";
import { type ArcFolders, makeArcFolders, startArcAgent, unguessable } from "../../helpers/arcFixture.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";

/** What a fake `next` saw: each request's URL and Authorization header. */
interface Sent {
  url: string;
  authorization: string | undefined;
}

/** A `next` that answers a request without Authorization with the challenge, and one with it with 200. No sockets. */
function challengingNext(key: string): { next: SendRequest; sent: Sent[] } {
  const sent: Sent[] = [];
  const next: SendRequest = async (request) => {
    const authorization = request.headers.get("Authorization");
    sent.push({ url: request.url, authorization });
    return authorization === undefined
      ? {
          request,
          status: 401,
          headers: createHttpHeaders({ "WWW-Authenticate": `Basic realm=${key}` }),
          bodyAsText: "",
        }
      : { request, status: 200, headers: createHttpHeaders(), bodyAsText: "{}" };
  };
  return { next, sent };
}

describe("where the Arc secret may go", () => {
  let arc: ArcFolders;
  let secret: string;
  let key: string;
  const servers: TokenServer[] = [];

  beforeEach(async () => {
    arc = await makeArcFolders();
    secret = unguessable("arc-secret");
    key = await arc.write("dest.key", secret);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await arc.remove();
  });

  describe("arcChallengePolicy alone, with a fake next (nothing touches the network)", () => {
    const notLoopback = [
      "http://10.0.0.1:40342/metadata/identity/oauth2/token",
      "http://169.254.169.254/metadata/identity/oauth2/token",
      "https://management.azure.com/token",
      "http://127.0.0.1.nip.io:40342/token",
      "http://localhost.evil.example:40342/token",
      "http://127.0.0.1@evil.example:40342/token",
      "http://[::ffff:10.0.0.1]:40342/token",
      "http://[fe80::1]:40342/token",
      "http://0.0.0.0:40342/token",
      "http://[::]:40342/token",
      "http://128.0.0.1:40342/token",
      "http://0x0a000001:40342/token",
    ];
    for (const url of notLoopback) {
      it(`a challenge from ${url}: refused, the file never opened, the secret never sent`, async () => {
        const open = vi.spyOn(fsPromises, "open");
        const { next, sent } = challengingNext(key);
        const request = createPipelineRequest({ url, allowInsecureConnection: true });
        const policy = arcChallengePolicy({ tokenFolder: arc.folder });
        await expect(policy.sendRequest(request, next)).rejects.toThrow(AuthenticationError);
        await expect(policy.sendRequest(request, next)).rejects.toThrow(/not this machine|loopback/);
        expect(sent.every((s) => s.authorization === undefined)).toBe(true);
        expect(sent).toHaveLength(2);
        expect(open).not.toHaveBeenCalled();
        expect(request.headers.has("Authorization")).toBe(false);
      });
    }

    const loopback = [
      "http://127.0.0.1:40342/token",
      "http://localhost:40342/token",
      "http://[::1]:40342/token",
      "http://127.8.9.10:1/token",
    ];
    for (const url of loopback) {
      it(`a challenge from ${url}: the secret goes back to exactly that URL, once, and leaves the request afterwards`, async () => {
        // The same spy as above, seeing the one read here: so its silence above means something.
        const open = vi.spyOn(fsPromises, "open");
        const { next, sent } = challengingNext(key);
        const request = createPipelineRequest({ url, allowInsecureConnection: true });
        const response = await arcChallengePolicy({ tokenFolder: arc.folder }).sendRequest(request, next);
        expect(response.status).toBe(200);
        expect(sent).toEqual([
          { url, authorization: undefined },
          { url, authorization: `Basic ${secret}` },
        ]);
        expect(request.headers.has("Authorization")).toBe(false);
        expect(open).toHaveBeenCalledTimes(1);
      });
    }
  });

  describe("ArcCredential on real loopback servers", () => {
    it("a redirect from the challenged agent to another port is not followed: the other port sees nothing", async () => {
      const elsewhere = await startTokenServer(() => tokenAnswer("elsewhere-token"));
      const agent = await startArcAgent({
        challenge: () => `Basic realm=${key}`,
        authorized: () => ({ status: 307, headers: { Location: `${elsewhere.origin}/token` } }),
      });
      servers.push(elsewhere, agent);
      const credential = new ArcCredential({
        endpoint: `${agent.origin}/token`,
        tokenFolder: arc.folder,
        retryOptions: { maxRetries: 0 },
      });
      await expect(credential.getToken(SCOPE)).rejects.toMatchObject({ name: "AuthenticationError", statusCode: 307 });
      expect(elsewhere.requests).toHaveLength(0);
      expect(agent.requests.map((r) => r.headers["authorization"])).toEqual([undefined, `Basic ${secret}`]);
    });

    it("a retry after the authenticated try failed starts without the secret: it is sent only in answer to a new challenge", async () => {
      let authorized = 0;
      const agent = await startArcAgent({
        challenge: () => `Basic realm=${key}`,
        authorized: () => (++authorized === 1 ? { status: 503, body: { error: "busy" } } : tokenAnswer("arc-token")),
      });
      servers.push(agent);
      const credential = new ArcCredential({
        endpoint: `${agent.origin}/token`,
        tokenFolder: arc.folder,
        retryOptions: { maxRetries: 1, retryDelayInMs: 1, maxRetryDelayInMs: 1 },
      });
      await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: "arc-token" });
      expect(agent.requests.map((r) => r.headers["authorization"])).toEqual([
        undefined,
        `Basic ${secret}`,
        undefined,
        `Basic ${secret}`,
      ]);
    });

    it("any endpoint URL at all: the secret goes only to a loopback host, to the URL that was just challenged", async () => {
      const endpoint = fc.oneof(
        fc.webUrl(),
        fc.integer({ min: 1, max: 65_535 }).map((port) => `http://127.0.0.1:${port}/metadata/identity/oauth2/token`),
        fc.constantFrom(
          "http://localhost:40342/x",
          "http://[::1]:1/x",
          "http://10.1.2.3:40342/x",
          "http://127.0.0.1.example.com/x",
        ),
      );
      await fc.assert(
        fc.asyncProperty(endpoint, async (url) => {
          const sent: Sent[] = [];
          // Answers from the machine itself: every request is challenged unless it carries Authorization.
          const httpClient: HttpClient = {
            async sendRequest(request: PipelineRequest) {
              const authorization = request.headers.get("Authorization");
              sent.push({ url: request.url, authorization });
              if (authorization === undefined) {
                return {
                  request,
                  status: 401,
                  headers: createHttpHeaders({ "WWW-Authenticate": `Basic realm="${key}"` }),
                  bodyAsText: "",
                };
              }
              return {
                request,
                status: 200,
                headers: createHttpHeaders(),
                bodyAsText: JSON.stringify({ access_token: "t", expires_in: 3600 }),
              };
            },
          };
          const credential = new ArcCredential({
            endpoint: url,
            httpClient,
            tokenFolder: arc.folder,
            retryOptions: { maxRetries: 0 },
          });
          await credential.getToken(SCOPE).catch((error: unknown) => expect(error).toBeInstanceOf(AuthenticationError));
          sent.forEach((s, i) => {
            if (s.authorization === undefined) return;
            const host = new URL(s.url).hostname;
            expect(["127.0.0.1", "localhost", "[::1]"].includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host), host).toBe(
              true,
            );
            expect(sent[i - 1]).toEqual({ url: s.url, authorization: undefined });
          });
        }),
        { numRuns: 300 },
      );
    });
  });
});
