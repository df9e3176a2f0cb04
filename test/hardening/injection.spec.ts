// Security review: no value an application or an environment gives (clientId, objectId,
// resourceId, scope, a header secret, the Arc file) can add a query parameter, a form field or a
// header. Values are percent-encoded; a line break or other control character is refused cleanly.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AppServiceCredential,
  ArcCredential,
  AuthenticationError,
  CloudShellCredential,
  ImdsCredential,
} from "../../src/index.js";
import { makeArcFolders, startArcAgent } from "../helpers/arcFixture.js";
import { type SeenRequest, startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

/** Every character that means something in a query, a form or a header line. */
const HOSTILE = "a&b=c#d%e+f g?h/i;j\\k\"l'm<n>o";
/** The same, as application/x-www-form-urlencoded writes it (written out by hand, not by the code under test). */
const HOSTILE_ENCODED = "a%26b%3Dc%23d%25e%2Bf+g%3Fh%2Fi%3Bj%5Ck%22l%27m%3Cn%3Eo";
/** {@link HOSTILE} without its space, which a scope may not hold. */
const HOSTILE_SCOPE = HOSTILE.replace(" ", "");
const HOSTILE_SCOPE_ENCODED = HOSTILE_ENCODED.replace("+g", "g");
const VAULT = "https%3A%2F%2Fvault.azure.net";

describe("no parameter or header injection", () => {
  const servers: TokenServer[] = [];
  afterEach(async () => {
    vi.unstubAllEnvs();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  /** A token server that records the raw request target, exactly as it came off the wire. */
  async function rawServer(): Promise<{ server: TokenServer; targets: string[] }> {
    const targets: string[] = [];
    const server = await startTokenServer((_seen, { req }) => {
      targets.push(req.url ?? "");
      return tokenAnswer();
    });
    servers.push(server);
    return { server, targets };
  }

  const headerNames = (request: SeenRequest): string[] => Object.keys(request.headers).sort();

  describe("query parameters (IMDS and Arc)", () => {
    const identities = [
      ["clientId", "client_id"],
      ["objectId", "object_id"],
      ["resourceId", "msi_res_id"],
    ] as const;
    for (const [option, parameter] of identities) {
      it(`IMDS ${option} with & = # % + space ? / and quotes: the exact query string, one parameter each`, async () => {
        const { server, targets } = await rawServer();
        await new ImdsCredential({ endpoint: server.origin, [option]: HOSTILE }).getToken(
          "https://vault.azure.net/.default",
        );
        expect(targets).toEqual([
          `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${VAULT}&${parameter}=${HOSTILE_ENCODED}`,
        ]);
        const query = server.requests[0]!.url.searchParams;
        expect([...query.keys()]).toEqual(["api-version", "resource", parameter]);
        expect(query.get(parameter)).toBe(HOSTILE);
      });
    }

    it("a scope with & = # %: the exact query string; the resource comes back whole and adds no parameter", async () => {
      const { server, targets } = await rawServer();
      await new ImdsCredential({ endpoint: server.origin }).getToken(`https://x.example/${HOSTILE_SCOPE}/.default`);
      expect(targets).toEqual([
        `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fx.example%2F${HOSTILE_SCOPE_ENCODED}`,
      ]);
      expect([...server.requests[0]!.url.searchParams.keys()]).toEqual(["api-version", "resource"]);
      expect(server.requests[0]!.url.searchParams.get("resource")).toBe(`https://x.example/${HOSTILE_SCOPE}`);
    });

    it("a scope that tries to override api-version or add client_id stays inside the resource value", async () => {
      const { server, targets } = await rawServer();
      await new ImdsCredential({ endpoint: server.origin }).getToken(
        "https://v.example&api-version=1999-01-01&client_id=evil/.default",
      );
      expect(targets).toEqual([
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fv.example%26api-version%3D1999-01-01%26client_id%3Devil",
      ]);
      expect(server.requests[0]!.url.searchParams.getAll("api-version")).toEqual(["2018-02-01"]);
      expect(server.requests[0]!.url.searchParams.has("client_id")).toBe(false);
    });

    it("Arc clientId with & = # %: the exact query string on both the challenged and the authenticated request", async () => {
      const arc = await makeArcFolders();
      try {
        const key = await arc.write("q.key", "arc-secret-value");
        const agent = await startArcAgent({ challenge: () => `Basic realm=${key}`, authorized: () => tokenAnswer() });
        servers.push(agent);
        const credential = new ArcCredential({
          endpoint: `${agent.origin}/token`,
          tokenFolder: arc.folder,
          clientId: HOSTILE,
        });
        // The identity check fails closed (the token names no client id): the requests are what matters here.
        await credential.getToken("https://vault.azure.net/.default").catch(() => undefined);
        const expected = `/token?api-version=2020-06-01&resource=${VAULT}&client_id=${HOSTILE_ENCODED}`;
        expect(agent.requests.map((r) => `${r.url.pathname}${r.url.search}`)).toEqual([expected, expected]);
      } finally {
        await arc.remove();
      }
    });
  });

  describe("form fields (Cloud Shell)", () => {
    it("a scope with & = # %: the exact body, one field", async () => {
      const server = await startTokenServer(() => tokenAnswer());
      servers.push(server);
      await new CloudShellCredential({ endpoint: `${server.origin}/oauth2/token` }).getToken(
        `https://x.example/${HOSTILE_SCOPE}/.default`,
      );
      expect(server.requests[0]!.body).toBe(`resource=https%3A%2F%2Fx.example%2F${HOSTILE_SCOPE_ENCODED}`);
      expect([...new URLSearchParams(server.requests[0]!.body).keys()]).toEqual(["resource"]);
      expect(server.requests[0]!.url.search).toBe("");
    });
  });

  describe("line breaks and control characters", () => {
    const breaks = ["\r\nX-Injected: yes", "\nX-Injected: yes", "\rX-Injected: yes", "\u0000", "\u001b[31m"];

    for (const [i, tail] of breaks.entries()) {
      it(`a scope ending in ${JSON.stringify(tail)}: TypeError, nothing sent`, async () => {
        const { server } = await rawServer();
        const error = await new ImdsCredential({ endpoint: server.origin })
          .getToken(`https://vault.azure.net${tail}/.default`)
          .catch((e: unknown) => e);
        expect(error, String(i)).toBeInstanceOf(TypeError);
        expect((error as Error).message).not.toMatch(/[\r\n\u0000\u001b]/);
        expect(server.requests).toHaveLength(0);
      });

      for (const option of ["clientId", "objectId", "resourceId"] as const) {
        it(`${option} holding ${JSON.stringify(tail)}: a TypeError at construction, nothing sent`, async () => {
          const { server } = await rawServer();
          expect(
            () =>
              new ImdsCredential({ endpoint: server.origin, [option]: `11111111-2222-3333-4444-555555555555${tail}` }),
          ).toThrow(new RegExp(`${option}.*control character`));
          expect(() => new ArcCredential({ endpoint: server.origin, [option]: `id${tail}` })).toThrow(TypeError);
          expect(server.requests).toHaveLength(0);
        });
      }
    }

    // core-rest-pipeline strips CR and LF from header values and sends the rest: the package refuses first.
    it("an Arc challenge file holding a line break: a clean AuthenticationError, the file not sent, no secret in the message", async () => {
      const arc = await makeArcFolders();
      try {
        const key = await arc.write("crlf.key", "secret-part-one\r\nX-Injected: yes");
        const agent = await startArcAgent({ challenge: () => `Basic realm=${key}`, authorized: () => tokenAnswer() });
        servers.push(agent);
        const credential = new ArcCredential({
          endpoint: `${agent.origin}/token`,
          tokenFolder: arc.folder,
          retryOptions: { maxRetries: 0 },
        });
        const error = await credential.getToken("https://vault.azure.net/.default").catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AuthenticationError);
        expect((error as Error).message).toMatch(/line break/);
        expect((error as Error).message).not.toContain("secret-part-one");
        expect(
          agent.requests.every(
            (r) => r.headers["x-injected"] === undefined && r.headers["authorization"] === undefined,
          ),
        ).toBe(true);
      } finally {
        await arc.remove();
      }
    });

    it("App Service: IDENTITY_HEADER holding a line break: a clean AuthenticationError, nothing sent, the value in no message", async () => {
      const { server } = await rawServer();
      vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}/msi/token`);
      vi.stubEnv("IDENTITY_HEADER", "header-secret\r\nX-Injected: yes");
      const credential = new AppServiceCredential({ retryOptions: { maxRetries: 0 } });
      const error = await credential.getToken("https://vault.azure.net/.default").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toMatch(/X-IDENTITY-HEADER.*line break/);
      expect((error as Error).message).not.toContain("header-secret");
      expect(server.requests).toHaveLength(0);
    });

    it("a baseline: the same requests without hostile values carry exactly the same header names", async () => {
      const plain = await rawServer();
      const hostile = await rawServer();
      await new ImdsCredential({ endpoint: plain.server.origin, clientId: "plain" }).getToken(
        "https://vault.azure.net/.default",
      );
      await new ImdsCredential({ endpoint: hostile.server.origin, clientId: HOSTILE }).getToken(
        `https://x.example/${HOSTILE_SCOPE}/.default`,
      );
      expect(headerNames(hostile.server.requests[0]!)).toEqual(headerNames(plain.server.requests[0]!));
    });
  });
});
