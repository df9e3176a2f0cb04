import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ChainedTokenCredential } from "@azure/identity";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ArcCredential, AuthenticationError, CredentialUnavailableError, ImdsCredential } from "../../src/index.js";
import {
  expectSecretNeverSent,
  makeTokenFolder,
  newSecret,
  startHimdsAgent,
  type TokenFolder,
  writeKey,
} from "../helpers/himdsAgent.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";

/** A loopback port where nothing listens: a connection to it is refused at once. */
async function refusedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The next credential in the chain, standing in for a developer credential. */
function stubCredential(): TokenCredential & { getToken: ReturnType<typeof vi.fn> } {
  return {
    getToken: vi.fn(async (): Promise<AccessToken> => ({
      token: "developer-token",
      expiresOnTimestamp: Date.now() + 3_600_000,
    })),
  };
}

describe("inside @azure/identity's ChainedTokenCredential", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });

  async function server(handler: Parameters<typeof startTokenServer>[0]): Promise<TokenServer> {
    const started = await startTokenServer(handler);
    cleanups.push(() => started.close());
    return started;
  }

  it("ImdsCredential on a refused port: CredentialUnavailableError, and the chain moves on", async () => {
    const imds = new ImdsCredential({ endpoint: `http://127.0.0.1:${await refusedPort()}` });
    // The error the chain sees, on its own first.
    const alone = await imds.getToken(SCOPE).catch((e: unknown) => e);
    expect(alone).toBeInstanceOf(CredentialUnavailableError);
    expect((alone as Error).name).toBe("CredentialUnavailableError");

    const next = stubCredential();
    const token = await new ChainedTokenCredential(imds, next).getToken(SCOPE);

    expect(token?.token).toBe("developer-token");
    expect(next.getToken).toHaveBeenCalledTimes(1);
  });

  it("ImdsCredential answered 400 (no identity on this VM): the chain moves on", async () => {
    const imds = await server(() => ({
      status: 400,
      body: { error: "invalid_request", error_description: "Identity not found" },
    }));
    const next = stubCredential();
    const token = await new ChainedTokenCredential(new ImdsCredential({ endpoint: imds.origin }), next).getToken(SCOPE);
    expect(token?.token).toBe("developer-token");
    expect(imds.requests).toHaveLength(1);
  });

  it("ArcCredential with no agent listening: the chain moves on", async () => {
    const arc = new ArcCredential({
      endpoint: `http://127.0.0.1:${await refusedPort()}/metadata/identity/oauth2/token`,
    });
    const next = stubCredential();
    expect((await new ChainedTokenCredential(arc, next).getToken(SCOPE))?.token).toBe("developer-token");
  });

  it("ImdsCredential answered 500: AuthenticationError stops the chain, the next credential is never asked", async () => {
    const imds = await server(() => ({
      status: 500,
      body: { error: "server_error", error_description: "IMDS failed" },
    }));
    const next = stubCredential();
    const chain = new ChainedTokenCredential(
      new ImdsCredential({ endpoint: imds.origin, retryOptions: { maxRetries: 0 } }),
      next,
    );

    const error = await chain.getToken(SCOPE).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).name).toBe("AuthenticationError");
    expect((error as AuthenticationError).statusCode).toBe(500);
    expect((error as AuthenticationError).errorResponse).toEqual({
      error: "server_error",
      errorDescription: "IMDS failed",
    });
    expect(next.getToken).not.toHaveBeenCalled();
  });

  it("ArcCredential whose challenge file is refused: the chain stops instead of falling through", async () => {
    const tokens: TokenFolder = await makeTokenFolder();
    cleanups.push(() => tokens.remove());
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.outside, "x.key"), secret);
    const himds = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret });
    cleanups.push(() => himds.close());
    const next = stubCredential();

    const error = await new ChainedTokenCredential(
      new ArcCredential({ endpoint: himds.endpoint, tokenFolder: tokens.folder }),
      next,
    )
      .getToken(SCOPE)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(next.getToken).not.toHaveBeenCalled();
    expectSecretNeverSent(himds, secret);
  });

  it("a working ImdsCredential first: the next credential is never asked", async () => {
    const imds = await server(() => ({
      status: 200,
      body: { access_token: "imds-token", expires_in: 3600, token_type: "Bearer" },
    }));
    const next = stubCredential();
    expect(
      (await new ChainedTokenCredential(new ImdsCredential({ endpoint: imds.origin }), next).getToken(SCOPE))?.token,
    ).toBe("imds-token");
    expect(next.getToken).not.toHaveBeenCalled();
  });
});
