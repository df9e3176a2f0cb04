// @azure/app-configuration through CloudShellCredential, against a loopback App Configuration store.
//
// How the client calls getToken (Azure/azure-sdk-for-js, sdk/appconfiguration/app-configuration/src/
// appConfigurationClient.ts, src/internal/helpers.ts `getScope`, src/internal/audienceErrorHandlingPolicy.ts):
// bearerTokenAuthenticationPolicy with `https://appconfig.azure.com/.default` for a public-cloud store
// (`${audience}/.default` when `audience` is given), so `enableCae: true`; an error whose message contains
// AADSTS500011 is rewritten into the client's own "incorrect token audience" advice.
import { AppConfigurationClient } from "@azure/app-configuration";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { CloudShellCredential } from "../../src/index.js";
import { rejection } from "./helpers/rejection.js";
import { verifiedClaims } from "./helpers/emulatorTokens.js";
import { recordingCredential } from "./helpers/recordingCredential.js";
import { bearerOf, type ServiceFake, startServiceFake } from "./helpers/serviceFake.js";

const STORE = "https://contoso.azconfig.io";
const RESOURCE = "https://appconfig.azure.com";
const SOVEREIGN = "https://appconfig.azure.us";

describe("@azure/app-configuration with CloudShellCredential", () => {
  let emulator: Emulator;
  let store: ServiceFake;

  beforeAll(async () => {
    // A store in a cloud the tenant does not know: its audience is answered AADSTS500011.
    emulator = await startEmulator({ sources: ["cloudshell"], unknownResources: [SOVEREIGN] });
    store = await startServiceFake((request) =>
      request.url.pathname === "/kv/feature-x"
        ? {
            status: 200,
            headers: { "Content-Type": "application/vnd.microsoft.appconfig.kv+json; charset=utf-8", ETag: '"abc"' },
            body: {
              key: "feature-x",
              label: null,
              value: "on",
              content_type: "",
              etag: "abc",
              last_modified: "2023-11-14T22:13:20+00:00",
              locked: false,
              tags: {},
            },
          }
        : { status: 404, body: {} },
    );
  });
  afterAll(async () => {
    await store.close();
    await emulator.close();
  });
  afterEach(() => {
    store.requests.length = 0;
    emulator.requests.length = 0;
  });

  it("reads a setting with a Cloud Shell token for https://appconfig.azure.com", async () => {
    const credential = recordingCredential(new CloudShellCredential({ endpoint: emulator.endpoints.cloudshell }));
    const client = new AppConfigurationClient(STORE, credential, {
      additionalPolicies: [{ policy: store.stealPolicy, position: "perRetry" }],
    });

    const setting = await client.getConfigurationSetting({ key: "feature-x" });

    expect(setting.value).toBe("on");
    expect(credential.calls).toEqual([{ scopes: [`${RESOURCE}/.default`], options: { enableCae: true } }]);
    const claims = verifiedClaims(emulator, bearerOf(store.requests[0]!));
    expect(claims.aud).toBe(RESOURCE);
    // Cloud Shell gives the signed-in user's token, not a managed identity's.
    expect(claims.oid).toBe(emulator.identities.cloudShellUser.objectId);
    // Cloud Shell's resource travels in a form body: the record shows the POST and its answer.
    expect(emulator.requests.map((r) => [r.endpoint, r.method, r.outcome])).toEqual([["cloudshell", "POST", 200]]);
  });

  it("an audience the tenant does not know: our AADSTS500011 error becomes the client's own audience advice", async () => {
    const credential = new CloudShellCredential({ endpoint: emulator.endpoints.cloudshell });
    const client = new AppConfigurationClient(STORE, credential, {
      audience: SOVEREIGN,
      additionalPolicies: [{ policy: store.stealPolicy, position: "perRetry" }],
    });

    const error = await rejection(client.getConfigurationSetting({ key: "feature-x" }));

    // The client recognised AADSTS500011 in our message and said which option to fix.
    expect(error.message).toContain("An incorrect token audience was provided");
    expect(store.requests).toHaveLength(0);
    expect(emulator.requests.map((r) => [r.endpoint, r.method, r.outcome])).toEqual([["cloudshell", "POST", 400]]);
  });
});
