// Property-based test of the whole credential against a real loopback endpoint answering anything:
// any status, any body, any challenge header. Every call ends in a usable token or the package's
// own error — never another exception, never an unhandled rejection, never an expired token.
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ArcCredential,
  AuthenticationError,
  CloudShellCredential,
  CredentialUnavailableError,
  ImdsCredential,
} from "../../src/index.js";
import { type ArcFolders, makeArcFolders } from "../helpers/arcFixture.js";
import { futureInstant, formattedExpiry, rawJsonValue } from "../helpers/expiryFormats.js";
import { type Answer, startTokenServer, type TokenServer } from "../helpers/tokenServer.js";
import { withoutNockInterceptor } from "../helpers/withoutNock.js";

const SCOPE = "https://vault.azure.net/.default";

/** Bodies: token answers with fuzzed fields (expiries in every format, relative to the real clock), JSON, text, HTML. */
function body(now: number): fc.Arbitrary<string> {
  const expiry = formattedExpiry(futureInstant).map((f) => JSON.stringify(f.value));
  return fc.oneof(
    fc
      .record({
        token: fc.oneof(
          fc.string({ minLength: 1, maxLength: 40 }).map((s) => JSON.stringify(s)),
          rawJsonValue,
        ),
        expiresOn: fc.oneof(
          fc.integer({ min: -86_400, max: 86_400 * 400 }).map((s) => String(Math.floor(now / 1000) + s)),
          rawJsonValue,
        ),
        expiresIn: fc.option(rawJsonValue, { nil: undefined }),
      })
      .map(
        ({ token, expiresOn, expiresIn }) =>
          `{"access_token":${token},"expires_on":${expiresOn}${expiresIn ? `,"expires_in":${expiresIn}` : ""}}`,
      ),
    expiry.map((e) => `{"access_token":"t","expires_on":${e}}`),
    rawJsonValue,
    fc.string(),
    fc.constantFrom(
      "",
      "<html><title>Proxy error</title></html>",
      '{"error":"invalid_request","error_description":"bad"}',
    ),
  );
}

/** Statuses the standard sources may see; 410 is left to the retry-policy properties (IMDS stretches it to 70 s). */
const status = fc.oneof(
  fc.constantFrom(200, 200, 200, 201, 203, 204, 400, 401, 403, 404, 408, 429, 500, 502, 503),
  fc.integer({ min: 200, max: 599 }),
);
const challenge = fc.option(
  fc.oneof(
    fc.string(),
    fc.constantFrom(
      "Basic",
      "Basic realm=",
      'Basic realm=""',
      "Basic realm=/etc/passwd",
      "Basic realm=relative.key",
      "Bearer realm=x",
    ),
  ),
  { nil: undefined },
);

describe("credentials against an endpoint that answers anything", () => {
  let server: TokenServer;
  let answer: Answer = { status: 500 };
  let arc: ArcFolders;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  beforeAll(async () => {
    server = await startTokenServer(() => answer);
    arc = await makeArcFolders();
    process.on("unhandledRejection", onUnhandled);
  });

  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await server.close();
    await arc.remove();
  });

  afterEach(() => {
    expect(unhandled).toEqual([]);
  });

  const credentials = {
    imds: () => new ImdsCredential({ endpoint: server.origin, retryOptions: { maxRetries: 0 } }),
    cloudShell: () =>
      new CloudShellCredential({ endpoint: `${server.origin}/oauth2/token`, retryOptions: { maxRetries: 0 } }),
    arc: () =>
      new ArcCredential({
        endpoint: `${server.origin}/token`,
        tokenFolder: arc.folder,
        retryOptions: { maxRetries: 0 },
      }),
  };

  for (const [name, make] of Object.entries(credentials)) {
    it(`${name}: a token valid now, or AuthenticationError / CredentialUnavailableError`, async () => {
      let tokens = 0;
      let errors = 0;
      // Node's own HTTP client, as in production: nock's interceptor throws an uncaught exception of its
      // own on a 205 that carries a body. Every request here goes to the 127.0.0.1 server above.
      await withoutNockInterceptor(() =>
        fc.assert(
          fc.asyncProperty(status, body(Date.now()), challenge, async (code, text, wwwAuthenticate) => {
            if (name === "imds" && code === 410) return;
            answer = {
              status: code,
              body: text,
              headers: wwwAuthenticate === undefined ? {} : { "WWW-Authenticate": wwwAuthenticate },
            };
            try {
              const token = await make().getToken(SCOPE);
              expect(typeof token.token).toBe("string");
              expect(token.token.length).toBeGreaterThan(0);
              expect(Number.isInteger(token.expiresOnTimestamp)).toBe(true);
              expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now());
              expect(token.refreshAfterTimestamp).toBeLessThan(token.expiresOnTimestamp);
              expect(code >= 200 && code < 300).toBe(true);
              tokens++;
            } catch (error) {
              errors++;
              expect(
                [AuthenticationError, CredentialUnavailableError].some((type) => error instanceof type),
                String(error),
              ).toBe(true);
            }
          }),
          { numRuns: 250 },
        ),
      );
      // Both outcomes were exercised, not just one.
      expect(tokens).toBeGreaterThan(0);
      expect(errors).toBeGreaterThan(0);
    });
  }
});
