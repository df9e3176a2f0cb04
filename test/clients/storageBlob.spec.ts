// @azure/storage-blob through ManagedIdentityChainCredential (detecting App Service), against a loopback
// Blob service that answers the first token with a tenant challenge.
//
// How the client calls getToken (Azure/azure-sdk-for-js, sdk/storage/storage-blob/src/Pipeline.ts and
// src/utils/constants.ts): bearerTokenAuthenticationPolicy with scope `https://storage.azure.com/.default`
// (`StorageOAuthScopes`, unless `audience` is given) and `authorizeRequestOnTenantChallenge` from
// @azure/core-client (sdk/core/core-client/src/authorizeRequestOnTenantChallenge.ts): on a 401 whose
// `authorization_uri` names a tenant, it asks again with that `tenantId` (scope from `resource_id`) and sends
// the request once more. A managed identity has one tenant: the tenant must be accepted, not fail.
import { toCompatResponse } from "@azure/core-http-compat";
import { createHttpHeaders, createPipelineRequest, type HttpClient } from "@azure/core-rest-pipeline";
import { BlobServiceClient, type StoragePipelineOptions } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ManagedIdentityChainCredential } from "../../src/index.js";
import { tokenRequestsAt, verifiedClaims } from "./helpers/emulatorTokens.js";
import { recordingCredential } from "./helpers/recordingCredential.js";
import { bearerOf, type ServiceAnswer, type ServiceFake, startServiceFake } from "./helpers/serviceFake.js";

const ACCOUNT = "https://contoso.blob.core.windows.net";
const RESOURCE = "https://storage.azure.com";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
// Storage's bearer challenge (learn.microsoft.com, "Authorize with Microsoft Entra ID", the WWW-Authenticate header).
const TENANT_CHALLENGE = {
  "WWW-Authenticate": `Bearer authorization_uri=https://login.microsoftonline.com/${TENANT}/oauth2/authorize resource_id=${RESOURCE}`,
};

/**
 * Storage takes an `httpClient` of the older core-http shape (it adapts it with core-http-compat's
 * `convertHttpClient`): this one hands each request to the fake's client and adapts the answer back.
 */
function compatHttpClient(client: HttpClient): NonNullable<StoragePipelineOptions["httpClient"]> {
  return {
    async sendRequest(webResource) {
      const request = createPipelineRequest({
        url: webResource.url,
        method: webResource.method,
        headers: createHttpHeaders(webResource.headers.toJson({ preserveCase: true })),
        body: webResource.body as string | undefined,
      });
      const response = toCompatResponse(await client.sendRequest(request));
      // Answer for the request as given: it carries the operation the client deserializes the answer with.
      response.request = webResource;
      return response;
    },
  };
}

describe("@azure/storage-blob with ManagedIdentityChainCredential on App Service", () => {
  let emulator: Emulator;
  let storage: ServiceFake;

  beforeAll(async () => {
    emulator = await startEmulator({ sources: ["appservice"] });
    for (const [name, value] of Object.entries(emulator.env.appservice!)) vi.stubEnv(name, value);
    let challenged = false;
    storage = await startServiceFake((): ServiceAnswer => {
      if (!challenged) {
        challenged = true;
        return {
          status: 401,
          headers: { ...TENANT_CHALLENGE, "x-ms-error-code": "InvalidAuthenticationInfo" },
          body: "",
        };
      }
      return {
        status: 200,
        headers: {
          ETag: '"0x8D0000000000000"',
          "Last-Modified": "Tue, 14 Nov 2023 22:13:20 GMT",
          "x-ms-lease-state": "available",
          "x-ms-lease-status": "unlocked",
        },
        body: "",
      };
    });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await storage.close();
    await emulator.close();
  });

  it("reads the container's properties with an App Service token for https://storage.azure.com; the tenant challenge does not fail", async () => {
    const credential = recordingCredential(new ManagedIdentityChainCredential());
    const client = new BlobServiceClient(ACCOUNT, credential, {
      httpClient: compatHttpClient(storage.stealingHttpClient),
      retryOptions: { maxTries: 1 },
    });

    const properties = await client.getContainerClient("photos").getProperties();

    expect(properties.etag).toBe('"0x8D0000000000000"');
    expect(storage.requests.map((r) => r.url.pathname)).toEqual(["/photos", "/photos"]);
    expect(credential.calls).toEqual([
      { scopes: [`${RESOURCE}/.default`], options: { enableCae: true } },
      { scopes: [`${RESOURCE}/.default`], options: { tenantId: TENANT } },
    ]);
    for (const request of storage.requests) expect(verifiedClaims(emulator, bearerOf(request)).aud).toBe(RESOURCE);
    // One token from App Service: the tenant is ignored (a managed identity has one), and the cache served it.
    expect(tokenRequestsAt(emulator, "appservice")).toEqual([{ resource: RESOURCE, outcome: 200 }]);
  });
});
