import { afterEach, describe, expect, it, vi } from "vitest";
import { AppServiceCredential, CredentialUnavailableError } from "../../src/index.js";
import { SOURCE_NAMES } from "../../src/sources/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { type SourceFixture, startSourceFixture } from "../helpers/sourceFixtures.js";

const SCOPE = "https://vault.azure.net/.default";

// Issue 21 §1: every credential takes `env` (the variables it reads, in place of process.env), read once at
// construction, as the chain does.
describe("the env option of every credential", () => {
  let fixture: SourceFixture | undefined;

  afterEach(async () => {
    vi.unstubAllEnvs();
    await fixture?.close();
    fixture = undefined;
  });

  it.each(SOURCE_NAMES)("%s: takes every variable from env, with none in process.env", async (name) => {
    useOnlyEnv(undefined);
    fixture = await startSourceFixture(name);

    const token = await fixture.credential().getToken(SCOPE);

    expect(token?.token).toBe(`${name}-token`);
    // The secret each source carries (a header, the Arc challenge's file, the federated assertion) is the fixture's.
    const secrets = fixture.requests.map((request) => fixture!.secretOf(request)).filter(Boolean);
    if (name !== "imds" && name !== "cloudshell") expect(secrets).toHaveLength(1);
    for (const secret of secrets) expect(secret).toMatch(new RegExp(`^${name}-secret-`));
  });

  it.each(SOURCE_NAMES)("%s: reads env once, at construction", async (name) => {
    useOnlyEnv(undefined);
    fixture = await startSourceFixture(name);
    const credential = fixture.credential();
    const before = { ...fixture.env };
    // Every variable changed after construction: a secret rotated, an endpoint moved, a tenant dropped.
    for (const variable of Object.keys(fixture.env)) fixture.env[variable] = "changed-after-construction";

    await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: `${name}-token` });

    const secret = before["IDENTITY_HEADER"] ?? before["MSI_SECRET"];
    if (secret !== undefined) {
      expect(fixture.requests.map((request) => fixture!.secretOf(request))).toEqual([secret]);
    }
  });

  it("App Service: an endpoint option with IDENTITY_HEADER in env is enough (the emulator's settings)", async () => {
    useOnlyEnv(undefined);
    fixture = await startSourceFixture("appservice");
    const { IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: secret } = fixture.env;

    const credential = new AppServiceCredential({ endpoint, env: { IDENTITY_HEADER: secret } });

    await expect(credential.getToken(SCOPE)).resolves.toMatchObject({ token: "appservice-token" });
    expect(fixture.requests[0]!.headers["x-identity-header"]).toBe(secret);
  });

  it("App Service: env replaces process.env, it does not add to it", async () => {
    useOnlyEnv(undefined);
    fixture = await startSourceFixture("appservice");
    for (const [variable, value] of Object.entries(fixture.env)) vi.stubEnv(variable, value);

    const credential = new AppServiceCredential({ env: {} });

    await expect(credential.getToken(SCOPE)).rejects.toBeInstanceOf(CredentialUnavailableError);
    expect(fixture.requests).toHaveLength(0);
  });
});
