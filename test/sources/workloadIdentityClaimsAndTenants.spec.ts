// Workload identity's claims and tenants, on a loopback Microsoft Entra.
// - Claims: forwarded as the `claims` form field; with enableCae the client capability cp1 is merged in as MSAL
//   does (msal-common src/request/RequestParameterBuilder.ts, addClaims → buildMergedClaims: the claims parsed,
//   `access_token.xms_cc = { values: clientCapabilities }`, JSON.stringify; @azure/identity's msalClient sets
//   clientCapabilities ["cp1"] when enableCae). The cache is bypassed.
// - Tenants: @azure/identity's rule (src/util/processMultiTenantRequest.ts): another tenant than the configured
//   one is refused with CredentialUnavailableError unless additionallyAllowedTenants lists it or "*".
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CredentialUnavailableError, WorkloadIdentityCredential } from "../../src/index.js";
import { failure } from "../helpers/failure.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OTHER_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
const SCOPE = "https://vault.azure.net/.default";
const CAE_CHALLENGE = '{"access_token":{"nbf":{"essential":true,"value":"1726000000"}}}';

const formOf = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body));

let dir: string;
let entra: TokenServer;
let issued = 0;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "mi-wi-ct-"));
  writeFileSync(path.join(dir, "token"), "federated-assertion");
  issued = 0;
  entra = await startTokenServer((request) => ({
    status: 200,
    body: {
      token_type: "Bearer",
      expires_in: 3599,
      access_token: `entra-${++issued}-${request.url.pathname.split("/")[1]}`,
    },
  }));
});
afterEach(async () => {
  await entra.close();
  rmSync(dir, { recursive: true, force: true });
});

function credential(additionallyAllowedTenants?: string[]): WorkloadIdentityCredential {
  return new WorkloadIdentityCredential({
    tenantId: TENANT,
    clientId: "client",
    tokenFilePath: path.join(dir, "token"),
    authorityHost: entra.origin,
    additionallyAllowedTenants,
  });
}

describe("claims", () => {
  it("are forwarded verbatim as the claims form field, bypassing the cache; without claims no field is sent", async () => {
    const wi = credential();
    await wi.getToken(SCOPE);
    await expect(wi.getToken(SCOPE, { claims: CAE_CHALLENGE })).resolves.toMatchObject({ token: "entra-2-" + TENANT });
    expect(entra.requests).toHaveLength(2);
    expect(formOf(entra.requests[0]!.body)["claims"]).toBeUndefined();
    expect(formOf(entra.requests[1]!.body)["claims"]).toBe(CAE_CHALLENGE);
  });

  it("with enableCae: the cp1 capability is merged into access_token, the challenge's own claims kept", async () => {
    await credential().getToken(SCOPE, { claims: CAE_CHALLENGE, enableCae: true });
    expect(JSON.parse(formOf(entra.requests[0]!.body)["claims"]!)).toEqual({
      access_token: { nbf: { essential: true, value: "1726000000" }, xms_cc: { values: ["cp1"] } },
    });
  });

  it("with enableCae and no claims: the capability alone (as MSAL sends for a CAE-capable client)", async () => {
    await credential().getToken(SCOPE, { enableCae: true });
    expect(JSON.parse(formOf(entra.requests[0]!.body)["claims"]!)).toEqual({
      access_token: { xms_cc: { values: ["cp1"] } },
    });
  });

  it("keeps CAE tokens and the others apart: neither is served for the other", async () => {
    const wi = credential();
    const plain = await wi.getToken(SCOPE);
    const cae = await wi.getToken(SCOPE, { enableCae: true });
    expect(cae.token).not.toBe(plain.token);
    await expect(wi.getToken(SCOPE)).resolves.toMatchObject({ token: plain.token });
    await expect(wi.getToken(SCOPE, { enableCae: true })).resolves.toMatchObject({ token: cae.token });
    expect(entra.requests).toHaveLength(2);
  });

  it("claims that are not a JSON object cannot take the capability: a TypeError, nothing sent", async () => {
    for (const claims of ["not json", "[1,2]"]) {
      const error = await failure(credential().getToken(SCOPE, { claims, enableCae: true }));
      expect(error).toBeInstanceOf(TypeError);
    }
    expect(entra.requests).toHaveLength(0);
  });
});

describe("tenants", () => {
  it("the configured tenant (in any case) or none: as before", async () => {
    const wi = credential();
    await wi.getToken(SCOPE, { tenantId: TENANT.toUpperCase() });
    await wi.getToken(SCOPE);
    expect(entra.requests.map((r) => r.url.pathname)).toEqual([`/${TENANT}/oauth2/v2.0/token`]);
  });

  it("another tenant is refused with CredentialUnavailableError, and nothing is sent", async () => {
    const error = await failure(credential().getToken(SCOPE, { tenantId: OTHER_TENANT }));
    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error.message).toContain(`asked for tenant ${OTHER_TENANT}`);
    expect(error).toMatchObject({ code: "tenant-not-allowed" });
    expect(error.message).toContain("additionallyAllowedTenants");
    expect(entra.requests).toHaveLength(0);
  });

  it.each([[[OTHER_TENANT]], [["*"]]])(
    "allowed by additionallyAllowedTenants %j: the request goes to that tenant, its token cached apart",
    async (allowed) => {
      const wi = credential(allowed);
      const home = await wi.getToken(SCOPE);
      const other = await wi.getToken(SCOPE, { tenantId: OTHER_TENANT });
      expect(other.token).toBe(`entra-2-${OTHER_TENANT}`);
      expect(entra.requests.map((r) => r.url.pathname)).toEqual([
        `/${TENANT}/oauth2/v2.0/token`,
        `/${OTHER_TENANT}/oauth2/v2.0/token`,
      ]);
      // Each tenant's token from its own cache entry.
      await expect(wi.getToken(SCOPE)).resolves.toMatchObject({ token: home.token });
      await expect(wi.getToken(SCOPE, { tenantId: OTHER_TENANT })).resolves.toMatchObject({ token: other.token });
      expect(entra.requests).toHaveLength(2);
    },
  );

  // Issue 19 §3: the tenant asked for is the tenant used. The token URL is built from the authority and the tenant
  // (msal-common: `{authority host}/{tenant}/oauth2/v2.0/token`), never by replacing text in another URL.
  it("with the endpoint option (one tenant's token endpoint), another tenant is refused even when allowed: nothing sent, nothing cached under its name", async () => {
    const wi = new WorkloadIdentityCredential({
      tenantId: TENANT,
      clientId: "client",
      tokenFilePath: path.join(dir, "token"),
      endpoint: `${entra.origin}/${TENANT}/oauth2/v2.0/token`,
      additionallyAllowedTenants: ["*"],
    });
    await expect(wi.getToken(SCOPE)).resolves.toMatchObject({ token: `entra-1-${TENANT}` });

    const error = await failure(wi.getToken(SCOPE, { tenantId: OTHER_TENANT }));

    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(error).toMatchObject({ code: "tenant-not-allowed" });
    expect(error.message).toContain(`asked for tenant ${OTHER_TENANT}`);
    expect(error.message).toContain("authorityHost");
    expect(entra.requests.map((r) => r.url.pathname)).toEqual([`/${TENANT}/oauth2/v2.0/token`]);
  });

  it("an authority host with a path (even one holding the tenant's text): each tenant's segment comes after it, each token cached under its tenant", async () => {
    const wi = new WorkloadIdentityCredential({
      tenantId: TENANT,
      clientId: "client",
      tokenFilePath: path.join(dir, "token"),
      authorityHost: `${entra.origin}/${TENANT}/`,
      additionallyAllowedTenants: [OTHER_TENANT],
    });

    const home = await wi.getToken(SCOPE);
    const other = await wi.getToken(SCOPE, { tenantId: OTHER_TENANT });

    expect(entra.requests.map((r) => r.url.pathname)).toEqual([
      `/${TENANT}/${TENANT}/oauth2/v2.0/token`,
      `/${TENANT}/${OTHER_TENANT}/oauth2/v2.0/token`,
    ]);
    await expect(wi.getToken(SCOPE)).resolves.toMatchObject({ token: home.token });
    await expect(wi.getToken(SCOPE, { tenantId: OTHER_TENANT })).resolves.toMatchObject({ token: other.token });
    expect(entra.requests).toHaveLength(2);
  });

  it("an allowed tenant that is not a tenant id is a TypeError, nothing sent", async () => {
    const error = await failure(credential(["*"]).getToken(SCOPE, { tenantId: "../evil" }));
    expect(error).toBeInstanceOf(TypeError);
    expect(entra.requests).toHaveLength(0);
  });

  // Found by a fresh review: "." and ".." passed the check, and URL normalisation then dropped the tenant segment,
  // sending the assertion to /oauth2/v2.0/token and caching the answer under "..".
  it.each([".", "..", "a..b", ".contoso.com", "contoso.com."])(
    "tenant %j, which URL normalisation would drop or move, is a TypeError, nothing sent",
    async (tenantId) => {
      const error = await failure(credential(["*"]).getToken(SCOPE, { tenantId }));
      expect(error).toBeInstanceOf(TypeError);
      expect(entra.requests).toHaveLength(0);
    },
  );
});
