import { afterEach, describe, expect, it } from "vitest";
import { CredentialUnavailableError, ImdsCredential } from "../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "./helpers/tokenServer.js";

describe("ImdsCredential on a loopback IMDS", () => {
  let server: TokenServer | undefined;
  afterEach(async () => server?.close());

  it("gets a token and caches it", async () => {
    server = await startTokenServer(() => tokenAnswer("abc"));
    const credential = new ImdsCredential({ endpoint: server.origin });
    const first = await credential.getToken("https://vault.azure.net/.default");
    const second = await credential.getToken("https://vault.azure.net/.default");
    expect(first.token).toBe("abc");
    expect(second).toBe(first);
    expect(server.requests).toHaveLength(1);
  });

  it("is unavailable at once when nothing listens", async () => {
    const credential = new ImdsCredential({ endpoint: "http://127.0.0.1:1" });
    await expect(credential.getToken("https://vault.azure.net/.default")).rejects.toBeInstanceOf(
      CredentialUnavailableError,
    );
  });
});
