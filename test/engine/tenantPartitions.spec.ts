// The cache's bound holds across tenants (issue 20 §3). With additionallyAllowedTenants: ["*"], every tenant a
// challenge names used to get a TokenCache of its own that was never dropped: 20,000 tenants grew the heap by
// 67 MB. Now one bounded store holds every partition's tokens, at most MAX_CACHED_RESOURCES together; counted
// here in entries, and by behaviour (the oldest tenant's token is fetched again), never in time.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManagedIdentityClient } from "../../src/engine/managedIdentityClient.js";
import { workloadIdentitySource } from "../../src/sources/workloadIdentity.js";
import { MAX_CACHED_RESOURCES } from "../../src/token/tokenCache.js";
import { recordingHttpClient } from "../helpers/recordingHttpClient.js";

const SCOPE = "https://vault.azure.net/.default";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const tenant = (i: number): string => `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "mi-tenants-"));
  writeFileSync(path.join(dir, "token"), "federated-assertion");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("one bound across tenants", () => {
  it("holds at most 1,000 tokens whatever the number of tenants: the same count after 1,500 and 3,000 tenants", async () => {
    // In memory: nothing is sent; the authority is a loopback address the recording client never dials.
    const httpClient = recordingHttpClient((request) => `for-${new URL(request.url).pathname.split("/")[1]}`);
    const client = new ManagedIdentityClient(workloadIdentitySource, {
      tenantId: TENANT,
      clientId: "client",
      tokenFilePath: path.join(dir, "token"),
      authorityHost: "http://127.0.0.1:1",
      additionallyAllowedTenants: ["*"],
      httpClient,
      env: {},
    });
    const ask = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        expect((await client.getToken(SCOPE, { tenantId: tenant(i) })).token).toBe(`for-${tenant(i)}`);
      }
    };
    await ask(0, 1_500);
    const afterFirst = client.cachedTokenCount;
    await ask(1_500, 3_000);
    expect(httpClient.requests).toHaveLength(3_000);

    // The newest tenants are served from the cache; the oldest was dropped and is asked for again.
    await ask(2_999, 3_000);
    expect(httpClient.requests).toHaveLength(3_000);
    await ask(0, 1);
    expect(httpClient.requests).toHaveLength(3_001);
    expect(afterFirst).toBe(MAX_CACHED_RESOURCES);
    expect(client.cachedTokenCount).toBe(MAX_CACHED_RESOURCES);
  });
});
