// @azure/cosmos through AppServiceCredential (and ImdsCredential), against a loopback Cosmos DB account.
//
// How the client calls getToken (Azure/azure-sdk-for-js, sdk/cosmosdb/cosmos/src/ClientContext.ts and
// src/common/constants.ts): a bearerTokenAuthenticationPolicy whose authorizeRequest asks for the account
// scope `${endpoint}/.default` with no options, sends it as `type=aad&ver=1.0&sig=<token>`, and, when the
// error's message contains AADSTS500011 (and no `aadScope` was given), asks once for
// `https://cosmos.azure.com/.default` instead. Entra answers AADSTS500011 for an account whose resource is
// not registered in the tenant; the emulator's `unknownResources` does the same.
import { CosmosClient } from "@azure/cosmos";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { AppServiceCredential, AuthenticationError, ImdsCredential } from "../../src/index.js";
import { rejection } from "./helpers/rejection.js";
import { tokenRequestsAt, verifiedClaims } from "./helpers/emulatorTokens.js";
import { recordingCredential } from "./helpers/recordingCredential.js";
import { bearerOf, type ServiceFake, startServiceFake } from "./helpers/serviceFake.js";

const ACCOUNT = "https://contoso-cosmos.documents.azure.com";
const FALLBACK = "https://cosmos.azure.com";
const DATABASE = {
  id: "db1",
  _rid: "AAAAAA==",
  _self: "dbs/AAAAAA==/",
  _etag: '"0"',
  _colls: "colls/",
  _users: "users/",
  _ts: 1,
};

describe("@azure/cosmos with AppServiceCredential and ImdsCredential", () => {
  let emulator: Emulator;
  let cosmos: ServiceFake;

  beforeAll(async () => {
    // The account's own resource is unknown to the tenant: Entra answers 400 invalid_resource AADSTS500011.
    emulator = await startEmulator({ sources: ["appservice", "imds"], unknownResources: [ACCOUNT] });
    for (const [name, value] of Object.entries(emulator.env.appservice!)) vi.stubEnv(name, value);
    cosmos = await startServiceFake((request) =>
      request.url.pathname.startsWith("/dbs/db1") ? { status: 200, body: DATABASE } : { status: 404, body: {} },
    );
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await cosmos.close();
    await emulator.close();
  });
  afterEach(() => {
    cosmos.requests.length = 0;
    emulator.requests.length = 0;
  });

  function client(aadScope?: string): { client: CosmosClient; calls: ReturnType<typeof recordingCredential>["calls"] } {
    const credential = recordingCredential(new AppServiceCredential());
    const cosmosClient = new CosmosClient({
      endpoint: `${ACCOUNT}:443/`,
      aadCredentials: credential,
      ...(aadScope !== undefined && { aadScope }),
      httpClient: cosmos.stealingHttpClient,
      connectionPolicy: { enableEndpointDiscovery: false, retryOptions: { maxRetryAttemptCount: 0 } },
    });
    return { client: cosmosClient, calls: credential.calls };
  }

  it("falls back to https://cosmos.azure.com/.default on our AADSTS500011 error, and the account accepts that token", async () => {
    const { client: cosmosClient, calls } = client();

    const { resource } = await cosmosClient.database("db1").read();

    expect(resource?.id).toBe("db1");
    expect(calls).toEqual([
      { scopes: [`${ACCOUNT}/.default`], options: {} },
      { scopes: [`${FALLBACK}/.default`], options: {} },
    ]);
    // The account scope was refused by the source (400), the fallback answered (200): both from App Service.
    expect(tokenRequestsAt(emulator, "appservice")).toEqual([
      { resource: ACCOUNT, outcome: 400 },
      { resource: FALLBACK, outcome: 200 },
    ]);
    const read = cosmos.requests.find((r) => r.url.pathname.startsWith("/dbs/db1"))!;
    expect(decodeURIComponent(String(read.headers["authorization"]))).toMatch(/^type=aad&ver=1\.0&sig=/);
    const claims = verifiedClaims(emulator, bearerOf(read));
    expect(claims.aud).toBe(FALLBACK);
    expect(claims.appid).toBe(emulator.identities.systemAssigned!.clientId);
    cosmosClient.dispose();
  });

  it("on IMDS too: its 400 invalid_resource is an AuthenticationError carrying AADSTS500011, so Cosmos falls back", async () => {
    const credential = recordingCredential(new ImdsCredential({ endpoint: emulator.endpoints.imds }));
    const cosmosClient = new CosmosClient({
      endpoint: `${ACCOUNT}:443/`,
      aadCredentials: credential,
      httpClient: cosmos.stealingHttpClient,
      connectionPolicy: { enableEndpointDiscovery: false, retryOptions: { maxRetryAttemptCount: 0 } },
    });

    const { resource } = await cosmosClient.database("db1").read();

    expect(resource?.id).toBe("db1");
    expect(tokenRequestsAt(emulator, "imds")).toEqual([
      { resource: ACCOUNT, outcome: 400 },
      { resource: FALLBACK, outcome: 200 },
    ]);
    const read = cosmos.requests.find((r) => r.url.pathname.startsWith("/dbs/db1"))!;
    expect(verifiedClaims(emulator, bearerOf(read)).aud).toBe(FALLBACK);
    cosmosClient.dispose();
  });

  it("the fallback hinges on our error: an AuthenticationError whose message carries AADSTS500011 verbatim", async () => {
    const credential = new AppServiceCredential();

    const error = await rejection(credential.getToken(`${ACCOUNT}/.default`));

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain("AADSTS500011");
  });

  it("with aadScope given, Cosmos does not fall back: the AADSTS500011 error reaches the caller", async () => {
    const { client: cosmosClient, calls } = client(`${ACCOUNT}/.default`);

    const error = await rejection(cosmosClient.database("db1").read());

    expect(error.message).toContain("AADSTS500011");
    expect(calls).toEqual([{ scopes: [`${ACCOUNT}/.default`], options: {} }]);
    expect(cosmos.requests.filter((r) => r.url.pathname.startsWith("/dbs/db1"))).toHaveLength(0);
    cosmosClient.dispose();
  });
});
