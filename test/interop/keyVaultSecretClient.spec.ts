import { SecretClient } from "@azure/keyvault-secrets";
import https from "node:https";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArcCredential } from "../../src/index.js";
import {
  type HimdsAgent,
  makeTokenFolder,
  newSecret,
  startHimdsAgent,
  type TokenFolder,
  writeKey,
} from "../helpers/himdsAgent.js";
import { tokenAnswer } from "../helpers/tokenServer.js";
import { type HttpsServer, startHttpsServer } from "../helpers/httpsServer.js";
import { makeSelfSignedCertificate } from "../helpers/selfSignedCertificate.js";

const TENANT = "72f988bf-0000-0000-0000-2d7cd011db47";

describe("new SecretClient(url, new ArcCredential()) against a loopback Key Vault over TLS", () => {
  let tokens: TokenFolder;
  let himds: HimdsAgent;
  let vault: HttpsServer;
  let agent: https.Agent;
  const arcSecret = newSecret();
  const accessToken = newSecret("kv-token");

  beforeAll(async () => {
    tokens = await makeTokenFolder();
    const file = await writeKey(path.join(tokens.folder, "kv.key"), arcSecret);
    himds = await startHimdsAgent({
      challenge: `Basic realm=${file}`,
      secret: arcSecret,
      answer: () => tokenAnswer(accessToken),
    });
    const certificate = makeSelfSignedCertificate();
    agent = new https.Agent({ ca: certificate.cert });
    // Key Vault's own challenge: the first request goes without a token and learns the tenant and resource.
    vault = await startHttpsServer(certificate, (request) => {
      if (request.headers["authorization"] !== `Bearer ${accessToken}`) {
        return {
          status: 401,
          headers: {
            "WWW-Authenticate": `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`,
          },
          body: { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
        };
      }
      return {
        status: 200,
        body: {
          value: "the-database-password",
          id: `${vault.origin}/secrets/db-password/0123456789abcdef`,
          attributes: {
            enabled: true,
            created: 1_700_000_000,
            updated: 1_700_000_000,
            recoveryLevel: "Recoverable+Purgeable",
          },
        },
      };
    });
  });
  afterAll(async () => {
    agent.destroy();
    await vault.close();
    await himds.close();
    await tokens.remove();
  });

  it("gets the secret: Key Vault's tenant is ignored, the Arc token is sent as the bearer", async () => {
    const client = new SecretClient(
      vault.origin,
      new ArcCredential({ endpoint: himds.endpoint, tokenFolder: tokens.folder }),
      {
        // The loopback vault is not *.vault.azure.net; the certificate is trusted through the agent.
        disableChallengeResourceVerification: true,
        agent,
      },
    );

    const secret = await client.getSecret("db-password");

    expect(secret.value).toBe("the-database-password");
    expect(secret.properties.version).toBe("0123456789abcdef");
    expect(vault.requests.map((r) => r.headers["authorization"])).toEqual([undefined, `Bearer ${accessToken}`]);
    expect(vault.requests[1]!.url.pathname).toMatch(/^\/secrets\/db-password\/?$/);
    // The agent was asked for Key Vault's resource; the tenant from the challenge went nowhere.
    expect(himds.requests).toHaveLength(2);
    expect(himds.requests[1]!.url.searchParams.get("resource")).toBe("https://vault.azure.net");
    expect(himds.requests[1]!.url.href).not.toContain(TENANT);
    // The Arc secret stayed between this process and the agent.
    expect(JSON.stringify(vault.requests)).not.toContain(arcSecret);
  });
});
