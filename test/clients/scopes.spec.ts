// Bad input from a client's configuration: several scopes, or one scope in an array.
//
// Clients pass scopes as their options say: ARM's `credentialScopes` is `string | string[]`
// (Azure/azure-sdk-for-js, sdk/resources/arm-resources/src/resourceManagementClient.ts), and
// bearerTokenAuthenticationPolicy always calls getToken with an array
// (sdk/core/core-rest-pipeline/src/policies/bearerTokenAuthenticationPolicy.ts). README: getToken takes
// exactly one scope; a managed identity endpoint gives one token per resource.
import { ResourceManagementClient } from "@azure/arm-resources";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { CredentialUnavailableError, ImdsCredential } from "../../src/index.js";
import { rejection } from "./helpers/rejection.js";
import { tokenRequestsAt } from "./helpers/emulatorTokens.js";
import { type ServiceFake, startServiceFake } from "./helpers/serviceFake.js";

const ARM = "https://management.azure.com";
const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";

describe("scopes a client passes to our credential", () => {
  let emulator: Emulator;
  let arm: ServiceFake;

  beforeAll(async () => {
    emulator = await startEmulator({ sources: ["imds"] });
    arm = await startServiceFake(() => ({ status: 200, body: { id: "/x", name: "rg1", location: "westeurope" } }));
  });
  afterAll(async () => {
    await arm.close();
    await emulator.close();
  });
  afterEach(() => {
    arm.requests.length = 0;
    emulator.requests.length = 0;
  });

  function armWith(credentialScopes: string | string[]): ResourceManagementClient {
    return new ResourceManagementClient(new ImdsCredential({ endpoint: emulator.endpoints.imds }), SUBSCRIPTION, {
      credentialScopes,
      additionalPolicies: [{ policy: arm.stealPolicy, position: "perRetry" }],
      retryOptions: { maxRetries: 0 },
    });
  }

  it("a one-element scope array is one scope: the token is for its resource", async () => {
    await armWith([`${ARM}/.default`]).resourceGroups.get("rg1");

    expect(tokenRequestsAt(emulator, "imds")).toEqual([{ resource: ARM, outcome: 200 }]);
    expect(arm.requests).toHaveLength(1);
  });

  it("several scopes: a TypeError saying one scope per call, nothing sent to IMDS or to the service", async () => {
    const error = await rejection(
      armWith([`${ARM}/.default`, "https://graph.microsoft.com/.default"]).resourceGroups.get("rg1"),
    );

    // The caller's mistake: a TypeError (README, Errors), whatever the client wraps around it.
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/exactly one scope per getToken call; got 2/);
    // Not "unavailable": a chain must not move on to another credential over a configuration mistake.
    expect(error).not.toBeInstanceOf(CredentialUnavailableError);
    expect(emulator.requests).toHaveLength(0);
    expect(arm.requests).toHaveLength(0);
  });
});
