import { afterEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError, CloudShellCredential, ImdsCredential } from "../../src/index.js";
import { startTokenServer, tokenAnswer, type SeenRequest, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";

/** What identifies a request on the wire, without the per-request id and trace headers. */
function shape(request: SeenRequest): unknown {
  return {
    method: request.method,
    path: request.url.pathname,
    query: Object.fromEntries(request.url.searchParams),
    metadata: request.headers["metadata"],
    body: request.body,
  };
}

describe.each([
  ["ImdsCredential", (endpoint: string) => new ImdsCredential({ endpoint })],
  [
    "ArcCredential",
    (endpoint: string) => new ArcCredential({ endpoint: `${endpoint}/metadata/identity/oauth2/token` }),
  ],
  ["CloudShellCredential", (endpoint: string) => new CloudShellCredential({ endpoint: `${endpoint}/oauth2/token` })],
])("%s and GetTokenOptions", (_name, create) => {
  let server: TokenServer;
  let issued = 0;
  afterEach(async () => server?.close());

  async function start(): Promise<void> {
    issued = 0;
    server = await startTokenServer(() => tokenAnswer(`token-${++issued}`));
  }

  it("ignores tenantId: no error, the same request as without it", async () => {
    await start();
    const token = await create(server.origin).getToken(SCOPE, { tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47" });
    await create(server.origin).getToken(SCOPE);
    expect(token.token).toBe("token-1");
    expect(server.requests).toHaveLength(2);
    expect(shape(server.requests[0]!)).toEqual(shape(server.requests[1]!));
  });

  it("serves a cached token to a call with another tenantId", async () => {
    await start();
    const credential = create(server.origin);
    await credential.getToken(SCOPE);
    expect((await credential.getToken(SCOPE, { tenantId: "other-tenant" })).token).toBe("token-1");
    expect(server.requests).toHaveLength(1);
  });

  it("bypasses the cache for claims, and caches the token that comes back", async () => {
    await start();
    const credential = create(server.origin);
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    expect((await credential.getToken(SCOPE, { claims: '{"access_token":{"nbf":{"essential":true}}}' })).token).toBe(
      "token-2",
    );
    expect(server.requests).toHaveLength(2);
    expect((await credential.getToken(SCOPE)).token).toBe("token-2");
    expect(server.requests).toHaveLength(2);
  });

  it("takes an array of one scope", async () => {
    await start();
    const token = await create(server.origin).getToken([SCOPE]);
    expect(token.token).toBe("token-1");
    expect(
      server.requests[0]!.url.searchParams.get("resource") ??
        new URLSearchParams(server.requests[0]!.body).get("resource"),
    ).toBe("https://vault.azure.net");
  });

  it.each([
    [["https://vault.azure.net/.default", "https://storage.azure.com/.default"], /exactly one scope.*got 2/],
    [[], /exactly one scope.*got 0/],
  ])("rejects %j with a TypeError (the caller's mistake), sending nothing", async (scopes, message) => {
    await start();
    const credential = create(server.origin);
    await expect(credential.getToken(scopes)).rejects.toThrow(TypeError);
    await expect(credential.getToken(scopes)).rejects.toThrow(message);
    expect(server.requests).toHaveLength(0);
  });

  it.each([[""], ["   "], ["https://a/.default https://b/.default"], [42], [null], [[7]]])(
    "rejects the scope %j with a TypeError in a rejected promise, not a throw",
    async (scope) => {
      await start();
      const result = create(server.origin).getToken(scope as string);
      await expect(result).rejects.toThrow(TypeError);
      await expect(result).rejects.not.toBeInstanceOf(AuthenticationError);
      expect(server.requests).toHaveLength(0);
    },
  );
});

describe("tracingOptions", () => {
  let server: TokenServer;
  afterEach(async () => server?.close());

  it("reach the token request of the caller that started it", async () => {
    server = await startTokenServer(() => tokenAnswer());
    const seen: unknown[] = [];
    const credential = new ImdsCredential({
      endpoint: server.origin,
      additionalPolicies: [
        {
          position: "perCall",
          policy: {
            name: "recordTracing",
            sendRequest: (request, next) => {
              seen.push(request.tracingOptions?.tracingContext);
              return next(request);
            },
          },
        },
      ],
    });
    const tracingContext = {
      getValue: () => undefined,
      setValue: () => tracingContext,
      deleteValue: () => tracingContext,
    };
    await credential.getToken(SCOPE, { tracingOptions: { tracingContext } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(tracingContext);
  });
});
