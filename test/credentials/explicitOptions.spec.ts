// Options are explicit (issue 19 §2): an option key a credential does not take, or something other than an
// options object, is a TypeError at construction. Before, `new ImdsCredential({ managedIdentityClientId: id })`
// (DefaultAzureCredential's name), `{ clientID: id }`, `{ client_id: id }` and `new ImdsCredential(id)`
// (ManagedIdentityCredential's string form) silently got the system-assigned identity's token.
import type { TokenCredential } from "@azure/core-auth";
import { afterEach, describe, expect, it } from "vitest";
import {
  AppServiceCredential,
  ArcCredential,
  AzureMLCredential,
  CloudShellCredential,
  detectManagedIdentity,
  ImdsCredential,
  ManagedIdentityChainCredential,
  ServiceFabricCredential,
  WorkloadIdentityCredential,
} from "../../src/index.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const ID = "11111111-2222-3333-4444-555555555555";

let server: TokenServer;
afterEach(async () => {
  await server?.close();
});

/** A token server that answers every request, so that anything sent would be counted. */
async function countingServer(): Promise<TokenServer> {
  server = await startTokenServer(() => tokenAnswer());
  return server;
}

/** Every credential, the chain and the detector, each pointed at `origin`, with `options` added. */
function constructors(origin: string): [string, (options: unknown) => unknown][] {
  const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin };
  const withEndpoint = (options: unknown): unknown =>
    typeof options === "object" && options !== null && !Array.isArray(options)
      ? { endpoint: `${origin}/token`, ...options }
      : options;
  return [
    ["ImdsCredential", (options) => new ImdsCredential(withEndpoint(options) as never)],
    ["ArcCredential", (options) => new ArcCredential(withEndpoint(options) as never)],
    ["CloudShellCredential", (options) => new CloudShellCredential(withEndpoint(options) as never)],
    ["AppServiceCredential", (options) => new AppServiceCredential(withEndpoint(options) as never)],
    ["ServiceFabricCredential", (options) => new ServiceFabricCredential(withEndpoint(options) as never)],
    ["AzureMLCredential", (options) => new AzureMLCredential(withEndpoint(options) as never)],
    ["WorkloadIdentityCredential", (options) => new WorkloadIdentityCredential(withEndpoint(options) as never)],
    [
      "ManagedIdentityChainCredential",
      (options) =>
        new ManagedIdentityChainCredential(
          (typeof options === "object" && options !== null && !Array.isArray(options)
            ? { env, ...options }
            : options) as never,
        ),
    ],
  ];
}

/** Lets anything a constructor may have started reach the server. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe("every credential refuses an option key it does not take, and sends nothing", () => {
  it.each([
    ["managedIdentityClientId", "clientId"],
    ["workloadIdentityClientId", "clientId"],
    ["clientID", "clientId"],
    ["client_id", "clientId"],
    ["managedIdentityResourceId", "resourceId"],
    ["mi_res_id", "resourceId"],
    ["msi_res_id", "resourceId"],
    ["resource_id", "resourceId"],
    ["objectID", "objectId"],
    ["object_id", "objectId"],
    ["principalId", "objectId"],
  ])("ImdsCredential({ %s }): a TypeError naming %s and the options it takes", async (key, right) => {
    const { origin, requests } = await countingServer();
    const attempt = (): unknown => new ImdsCredential({ [key]: ID, endpoint: origin } as never);
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(
      `ImdsCredential has no option "${key}": did you mean "${right}"? ImdsCredential takes: clientId, objectId, resourceId, endpoint,`,
    );
    expect(attempt).toThrow(/Nothing was sent\.$/);
    await settle();
    expect(requests).toHaveLength(0);
  });

  it("the right spelling gets the user-assigned identity (the server counts what the wrong ones did not send)", async () => {
    const { origin, requests } = await countingServer();
    await new ImdsCredential({ clientId: ID, endpoint: origin }).getToken(SCOPE);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url.searchParams.get("client_id")).toBe(ID);
  });

  it("an unknown key with no known right name is named, with the options taken", async () => {
    await countingServer();
    expect(() => new ImdsCredential({ clientId: ID, retries: 2 } as never)).toThrow(
      /^ImdsCredential has no option "retries"\. ImdsCredential takes: clientId, objectId, resourceId, endpoint, env, retryOptions, httpClient, userAgentOptions, additionalPolicies, loggingOptions.*\. Nothing was sent\.$/,
    );
  });

  // Found by a fresh review: an inherited `managedIdentityClientId` passed the own-key check unseen (the system-assigned
  // identity's token), while an inherited `clientId` was read. Only a plain object is taken.
  it.each([
    ["an object inheriting its keys", () => Object.create({ managedIdentityClientId: ID }) as object],
    [
      "a class instance with a getter",
      () =>
        new (class Config {
          get clientId(): string {
            return ID;
          }
        })(),
    ],
  ])("%s is a TypeError asking for a plain object; nothing is sent", async (_, make) => {
    const { origin, requests } = await countingServer();
    const options = make();
    (options as { endpoint?: string }).endpoint = origin;
    expect(() => new ImdsCredential(options as never)).toThrow(/takes a plain options object/);
    await settle();
    expect(requests).toHaveLength(0);
  });

  it("a null-prototype object is a plain object", async () => {
    const { origin } = await countingServer();
    const options = Object.assign(Object.create(null) as object, { clientId: ID, endpoint: origin });
    await expect(new ImdsCredential(options).getToken(SCOPE)).resolves.toMatchObject({ tokenType: "Bearer" });
  });

  it("a key set to undefined is refused too: the spelling is wrong whatever the value", () => {
    expect(() => new ImdsCredential({ managedIdentityClientId: undefined } as never)).toThrow(
      /did you mean "clientId"/,
    );
  });

  it("a key shown in the message is escaped and cut short", () => {
    const key = `\u001b[31m${"k".repeat(100)}`;
    let message = "";
    try {
      new ImdsCredential({ [key]: 1 } as never);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`has no option "\\u001b[31m${"k".repeat(59)}…"`);
    expect(message).not.toContain("\u001b");
  });

  it.each([
    "ImdsCredential",
    "ArcCredential",
    "AppServiceCredential",
    "AzureMLCredential",
    "WorkloadIdentityCredential",
  ])("%s: managedIdentityClientId is refused naming clientId, nothing sent", async (name) => {
    const { origin, requests } = await countingServer();
    const construct = constructors(origin).find(([n]) => n === name)![1];
    expect(() => construct({ managedIdentityClientId: ID })).toThrow(
      new RegExp(`^${name} has no option "managedIdentityClientId": did you mean "clientId"\\? ${name} takes: `),
    );
    await settle();
    expect(requests).toHaveLength(0);
  });

  it("ManagedIdentityChainCredential: managedIdentityClientId is refused at construction, nothing sent (no probe either)", async () => {
    const { origin, requests } = await countingServer();
    const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin };
    expect(() => new ManagedIdentityChainCredential({ env, managedIdentityClientId: ID } as never)).toThrow(
      /^ManagedIdentityChainCredential has no option "managedIdentityClientId": did you mean "clientId"\? ManagedIdentityChainCredential takes: clientId, objectId, resourceId, env, retryOptions, .*tokenFolder, probeTimeoutMs, arcAgentPath\. Nothing was sent\.$/,
    );
    await settle();
    expect(requests).toHaveLength(0);
    // The chain names its environment: `endpoint` is another credential's option.
    expect(() => new ManagedIdentityChainCredential({ env, endpoint: origin } as never)).toThrow(
      /has no option "endpoint"\. ManagedIdentityChainCredential takes:/,
    );
  });

  it("a credential without a user-assigned identity says the right name is not for it either", () => {
    expect(() => new CloudShellCredential({ managedIdentityClientId: ID } as never)).toThrow(
      /^CloudShellCredential has no option "managedIdentityClientId" \(another name for "clientId", which CloudShellCredential does not take either\)\. CloudShellCredential takes: endpoint, /,
    );
    expect(() => new ServiceFabricCredential({ principalId: ID } as never)).toThrow(/did you mean "objectId"\?/);
    expect(() => new ServiceFabricCredential({ client_id: ID } as never)).toThrow(
      /another name for "clientId", which ServiceFabricCredential does not take either/,
    );
  });

  it("each credential lists its own options", () => {
    expect(() => new ArcCredential({ token_folder: "/x" } as never)).toThrow(/did you mean "tokenFolder"\?/);
    expect(() => new WorkloadIdentityCredential({ tenant: "t" } as never)).toThrow(/did you mean "tenantId"\?/);
    expect(() => new WorkloadIdentityCredential({ federatedTokenFilePath: "/f" } as never)).toThrow(
      /did you mean "tokenFilePath"\?.* takes: clientId, endpoint, .*tenantId, tokenFilePath, authorityHost, additionallyAllowedTenants, enableAzureProxy/,
    );
    expect(() => new ImdsCredential({ tenantId: "t" } as never)).toThrow(
      /^ImdsCredential has no option "tenantId"\. ImdsCredential takes:/,
    );
  });

  it("a user-assigned identity key the source cannot take keeps the source's own reason", () => {
    expect(() => new CloudShellCredential({ clientId: ID } as never)).toThrow(/Cloud Shell cannot use/);
    expect(() => new AzureMLCredential({ objectId: ID } as never)).toThrow(/Azure ML cannot use .*client id only/);
  });
});

describe("something other than an options object is a TypeError that says what to pass", () => {
  it.each([
    ["a string", ID],
    ["a number", 42],
    ["null", null],
    ["an array", [ID]],
    ["a boolean", true],
  ])("%s: every credential and the chain refuse it, nothing sent", async (kind, value) => {
    const { origin, requests } = await countingServer();
    for (const [name, construct] of constructors(origin)) {
      expect(() => construct(value), name).toThrow(TypeError);
      expect(() => construct(value), name).toThrow(`${name} takes an options object, not ${kind}: `);
    }
    await settle();
    expect(requests).toHaveLength(0);
  });

  it("ManagedIdentityCredential's string form: the message shows the object to pass", () => {
    expect(() => new ImdsCredential(ID as never)).toThrow(
      'ImdsCredential takes an options object, not a string: for a user-assigned identity pass { clientId: "…" } (or objectId, resourceId), for the system-assigned one pass nothing. Nothing was sent.',
    );
    expect(() => new ServiceFabricCredential(ID as never)).toThrow(/pass \{ objectId: "…" \}/);
    expect(() => new CloudShellCredential(ID as never)).toThrow(
      /^CloudShellCredential takes an options object, not a string: pass nothing for the defaults, or an object of these options: endpoint, /,
    );
  });

  it("undefined stays the default (the system-assigned identity)", async () => {
    const { origin, requests } = await countingServer();
    const credential: TokenCredential = new ManagedIdentityChainCredential(undefined);
    expect(credential).toBeInstanceOf(ManagedIdentityChainCredential);
    for (const [, construct] of constructors(origin)) expect(() => construct(undefined)).not.toThrow();
    const chain = new ManagedIdentityChainCredential({ env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin } });
    await chain.getToken(SCOPE);
    const tokenRequests = requests.filter((request) => request.headers["metadata"] === "true");
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.url.searchParams.get("client_id")).toBeNull();
  });
});

describe("detectManagedIdentity refuses them too, before its probe", () => {
  it("an unknown key: a rejected TypeError naming the right one, no probe sent", async () => {
    const { origin, requests } = await countingServer();
    const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin };
    await expect(detectManagedIdentity({ env, probeTimeout: 500 } as never)).rejects.toThrow(
      /^detectManagedIdentity has no option "probeTimeout": did you mean "probeTimeoutMs"\? detectManagedIdentity takes: env, probe, probeTimeoutMs, arcAgentPath, httpClient\. Nothing was sent\.$/,
    );
    await expect(detectManagedIdentity(null as never)).rejects.toThrow(
      /^detectManagedIdentity takes an options object, not null: pass nothing for the defaults/,
    );
    await settle();
    expect(requests).toHaveLength(0);
    // The same environment, well spelled: the probe reaches the server.
    expect((await detectManagedIdentity({ env, probeTimeoutMs: 500 })).source).toBe("imds");
    expect(requests.length).toBeGreaterThan(0);
  });
});
