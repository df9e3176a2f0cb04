// @azure/arm-resources through ImdsCredential, against a loopback Azure Resource Manager.
//
// How the client calls getToken (Azure/azure-sdk-for-js):
// - sdk/resources/arm-resources/src/resourceManagementClient.ts: bearerTokenAuthenticationPolicy with
//   scopes `credentialScopes ?? `${endpoint}/.default`` (endpoint defaults to https://management.azure.com)
//   and `authorizeRequestOnClaimChallenge` from @azure/core-client; requests go to `$host`.
// - sdk/core/core-rest-pipeline/src/policies/bearerTokenAuthenticationPolicy.ts: every request asks for the
//   token with `enableCae: true`; a 401 whose WWW-Authenticate has error="insufficient_claims" and `claims`
//   makes it ask again with `claims` (base64-decoded) and send the request once more, once.
// - sdk/core/core-rest-pipeline/src/util/tokenCycler.ts: a call with claims skips the cycler's own cache.
import { ResourceManagementClient } from "@azure/arm-resources";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ImdsCredential } from "../../src/index.js";
import { rejection } from "./helpers/rejection.js";
import { tokenRequestsAt, verifiedClaims } from "./helpers/emulatorTokens.js";
import { recordingCredential } from "./helpers/recordingCredential.js";
import { bearerOf, type ServiceAnswer, type ServiceFake, startServiceFake } from "./helpers/serviceFake.js";

const ARM = "https://management.azure.com";
const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
// What ARM sends when an access token was revoked (learn.microsoft.com, "Continuous access evaluation":
// claims challenge), with the claims base64-encoded.
const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
const CAE_CHALLENGE = {
  "WWW-Authenticate": `Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString("base64")}"`,
};
const REVOKED: ServiceAnswer = {
  status: 401,
  headers: CAE_CHALLENGE,
  body: { error: { code: "InvalidAuthenticationToken", message: "The access token has been revoked." } },
};
const RESOURCE_GROUP = {
  id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1`,
  name: "rg1",
  type: "Microsoft.Resources/resourceGroups",
  location: "westeurope",
  properties: { provisioningState: "Succeeded" },
};

describe("@azure/arm-resources with ImdsCredential", () => {
  let emulator: Emulator;
  let arm: ServiceFake;
  let answers: ServiceAnswer[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({ sources: ["imds"] });
    arm = await startServiceFake(() => answers.shift() ?? { status: 200, body: RESOURCE_GROUP });
  });
  afterAll(async () => {
    await arm.close();
    await emulator.close();
  });
  afterEach(() => {
    arm.requests.length = 0;
    emulator.requests.length = 0;
    answers = [];
  });

  function client(): { client: ResourceManagementClient; calls: ReturnType<typeof recordingCredential>["calls"] } {
    const credential = recordingCredential(new ImdsCredential({ endpoint: emulator.endpoints.imds }));
    // The client keeps ARM's own URL (and so derives its own scope); the policy sends the request to the fake.
    const resources = new ResourceManagementClient(credential, SUBSCRIPTION, {
      additionalPolicies: [{ policy: arm.stealPolicy, position: "perRetry" }],
      retryOptions: { maxRetries: 0 },
    });
    return { client: resources, calls: credential.calls };
  }

  it("sends an IMDS token for https://management.azure.com, asked for with enableCae", async () => {
    const { client: resources, calls } = client();

    const group = await resources.resourceGroups.get("rg1");

    expect(group.name).toBe("rg1");
    expect(arm.requests).toHaveLength(1);
    expect(arm.requests[0]!.url.pathname).toBe(`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg1`);
    const claims = verifiedClaims(emulator, bearerOf(arm.requests[0]!));
    expect(claims.aud).toBe(ARM);
    expect(claims.appid).toBe(emulator.identities.systemAssigned!.clientId);
    expect(tokenRequestsAt(emulator, "imds")).toEqual([{ resource: ARM, outcome: 200 }]);
    expect(calls).toEqual([{ scopes: [`${ARM}/.default`], options: { enableCae: true } }]);
  });

  it("answers a CAE claims challenge with a fresh token request, then succeeds", async () => {
    const { client: resources, calls } = client();
    await resources.resourceGroups.get("rg1"); // a token in every cache
    arm.requests.length = 0;
    emulator.requests.length = 0;
    answers = [REVOKED];

    const group = await resources.resourceGroups.get("rg1");

    expect(group.name).toBe("rg1");
    expect(arm.requests).toHaveLength(2);
    // The first try went with the cached token; the claims made the credential go to IMDS again.
    expect(tokenRequestsAt(emulator, "imds")).toEqual([{ resource: ARM, outcome: 200 }]);
    expect(verifiedClaims(emulator, bearerOf(arm.requests[1]!)).aud).toBe(ARM);
    // The policy's token cycler served the first try; only the claims reached the credential.
    expect(calls.slice(1)).toEqual([{ scopes: [`${ARM}/.default`], options: { enableCae: true, claims: CLAIMS } }]);
  });

  it("bad input: IMDS cannot revoke, so a second challenge ends in ARM's 401 after one retry, not a loop", async () => {
    const { client: resources } = client();
    answers = [REVOKED, REVOKED, REVOKED, REVOKED];

    const failure = await rejection(resources.resourceGroups.get("rg1"));

    expect(failure.statusCode).toBe(401);
    expect(failure.code).toBe("InvalidAuthenticationToken");
    expect(failure.message).toContain("revoked");
    // One try, one retry with the claims: two requests to ARM, two to IMDS, nothing more.
    expect(arm.requests).toHaveLength(2);
    expect(tokenRequestsAt(emulator, "imds")).toEqual([
      { resource: ARM, outcome: 200 },
      { resource: ARM, outcome: 200 },
    ]);
  });
});
