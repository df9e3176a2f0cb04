import {
  mkdtempSync,
  promises as fsPromises,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  renameSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthenticationError, CredentialUnavailableError, WorkloadIdentityCredential } from "../../src/index.js";
import { readFederatedToken } from "../../src/sources/federatedTokenFile.js";
import { workloadIdentitySource } from "../../src/sources/workloadIdentity.js";
import { startTokenServer, type Answer, type TokenServer } from "../helpers/tokenServer.js";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "0a1b2c3d-0000-0000-0000-000000000001";
const ASSERTION = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDp3b3JrbG9hZCJ9.c2ln";

/** Microsoft Entra's answer to a client-credentials grant. */
function entraToken(token: string): Answer {
  return { status: 200, body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token } };
}

const formOf = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body));

describe("WorkloadIdentityCredential", () => {
  let dir: string;
  let tokenFile: string;
  let authority: TokenServer | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "mi-wi-"));
    tokenFile = path.join(dir, "token");
    writeFileSync(tokenFile, `${ASSERTION}\n`);
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await authority?.close();
    authority = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function loopbackAuthority(
    answer: (form: Record<string, string>) => Answer = () => entraToken("entra-token"),
  ): Promise<TokenServer> {
    authority = await startTokenServer((request) => answer(formOf(request.body)));
    vi.stubEnv("AZURE_AUTHORITY_HOST", authority.origin);
    vi.stubEnv("AZURE_TENANT_ID", TENANT);
    vi.stubEnv("AZURE_CLIENT_ID", CLIENT);
    vi.stubEnv("AZURE_FEDERATED_TOKEN_FILE", tokenFile);
    return authority;
  }

  it("exchanges the federated token at $AZURE_AUTHORITY_HOST/$AZURE_TENANT_ID/oauth2/v2.0/token as a client assertion", async () => {
    const { requests } = await loopbackAuthority();

    const token = await new WorkloadIdentityCredential().getToken("https://vault.azure.net/.default");

    expect(token.token).toBe("entra-token");
    expect(requests).toHaveLength(1);
    const [seen] = requests;
    expect(seen!.method).toBe("POST");
    expect(seen!.url.pathname).toBe(`/${TENANT}/oauth2/v2.0/token`);
    expect(seen!.url.search).toBe("");
    expect(seen!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(seen!.headers["metadata"]).toBeUndefined();
    expect(formOf(seen!.body)).toEqual({
      grant_type: "client_credentials",
      client_id: CLIENT,
      scope: "https://vault.azure.net/.default",
      client_assertion: ASSERTION,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    });
  });

  it("asks for <resource>/.default when given a bare resource", async () => {
    const { requests } = await loopbackAuthority();
    await new WorkloadIdentityCredential().getToken("https://storage.azure.com");
    expect(formOf(requests[0]!.body)["scope"]).toBe("https://storage.azure.com/.default");
  });

  it("takes clientId, tenantId, tokenFilePath and authorityHost options over the environment", async () => {
    const { requests, origin } = await loopbackAuthority();
    const otherFile = path.join(dir, "other");
    writeFileSync(otherFile, "other-assertion");
    vi.stubEnv("AZURE_AUTHORITY_HOST", "https://login.example.invalid");

    await new WorkloadIdentityCredential({
      clientId: "option-client",
      tenantId: "contoso.onmicrosoft.com",
      tokenFilePath: otherFile,
      authorityHost: `${origin}/`,
    }).getToken("https://vault.azure.net/.default");

    expect(requests[0]!.url.pathname).toBe("/contoso.onmicrosoft.com/oauth2/v2.0/token");
    expect(formOf(requests[0]!.body)).toMatchObject({
      client_id: "option-client",
      client_assertion: "other-assertion",
    });
  });

  it("uses Microsoft Entra's public cloud when AZURE_AUTHORITY_HOST is not set", () => {
    const env = {
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_AUTHORITY_HOST: "",
    };
    expect(workloadIdentitySource.configure({}, env).endpoint.href).toBe(
      `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
    );
  });

  it("re-reads the token file after an in-place rewrite of the same length", async () => {
    const { requests } = await loopbackAuthority();
    const credential = new WorkloadIdentityCredential();
    writeFileSync(tokenFile, "token-A");
    await credential.getToken("https://a.example/.default");
    writeFileSync(tokenFile, "token-B");
    await credential.getToken("https://b.example/.default");

    expect(requests.map((r) => formOf(r.body)["client_assertion"])).toEqual(["token-A", "token-B"]);
  });

  it("re-reads the token file when the kubelet swaps its symlink, even with the same size and times", async () => {
    const { requests } = await loopbackAuthority();
    const past = new Date(Date.now() - 3600_000);
    for (const name of ["v1", "v2"]) {
      writeFileSync(path.join(dir, name), `token-${name}`);
      utimesSync(path.join(dir, name), past, past);
    }
    const link = path.join(dir, "projected");
    symlinkSync(path.join(dir, "v1"), link);
    vi.stubEnv("AZURE_FEDERATED_TOKEN_FILE", link);
    const credential = new WorkloadIdentityCredential();

    await credential.getToken("https://a.example/.default");
    // Atomically, as the kubelet does: a new link renamed over the old one.
    symlinkSync(path.join(dir, "v2"), `${link}.tmp`);
    renameSync(`${link}.tmp`, link);
    await credential.getToken("https://b.example/.default");

    expect(requests.map((r) => formOf(r.body)["client_assertion"])).toEqual(["token-v1", "token-v2"]);
  });

  it("does not trust an unchanged stat for a file modified just now: the file system's clock may be too coarse to tell", async () => {
    writeFileSync(tokenFile, "token-A");
    // The same stat before and after the rewrite, as on a file system whose timestamps did not move.
    const frozen = await fsPromises.stat(tokenFile, { bigint: true });
    vi.spyOn(fsPromises, "stat").mockResolvedValue(frozen as never);

    expect(await readFederatedToken(tokenFile)).toBe("token-A");
    writeFileSync(tokenFile, "token-B");
    expect(await readFederatedToken(tokenFile)).toBe("token-B");
  });

  it("reads an unchanged token file once, not on every token request", async () => {
    const { requests } = await loopbackAuthority();
    const past = new Date(Date.now() - 3600_000);
    utimesSync(tokenFile, past, past);
    // The file is opened and checked on every request, and read from the descriptor only when it changed.
    const handle = await fsPromises.open(tokenFile);
    const read = vi.spyOn(Object.getPrototypeOf(handle) as fsPromises.FileHandle, "read");
    await handle.close();
    const credential = new WorkloadIdentityCredential();

    await credential.getToken("https://a.example/.default");
    const readsForTheFirst = read.mock.calls.length;
    for (const resource of ["https://b.example", "https://c.example"]) {
      await credential.getToken(`${resource}/.default`);
    }

    expect(requests).toHaveLength(3);
    expect(readsForTheFirst).toBeGreaterThan(0);
    expect(read.mock.calls.length).toBe(readsForTheFirst);
  });

  it("turns Microsoft Entra's OAuth error into an AuthenticationError with its code and description, without retrying", async () => {
    const { requests } = await loopbackAuthority(() => ({
      status: 400,
      body: {
        error: "invalid_client",
        error_description: "AADSTS700213: No matching federated identity record found for presented assertion subject.",
        error_codes: [700213],
      },
    }));

    const error = (await new WorkloadIdentityCredential()
      .getToken("https://vault.azure.net/.default")
      .catch((e: unknown) => e)) as AuthenticationError;

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.statusCode).toBe(400);
    expect(error.errorResponse?.error).toBe("invalid_client");
    expect(error.errorResponse?.errorDescription).toContain("AADSTS700213");
    expect(error.message).toContain("federated identity credential");
    expect(error.message).not.toContain(ASSERTION);
    expect(requests).toHaveLength(1);
  });

  it("fails with an AuthenticationError, not 'unavailable', when the pod is set up but Microsoft Entra cannot be reached", async () => {
    const { origin } = await loopbackAuthority();
    await authority!.close();
    authority = undefined;
    vi.stubEnv("AZURE_AUTHORITY_HOST", origin);

    const error = await new WorkloadIdentityCredential()
      .getToken("https://vault.azure.net/.default")
      .catch((e: unknown) => e);

    // A chain must stop here: the pod has workload identity, only its way out is broken.
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain("ECONNREFUSED");
  });

  it("is unavailable, naming what is missing, when the pod is not set up for workload identity", async () => {
    const { requests } = await loopbackAuthority();
    vi.stubEnv("AZURE_CLIENT_ID", "");
    vi.stubEnv("AZURE_FEDERATED_TOKEN_FILE", "");

    const error = await new WorkloadIdentityCredential()
      .getToken("https://vault.azure.net/.default")
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect((error as Error).message).toContain("AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID are not set");
    expect(requests).toHaveLength(0);
  });

  it("fails with an AuthenticationError naming the file when the token file is missing or empty, sending nothing", async () => {
    const { requests } = await loopbackAuthority();
    vi.stubEnv("AZURE_FEDERATED_TOKEN_FILE", path.join(dir, "missing"));
    await expect(new WorkloadIdentityCredential().getToken("https://vault.azure.net/.default")).rejects.toThrow(
      /federated token file '.*missing': it does not exist/,
    );
    writeFileSync(tokenFile, "  \n");
    vi.stubEnv("AZURE_FEDERATED_TOKEN_FILE", tokenFile);
    await expect(new WorkloadIdentityCredential().getToken("https://vault.azure.net/.default")).rejects.toThrow(
      /it is empty/,
    );
    expect(requests).toHaveLength(0);
  });

  it("refuses a plain http authority off this machine, a malformed tenant, objectId and resourceId", async () => {
    await loopbackAuthority();
    // From the environment: the host's configuration (issue 21), "misconfigured" at getToken, nothing sent.
    vi.stubEnv("AZURE_AUTHORITY_HOST", "http://login.example.com");
    await expect(new WorkloadIdentityCredential().getToken("https://vault.azure.net/.default")).rejects.toMatchObject({
      code: "misconfigured",
      message: expect.stringMatching(/AZURE_AUTHORITY_HOST must be an https URL/),
    });
    expect(authority!.requests).toHaveLength(0);
    expect(() => new WorkloadIdentityCredential({ authorityHost: "http://login.example.com" })).toThrow(TypeError);
    vi.unstubAllEnvs();
    await loopbackAuthority();
    vi.stubEnv("AZURE_TENANT_ID", "../evil");
    expect(() => new WorkloadIdentityCredential()).toThrow(/not a tenant id/);
    expect(() => new WorkloadIdentityCredential({ objectId: "x" } as never)).toThrow(/client id only/);
  });
});
