import { afterEach, describe, expect, it, vi } from "vitest";
import { AppServiceCredential, AuthenticationError, CredentialUnavailableError } from "../../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://storage.azure.com/.default";
const HEADER = "app-service-identity-header";

describe("AppServiceCredential", () => {
  let server: TokenServer | undefined;
  afterEach(async () => {
    vi.unstubAllEnvs();
    await server?.close();
    server = undefined;
  });

  async function appService(answer = tokenAnswer("as-token")): Promise<TokenServer> {
    server = await startTokenServer(() => answer);
    vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("IDENTITY_HEADER", HEADER);
    return server;
  }

  it("sends GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=R with X-IDENTITY-HEADER", async () => {
    const { requests } = await appService();

    const token = await new AppServiceCredential().getToken(SCOPE);

    expect(token.token).toBe("as-token");
    expect(requests).toHaveLength(1);
    expect(requests[0]!.method).toBe("GET");
    expect(requests[0]!.url.pathname).toBe("/msi/token");
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({
      "api-version": "2019-08-01",
      resource: "https://storage.azure.com",
    });
    expect(requests[0]!.headers["x-identity-header"]).toBe(HEADER);
    expect(requests[0]!.body).toBe("");
  });

  it.each([
    ["clientId", "client_id"],
    ["objectId", "object_id"],
    ["resourceId", "mi_res_id"],
  ] as const)("names a user-assigned identity by %s as %s", async (option, parameter) => {
    const { requests } = await appService();
    const value =
      option === "resourceId"
        ? "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id"
        : "1234";

    await new AppServiceCredential({ [option]: value }).getToken(SCOPE);

    const query = Object.fromEntries(requests[0]!.url.searchParams);
    expect(query).toEqual({ "api-version": "2019-08-01", resource: "https://storage.azure.com", [parameter]: value });
  });

  it("is unavailable without a request when IDENTITY_HEADER is empty (empty counts as unset)", async () => {
    const { requests } = await appService();
    vi.stubEnv("IDENTITY_HEADER", "");

    await expect(new AppServiceCredential().getToken(SCOPE)).rejects.toBeInstanceOf(CredentialUnavailableError);
    expect(requests).toHaveLength(0);
  });

  it("is unavailable when IDENTITY_ENDPOINT is not set", async () => {
    vi.stubEnv("IDENTITY_ENDPOINT", "");
    vi.stubEnv("IDENTITY_HEADER", HEADER);
    await expect(new AppServiceCredential().getToken(SCOPE)).rejects.toThrow(
      /IDENTITY_ENDPOINT and IDENTITY_HEADER are not both set/,
    );
  });

  it("turns an error answer into an AuthenticationError with the status and the endpoint's words, never the header", async () => {
    await appService({
      status: 400,
      body: { statusCode: 400, message: "Unable to load the proper Managed Identity." },
    });

    const error = (await new AppServiceCredential({ clientId: "nope" })
      .getToken(SCOPE)
      .catch((e: unknown) => e)) as AuthenticationError;

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain("Unable to load the proper Managed Identity.");
    expect(error.message).not.toContain(HEADER);
  });

  it("reads App Service 2017's expires_on date format", async () => {
    const expires = new Date(Date.now() + 3600_000);
    const hours = expires.getUTCHours() % 12 || 12;
    const pad = (n: number): string => String(n).padStart(2, "0");
    const text = `${expires.getUTCMonth() + 1}/${expires.getUTCDate()}/${expires.getUTCFullYear()} ${hours}:${pad(expires.getUTCMinutes())}:${pad(expires.getUTCSeconds())} ${expires.getUTCHours() < 12 ? "AM" : "PM"} +00:00`;
    await appService({ status: 200, body: { access_token: "t", expires_on: text, token_type: "Bearer" } });

    const token = await new AppServiceCredential().getToken(SCOPE);
    expect(Math.abs(token.expiresOnTimestamp - expires.getTime())).toBeLessThan(1000);
  });
});
