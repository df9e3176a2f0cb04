// The README's "Coming from @azure/identity": each row built both ways, @azure/identity's credential and what the
// README says to write here, against the emulated IMDS; both must get the same identity's token (the JWT's oid
// and appid). msal-node (behind @azure/identity) remembers its source for the life of the process: IMDS only here.
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ImdsCredential, ManagedIdentityChainCredential } from "../../src/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { claimsOf } from "../helpers/rawRequest.js";

const SCOPE = "https://vault.azure.net/.default";
const NO_ARC_AGENT = "/nonexistent/azcmagent/bin/himds";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["imds"] });
});
afterAll(() => emulator.close());
beforeEach(() => useOnlyEnv(emulator.env.imds));
afterEach(() => vi.unstubAllEnvs());

const user = () => emulator.identities.userAssigned[0]!;
const system = () => emulator.identities.systemAssigned!;
/** What the README says to write here for a credential that finds the host's identity. */
const chain = (options: ConstructorParameters<typeof ManagedIdentityChainCredential>[0] = {}) =>
  new ManagedIdentityChainCredential({ arcAgentPath: NO_ARC_AGENT, ...options });

interface Row {
  row: string;
  theirs: () => TokenCredential;
  ours: () => TokenCredential;
  identity: () => { objectId: string; clientId: string };
  env?: () => Record<string, string>;
}

const rows: Row[] = [
  {
    row: "new ManagedIdentityCredential(clientId)",
    theirs: () => new ManagedIdentityCredential(user().clientId),
    ours: () => chain({ clientId: user().clientId }),
    identity: user,
  },
  {
    row: "new ManagedIdentityCredential({ clientId })",
    theirs: () => new ManagedIdentityCredential({ clientId: user().clientId }),
    ours: () => new ImdsCredential({ clientId: user().clientId }),
    identity: user,
  },
  {
    row: "new ManagedIdentityCredential({ resourceId })",
    theirs: () => new ManagedIdentityCredential({ resourceId: user().resourceId }),
    ours: () => chain({ resourceId: user().resourceId }),
    identity: user,
  },
  {
    row: "new ManagedIdentityCredential({ objectId })",
    theirs: () => new ManagedIdentityCredential({ objectId: user().objectId }),
    ours: () => chain({ objectId: user().objectId }),
    identity: user,
  },
  {
    row: "ManagedIdentityCredential retryOptions",
    theirs: () => new ManagedIdentityCredential({ retryOptions: { maxRetries: 2, retryDelayInMs: 100 } }),
    ours: () => chain({ retryOptions: { maxRetries: 2, retryDelayInMs: 100 } }),
    identity: system,
  },
  {
    row: "ManagedIdentityCredential loggingOptions",
    theirs: () =>
      new ManagedIdentityCredential({
        loggingOptions: { allowLoggingAccountIdentifiers: true, additionalAllowedHeaderNames: ["x-ms-request-id"] },
      }),
    ours: () => chain({ loggingOptions: { additionalAllowedHeaderNames: ["x-ms-request-id"] } }),
    identity: system,
  },
  {
    row: "DefaultAzureCredential managedIdentityClientId",
    theirs: () => new DefaultAzureCredential({ managedIdentityClientId: user().clientId }),
    ours: () => chain({ clientId: user().clientId }),
    identity: user,
  },
  {
    row: "DefaultAzureCredential managedIdentityResourceId",
    theirs: () => new DefaultAzureCredential({ managedIdentityResourceId: user().resourceId }),
    ours: () => chain({ resourceId: user().resourceId }),
    identity: user,
  },
  {
    // A managed identity has one tenant: DefaultAzureCredential's tenantId goes to its other credentials.
    row: "DefaultAzureCredential tenantId",
    theirs: () => new DefaultAzureCredential({ tenantId: emulator.identities.tenantId }),
    ours: () => chain(),
    identity: system,
  },
  {
    row: "AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential",
    env: () => ({ AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential" }),
    theirs: () => new DefaultAzureCredential(),
    ours: () => chain(),
    identity: system,
  },
  {
    // No counterpart: the application checks its variables itself before it builds the credential.
    row: "DefaultAzureCredential requiredEnvVars",
    env: () => ({ AZURE_TOKEN_CREDENTIALS: "ManagedIdentityCredential" }),
    theirs: () => new DefaultAzureCredential({ requiredEnvVars: ["AZURE_TOKEN_CREDENTIALS"] }),
    ours: () => {
      if (!process.env["AZURE_TOKEN_CREDENTIALS"]) throw new Error("AZURE_TOKEN_CREDENTIALS is not set");
      return chain();
    },
    identity: system,
  },
];

describe("Coming from @azure/identity: each README row, both ways, gets the same identity's token", () => {
  it.each(rows.map((row) => [row.row, row] as const))("%s", async (_name, row) => {
    for (const [name, value] of Object.entries(row.env?.() ?? {})) vi.stubEnv(name, value);
    const theirs = claimsOf((await row.theirs().getToken(SCOPE))!.token);
    const ours = claimsOf((await row.ours().getToken(SCOPE))!.token);
    const identity = row.identity();
    expect({ oid: theirs["oid"], appid: theirs["appid"] }).toEqual({
      oid: identity.objectId,
      appid: identity.clientId,
    });
    expect({ oid: ours["oid"], appid: ours["appid"] }).toEqual({ oid: theirs["oid"], appid: theirs["appid"] });
  });
});

describe("Coming from @azure/identity: the spelling of DefaultAzureCredential's options", () => {
  it("refuses managedIdentityClientId and names clientId, as the README's table says", () => {
    expect(() => chain({ managedIdentityClientId: user().clientId } as never)).toThrow(TypeError);
    expect(() => chain({ managedIdentityClientId: user().clientId } as never)).toThrow(/clientId/);
  });
});
