import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArcCredential, AuthenticationError } from "../../../src/index.js";
import { tokenAnswer } from "../../helpers/tokenServer.js";
import {
  type HimdsAgent,
  makeTokenFolder,
  newSecret,
  startHimdsAgent,
  type TokenFolder,
  writeKey,
} from "../../helpers/himdsAgent.js";

const SCOPE = "https://vault.azure.net/.default";

describe("ArcCredential answers the himds file challenge", () => {
  let tokens: TokenFolder;
  let agent: HimdsAgent | undefined;
  beforeEach(async () => {
    tokens = await makeTokenFolder();
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await tokens.remove();
  });

  for (const [style, challenge] of [
    ["unquoted", (file: string) => `Basic realm=${file}`],
    ["quoted", (file: string) => `Basic realm="${file}"`],
  ] as const) {
    it(`reads the file named by an ${style} realm and sends its content back as Basic authorization`, async () => {
      const secret = newSecret();
      const file = await writeKey(path.join(tokens.folder, "4f1c.key"), secret);
      agent = await startHimdsAgent({ challenge: challenge(file), secret, answer: () => tokenAnswer("arc-token-1") });

      const token = await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder }).getToken(SCOPE);

      expect(token.token).toBe("arc-token-1");
      expect(token.tokenType).toBe("Bearer");
      expect(agent.requests).toHaveLength(2);
      const [first, second] = agent.requests;
      // The first try carries no secret; the second carries exactly the file's content.
      expect(first!.headers["authorization"]).toBeUndefined();
      expect(second!.headers["authorization"]).toBe(`Basic ${secret}`);
      for (const request of agent.requests) {
        expect(request.method).toBe("GET");
        expect(request.url.pathname).toBe("/metadata/identity/oauth2/token");
        expect(request.url.searchParams.get("api-version")).toBe("2020-06-01");
        expect(request.url.searchParams.get("resource")).toBe("https://vault.azure.net");
        expect(request.headers["metadata"]).toBe("true");
      }
    });
  }

  it("trims the trailing newline an agent's file may end with", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "a.key"), `${secret}\n`);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder }).getToken(SCOPE);
    expect(agent.requests[1]!.headers["authorization"]).toBe(`Basic ${secret}`);
  });

  it("accepts a file of exactly 4096 bytes", async () => {
    const secret = "s".repeat(4096);
    const file = await writeKey(path.join(tokens.folder, "max.key"), secret);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    const token = await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder }).getToken(SCOPE);
    expect(token.token).toBe("arc-token");
  });

  it("finds the Basic challenge among several", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "b.key"), secret);
    agent = await startHimdsAgent({ challenge: `Bearer realm="other", Basic realm="${file}"`, secret });
    const token = await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder }).getToken(SCOPE);
    expect(token.token).toBe("arc-token");
  });

  it("works with an endpoint named http://localhost:<port>", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "c.key"), secret);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    const endpoint = `http://localhost:${agent.port}/metadata/identity/oauth2/token`;
    const token = await new ArcCredential({ endpoint, tokenFolder: tokens.folder }).getToken(SCOPE);
    expect(token.token).toBe("arc-token");
    expect(agent.requests[1]!.headers["authorization"]).toBe(`Basic ${secret}`);
  });

  it("caches the token: the file is challenged and read once", async () => {
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "d.key"), secret);
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    const credential = new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder });
    const first = await credential.getToken(SCOPE);
    const second = await credential.getToken(SCOPE);
    expect(second).toBe(first);
    expect(agent.requests).toHaveLength(2);
  });

  it("fails with AuthenticationError, not a loop, when the agent refuses the secret", async () => {
    const file = await writeKey(path.join(tokens.folder, "e.key"), newSecret("stale"));
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret: newSecret("expected") });
    const error = await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder })
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(401);
    expect((error as AuthenticationError).errorResponse?.error).toBe("invalid_secret");
    // One challenge, one answer: a second 401 is not answered again.
    expect(agent.requests).toHaveLength(2);
  });

  it("explains a 401 that has no WWW-Authenticate header", async () => {
    agent = await startHimdsAgent({ challenge: undefined, secret: newSecret() });
    const error = await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder })
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).statusCode).toBe(401);
    expect((error as Error).message).toMatch(/401 without a 'WWW-Authenticate: Basic realm=<file>' challenge/);
    expect((error as Error).message).toMatch(/Azure Arc agent/);
    expect(agent.requests).toHaveLength(1);
  });

  it("explains a 401 whose challenge is not Basic", async () => {
    agent = await startHimdsAgent({
      challenge: 'Bearer authorization="https://login.microsoftonline.com/x"',
      secret: newSecret(),
    });
    const error = await new ArcCredential({ endpoint: agent.endpoint, tokenFolder: tokens.folder })
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toMatch(/WWW-Authenticate: Basic realm=<file>/);
    expect(agent.requests).toHaveLength(1);
  });
});
