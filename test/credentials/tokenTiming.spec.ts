import { afterEach, describe, expect, it, vi } from "vitest";
import { ImdsCredential } from "../../src/index.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const T = Date.UTC(2026, 10, 21, 5, 0, 0);

describe("the AccessToken a credential returns", () => {
  let server: TokenServer;
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
  });

  it("counts expires_in from when the request was sent, not from when the answer came", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T);
    server = await startTokenServer(() => {
      // The endpoint takes five seconds to answer.
      vi.setSystemTime(T + 5_000);
      return { body: { access_token: "t", expires_in: "3600", token_type: "Bearer" } };
    });
    const token = await new ImdsCredential({ endpoint: server.origin }).getToken(SCOPE);
    expect(token).toMatchObject({ token: "t", tokenType: "Bearer", expiresOnTimestamp: T + 3_600_000 });
  });

  it("honours the endpoint's refresh_in", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T);
    server = await startTokenServer(() => ({
      body: { access_token: "t", expires_on: String(T / 1000 + 86_400), refresh_in: 600 },
    }));
    const token = await new ImdsCredential({ endpoint: server.origin }).getToken(SCOPE);
    expect(token.expiresOnTimestamp).toBe(T + 86_400_000);
    expect(token.refreshAfterTimestamp).toBeLessThanOrEqual(T + 600_000);
    expect(token.refreshAfterTimestamp).toBeGreaterThanOrEqual(T + 600_000 - 60_000);
  });

  it("takes App Service 2017's expires_on with numbers as strings", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(T);
    server = await startTokenServer(() => ({
      body: {
        access_token: "t",
        expires_on: "11/21/2026 6:00:00 AM +00:00",
        expires_in: "3600",
        resource: "https://vault.azure.net",
      },
    }));
    const token = await new ImdsCredential({ endpoint: server.origin }).getToken(SCOPE);
    expect(token.expiresOnTimestamp).toBe(T + 3_600_000);
  });
});
