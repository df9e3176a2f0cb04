import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArcCredential, type ArcCredentialOptions, AuthenticationError } from "../../../src/index.js";
import { tokenAnswer } from "../../helpers/tokenServer.js";
import {
  type HimdsAgent,
  makeTokenFolder,
  newSecret,
  startHimdsAgent,
  type TokenFolder,
  writeKey,
} from "../../helpers/himdsAgent.js";

const SCOPE = "https://management.azure.com/.default";

const USER_ASSIGNED = {
  appid: "11111111-2222-3333-4444-555555555555",
  oid: "66666666-7777-8888-9999-000000000000",
  xms_mirid: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-id",
};
// The machine's own identity, which an older agent hands back whatever it was asked for.
const SYSTEM_ASSIGNED = {
  appid: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
  oid: "ffffffff-0000-1111-2222-333333333333",
  xms_mirid: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.HybridCompute/machines/arc-1",
};

/** An unsigned JWT, `header.payload.signature` in base64url, the shape Microsoft Entra tokens have. */
function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ aud: "https://management.azure.com", ...claims })}.c2lnbmF0dXJl`;
}

describe("ArcCredential checks that a user-assigned token names the identity asked for", () => {
  let tokens: TokenFolder;
  let agent: HimdsAgent | undefined;
  let secret: string;
  let file: string;
  beforeEach(async () => {
    tokens = await makeTokenFolder();
    secret = newSecret();
    file = await writeKey(path.join(tokens.folder, "id.key"), secret);
  });
  afterEach(async () => {
    await agent?.close();
    agent = undefined;
    await tokens.remove();
  });

  async function agentAnswering(token: string): Promise<HimdsAgent> {
    agent = await startHimdsAgent({ challenge: `Basic realm=${file}`, secret, answer: () => tokenAnswer(token) });
    return agent;
  }

  const credential = (options: ArcCredentialOptions): ArcCredential =>
    new ArcCredential({ endpoint: agent!.endpoint, tokenFolder: tokens.folder, ...options });

  for (const [option, parameter, value, claim] of [
    ["clientId", "client_id", USER_ASSIGNED.appid, "appid"],
    ["objectId", "object_id", USER_ASSIGNED.oid, "oid"],
    ["resourceId", "msi_res_id", USER_ASSIGNED.xms_mirid, "xms_mirid"],
  ] as const) {
    it(`${option}: a token whose ${claim} matches is returned`, async () => {
      const jwt = unsignedJwt(USER_ASSIGNED);
      await agentAnswering(jwt);
      const token = await credential({ [option]: value }).getToken(SCOPE);
      expect(token.token).toBe(jwt);
      expect(agent!.requests[1]!.url.searchParams.get(parameter)).toBe(value);
    });

    it(`${option}: the system-assigned identity's token fails closed with AuthenticationError`, async () => {
      const jwt = unsignedJwt(SYSTEM_ASSIGNED);
      await agentAnswering(jwt);
      const arc = credential({ [option]: value });

      const error = await arc.getToken(SCOPE).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).code).toBe("identity-mismatch");
      const message = (error as Error).message;
      expect(message).toContain(`token's ${claim} claim is ${SYSTEM_ASSIGNED[claim]}`);
      expect(message).toContain(value);
      expect(message).toMatch(/discarded/);
      expect(message).not.toContain(jwt);
      expect((error as Error).stack).not.toContain(jwt);
      // Nothing was cached: the next call asks the agent again, and fails again.
      await expect(arc.getToken(SCOPE)).rejects.toBeInstanceOf(AuthenticationError);
      expect(agent!.requests).toHaveLength(4);
    });
  }

  it("ids compare case-insensitively, as Azure does", async () => {
    const jwt = unsignedJwt({ ...USER_ASSIGNED, xms_mirid: USER_ASSIGNED.xms_mirid.toUpperCase() });
    await agentAnswering(jwt);
    const token = await credential({ resourceId: USER_ASSIGNED.xms_mirid }).getToken(SCOPE);
    expect(token.token).toBe(jwt);
  });

  it("clientId: a v2 token that names the client in azp instead of appid is accepted", async () => {
    const { appid, ...rest } = USER_ASSIGNED;
    const jwt = unsignedJwt({ ...rest, azp: appid, ver: "2.0" });
    await agentAnswering(jwt);
    expect((await credential({ clientId: appid }).getToken(SCOPE)).token).toBe(jwt);
  });

  it("a token without the claim fails closed", async () => {
    const { oid, ...rest } = USER_ASSIGNED;
    await agentAnswering(unsignedJwt(rest));
    const error = await credential({ objectId: oid })
      .getToken(SCOPE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain("oid claim is missing");
  });

  it("a claim of the wrong type fails closed", async () => {
    await agentAnswering(unsignedJwt({ ...USER_ASSIGNED, appid: [USER_ASSIGNED.appid] }));
    await expect(credential({ clientId: USER_ASSIGNED.appid }).getToken(SCOPE)).rejects.toBeInstanceOf(
      AuthenticationError,
    );
  });

  for (const [what, token] of [
    ["an opaque token", "opaque-arc-token-0123456789"],
    ["a token of three parts whose payload is not JSON", "aGVhZGVy.bm90IGpzb24.c2ln"],
    [
      "a token whose payload is a JSON array",
      `e30.${Buffer.from(JSON.stringify([USER_ASSIGNED])).toString("base64url")}.c2ln`,
    ],
    [
      "an encrypted token of five parts",
      `e30.${Buffer.from(JSON.stringify(USER_ASSIGNED)).toString("base64url")}.a.b.c`,
    ],
  ] as const) {
    it(`${what} with a user-assigned identity fails closed`, async () => {
      await agentAnswering(token);
      const error = await credential({ clientId: USER_ASSIGNED.appid })
        .getToken(SCOPE)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toContain("appid claim is missing");
      expect((error as Error).message).not.toContain(token);
    });
  }

  it("the system-assigned identity needs no check: an opaque token is fine", async () => {
    await agentAnswering("opaque-arc-token");
    expect((await credential({}).getToken(SCOPE)).token).toBe("opaque-arc-token");
    expect(agent!.requests[1]!.url.searchParams.has("client_id")).toBe(false);
  });
});
