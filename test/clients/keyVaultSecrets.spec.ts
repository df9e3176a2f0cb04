// @azure/keyvault-secrets through ArcCredential, against a loopback Key Vault that revokes the token once
// (a CAE claims challenge).
//
// How the client calls getToken (Azure/azure-sdk-for-js, sdk/keyvault/keyvault-common/src/
// keyVaultAuthenticationPolicy.ts): the first request goes without a token; Key Vault's 401 challenge names
// the tenant and the resource, and the policy asks for `${resource}/.default` with `enableCae: true` and the
// `tenantId`; a later 401 with error="insufficient_claims" makes it ask again with the decoded `claims` (and
// the same tenant) and send the request once more.
import { SecretClient } from "@azure/keyvault-secrets";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ArcCredential, ImdsCredential } from "../../src/index.js";
import { rejection } from "./helpers/rejection.js";
import { tokenRequestsAt, verifiedClaims } from "./helpers/emulatorTokens.js";
import { recordingCredential } from "./helpers/recordingCredential.js";
import { bearerOf, type ServiceAnswer, type ServiceFake, startServiceFake } from "./helpers/serviceFake.js";

const VAULT = "https://contoso.vault.azure.net";
const RESOURCE = "https://vault.azure.net";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLAIMS = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
const KEY_VAULT_CHALLENGE = {
  "WWW-Authenticate": `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="${RESOURCE}"`,
};
// Key Vault's CAE challenge (learn.microsoft.com, "Continuous access evaluation in Key Vault").
const CAE_CHALLENGE = {
  "WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString("base64")}"`,
};

describe("@azure/keyvault-secrets with ArcCredential", () => {
  let emulator: Emulator;
  let vault: ServiceFake;
  let revocations = 0;

  beforeAll(async () => {
    emulator = await startEmulator({ sources: ["arc", "imds"] });
    vault = await startServiceFake((request): ServiceAnswer => {
      if (request.headers["authorization"] === undefined)
        return { status: 401, headers: KEY_VAULT_CHALLENGE, body: { error: { code: "Unauthorized" } } };
      if (revocations > 0) {
        revocations--;
        return {
          status: 401,
          headers: CAE_CHALLENGE,
          body: { error: { code: "Unauthorized", message: "AKV10013: Token has been revoked." } },
        };
      }
      return {
        status: 200,
        body: {
          value: "the-database-password",
          id: `${VAULT}/secrets/db-password/0123456789abcdef0123456789abcdef`,
          attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000 },
        },
      };
    });
  });
  afterAll(async () => {
    await vault.close();
    await emulator.close();
  });
  afterEach(() => {
    vault.requests.length = 0;
    emulator.requests.length = 0;
    revocations = 0;
  });

  it("gets the secret with an Arc token for https://vault.azure.net; the challenge's tenant does not fail", async () => {
    const credential = recordingCredential(
      new ArcCredential({ endpoint: emulator.endpoints.arc, tokenFolder: emulator.tokenFolder }),
    );
    const client = new SecretClient(VAULT, credential, {
      additionalPolicies: [{ policy: vault.stealPolicy, position: "perRetry" }],
    });

    const secret = await client.getSecret("db-password");

    expect(secret.value).toBe("the-database-password");
    expect(credential.calls).toEqual([
      { scopes: [`${RESOURCE}/.default`], options: { enableCae: true, tenantId: TENANT } },
    ]);
    const claims = verifiedClaims(emulator, bearerOf(vault.requests[1]!));
    expect(claims.aud).toBe(RESOURCE);
    expect(claims.xms_mirid).toBe(emulator.identities.systemAssigned!.resourceId);
    // The Arc agent's challenge (401), then the token (200); the tenant went nowhere.
    expect(tokenRequestsAt(emulator, "arc")).toEqual([
      { resource: RESOURCE, outcome: 401 },
      { resource: RESOURCE, outcome: 200 },
    ]);
    expect(emulator.requests.some((r) => r.path.includes(TENANT))).toBe(false);
  });

  it("answers a CAE challenge with a fresh request to the Arc agent, claims and tenant passed, then gets the secret", async () => {
    const credential = recordingCredential(
      new ArcCredential({ endpoint: emulator.endpoints.arc, tokenFolder: emulator.tokenFolder }),
    );
    const client = new SecretClient(VAULT, credential, {
      additionalPolicies: [{ policy: vault.stealPolicy, position: "perRetry" }],
    });
    await client.getSecret("db-password");
    vault.requests.length = 0;
    emulator.requests.length = 0;
    revocations = 1;

    const secret = await client.getSecret("db-password");

    expect(secret.value).toBe("the-database-password");
    expect(vault.requests.map((r) => r.headers["authorization"] !== undefined)).toEqual([true, true]);
    expect(credential.calls.slice(1)).toEqual([
      { scopes: [`${RESOURCE}/.default`], options: { enableCae: true, tenantId: TENANT, claims: CLAIMS } },
    ]);
    // The claims bypassed our cache: the agent was asked again (its challenge, then the token).
    expect(tokenRequestsAt(emulator, "arc")).toEqual([
      { resource: RESOURCE, outcome: 401 },
      { resource: RESOURCE, outcome: 200 },
    ]);
    expect(verifiedClaims(emulator, bearerOf(vault.requests[1]!)).aud).toBe(RESOURCE);
  });

  it("bad input: IMDS cannot revoke, so a vault that keeps revoking ends in its 401 after one retry, not a loop", async () => {
    const credential = recordingCredential(new ImdsCredential({ endpoint: emulator.endpoints.imds }));
    const client = new SecretClient(VAULT, credential, {
      additionalPolicies: [{ policy: vault.stealPolicy, position: "perRetry" }],
      retryOptions: { maxRetries: 0 },
    });
    revocations = 10;

    const error = await rejection(client.getSecret("db-password"));

    expect(error.statusCode).toBe(401);
    expect(error.message).toContain("AKV10013");
    // Without a token, with the token, with the claims' fresh token: three requests, then the vault's answer.
    expect(vault.requests).toHaveLength(3);
    expect(credential.calls.map((c) => c.options.claims !== undefined)).toEqual([false, true]);
    expect(tokenRequestsAt(emulator, "imds")).toEqual([
      { resource: RESOURCE, outcome: 200 },
      { resource: RESOURCE, outcome: 200 },
    ]);
  });
});
