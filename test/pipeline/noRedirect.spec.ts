// A token request is never redirected: following one could carry the request (and a secret) elsewhere.
import { redirectPolicy } from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError, CloudShellCredential, ImdsCredential } from "../../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const servers: TokenServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A redirecting endpoint and the loopback server it points at. */
async function redirectTo(status: number, path: string) {
  const target = await startTokenServer(() => tokenAnswer("elsewhere"));
  const redirector = await startTokenServer(() => ({ status, headers: { Location: `${target.origin}${path}` } }));
  servers.push(target, redirector);
  return { target, redirector };
}

describe.each([
  ["ImdsCredential", ImdsCredential, "/metadata/identity/oauth2/token"],
  ["ArcCredential", ArcCredential, "/metadata/identity/oauth2/token"],
  ["CloudShellCredential", CloudShellCredential, "/oauth2/token"],
] as const)("%s and a redirect", (_, Credential, path) => {
  it.each([301, 302, 307, 308])("does not follow %i, and names the status", async (status) => {
    const { target, redirector } = await redirectTo(status, path);
    const credential = new Credential({ endpoint: `${redirector.origin}${path}` });
    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ statusCode: status });
    expect((error as Error).message).toContain(`answered ${status}`);
    expect(redirector.requests).toHaveLength(1);
    expect(target.requests).toHaveLength(0);
  });

  it("does not follow a redirect to another path of the same endpoint either", async () => {
    const endpoint = await startTokenServer((request) =>
      request.url.pathname === path ? { status: 307, headers: { Location: "/elsewhere" } } : tokenAnswer("same-origin"),
    );
    servers.push(endpoint);
    const credential = new Credential({ endpoint: `${endpoint.origin}${path}` });
    await expect(credential.getToken(SCOPE)).rejects.toMatchObject({ name: "AuthenticationError", statusCode: 307 });
    expect(endpoint.requests.map((r) => r.url.pathname)).toEqual([path]);
  });
});

// The control: with core's redirectPolicy added, the same credential does reach the target.
it("would reach the redirect's target with core's redirectPolicy added (the control)", async () => {
  const { target } = await redirectTo(307, "/metadata/identity/oauth2/token");
  const redirector = servers.at(-1)!;
  const credential = new ImdsCredential({
    endpoint: redirector.origin,
    additionalPolicies: [{ policy: redirectPolicy({ allowCrossOriginRedirects: true }), position: "perRetry" }],
  });
  expect((await credential.getToken(SCOPE)).token).toBe("elsewhere");
  expect(target.requests).toHaveLength(1);
});
