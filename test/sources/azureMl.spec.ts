import { afterEach, describe, expect, it, vi } from "vitest";
import { AzureMLCredential, CredentialUnavailableError } from "../../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://management.azure.com/.default";
const SECRET = "azure-ml-msi-secret";

describe("AzureMLCredential", () => {
  let server: TokenServer | undefined;
  afterEach(async () => {
    vi.unstubAllEnvs();
    await server?.close();
    server = undefined;
  });

  async function azureMl(): Promise<TokenServer> {
    server = await startTokenServer(() => tokenAnswer("ml-token"));
    vi.stubEnv("MSI_ENDPOINT", `${server.origin}/msi/token/`);
    vi.stubEnv("MSI_SECRET", SECRET);
    return server;
  }

  it("sends GET $MSI_ENDPOINT?api-version=2017-09-01&resource=R&clientid=$DEFAULT_IDENTITY_CLIENT_ID with the secret header", async () => {
    const { requests } = await azureMl();
    vi.stubEnv("DEFAULT_IDENTITY_CLIENT_ID", "compute-identity");

    const token = await new AzureMLCredential().getToken(SCOPE);

    expect(token.token).toBe("ml-token");
    expect(requests[0]!.method).toBe("GET");
    expect(requests[0]!.url.pathname).toBe("/msi/token/");
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({
      "api-version": "2017-09-01",
      resource: "https://management.azure.com",
      clientid: "compute-identity",
    });
    expect(requests[0]!.headers["secret"]).toBe(SECRET);
  });

  it("sends the clientId option instead of DEFAULT_IDENTITY_CLIENT_ID", async () => {
    const { requests } = await azureMl();
    vi.stubEnv("DEFAULT_IDENTITY_CLIENT_ID", "compute-identity");

    await new AzureMLCredential({ clientId: "my-identity" }).getToken(SCOPE);

    expect(requests[0]!.url.searchParams.getAll("clientid")).toEqual(["my-identity"]);
  });

  it("sends no clientid when neither is given", async () => {
    const { requests } = await azureMl();
    vi.stubEnv("DEFAULT_IDENTITY_CLIENT_ID", "");

    await new AzureMLCredential().getToken(SCOPE);

    expect(requests[0]!.url.searchParams.has("clientid")).toBe(false);
  });

  it.each(["objectId", "resourceId"])("refuses %s at construction: Azure ML takes a client id only", async (option) => {
    const { requests } = await azureMl();
    expect(() => new AzureMLCredential({ [option]: "x" } as never)).toThrow(/Azure ML cannot use .*client id only/);
    expect(requests).toHaveLength(0);
  });

  it("is unavailable without MSI_SECRET (that is Cloud Shell)", async () => {
    const { requests } = await azureMl();
    vi.stubEnv("MSI_SECRET", "");

    await expect(new AzureMLCredential().getToken(SCOPE)).rejects.toBeInstanceOf(CredentialUnavailableError);
    expect(requests).toHaveLength(0);
  });
});
