import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError, CloudShellCredential, ImdsCredential } from "../../src/index.js";
import { type Answer, startTokenServer, type TokenServer } from "../helpers/tokenServer.js";
import { failure } from "../helpers/failure.js";

const SCOPE = "https://vault.azure.net/.default";
const SECRET = "SECRET-TOKEN-VALUE";
const inOneHour = (): number => Math.floor(Date.now() / 1000) + 3600;

const MALFORMED: Array<[string, () => Answer, RegExp]> = [
  ["malformed JSON", () => ({ body: `{"access_token": "${SECRET}", "expires_on": ` }), /not JSON/],
  ["a JSON array", () => ({ body: [{ access_token: SECRET, expires_on: inOneHour() }] }), /JSON but not an object/],
  ["no access_token", () => ({ body: { expires_on: inOneHour() } }), /no access_token/],
  [
    "a numeric access_token",
    () => ({ body: { access_token: 12345, expires_on: inOneHour() } }),
    /access_token is not a non-empty string/,
  ],
  [
    "an object expires_on",
    () => ({ body: { access_token: SECRET, expires_on: { value: 1 } } }),
    /expires_on \(object\)/,
  ],
  ["a boolean expires_on", () => ({ body: { access_token: SECRET, expires_on: false } }), /expires_on \(boolean\)/],
  [
    "an unparseable date",
    () => ({ body: { access_token: SECRET, expires_on: "soon" } }),
    /neither epoch seconds nor a date/,
  ],
  ["an expired token", () => ({ body: { access_token: SECRET, expires_on: inOneHour() - 7200 } }), /already expired/],
  [
    "an HTML page with status 200",
    () => ({ headers: { "Content-Type": "text/html" }, body: `<!DOCTYPE html><html><body>${SECRET}</body></html>` }),
    /HTML/,
  ],
  ["an empty body", () => ({ body: "" }), /empty/],
];

describe("malformed token answers through a credential", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => {
    process.on("unhandledRejection", onUnhandled);
  });
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  let server: TokenServer;
  afterEach(async () => server?.close());

  it.each(MALFORMED)(
    "IMDS: %s → AuthenticationError with a clear message, never the token",
    async (_name, answer, message) => {
      server = await startTokenServer(() => ({ status: 200, ...answer() }));
      const error = await failure(new ImdsCredential({ endpoint: server.origin }).getToken(SCOPE));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.name).toBe("AuthenticationError");
      expect(error.message).toMatch(
        /^IMDS: http:\/\/127\.0\.0\.1:\d+\/metadata\/identity\/oauth2\/token answered 200 with something that is not a token/,
      );
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(SECRET);
      expect(error).toMatchObject({ statusCode: 200 });
      // A malformed answer is not retried.
      expect(server.requests).toHaveLength(1);
    },
  );

  it.each([
    ["ArcCredential", (origin: string) => new ArcCredential({ endpoint: `${origin}/metadata/identity/oauth2/token` })],
    ["CloudShellCredential", (origin: string) => new CloudShellCredential({ endpoint: `${origin}/oauth2/token` })],
  ])("%s rejects a malformed answer the same way", async (_name, create) => {
    server = await startTokenServer(() => ({ body: { access_token: SECRET } }));
    const credential = create(server.origin);
    await expect(credential.getToken(SCOPE)).rejects.toThrow(/neither expires_on nor expires_in/);
    await expect(credential.getToken(SCOPE)).rejects.toBeInstanceOf(AuthenticationError);
    expect(server.requests).toHaveLength(2);
  });

  it("left no unhandled rejection behind", async () => {
    // Let every pending rejection surface before looking.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(unhandled).toEqual([]);
  });
});
