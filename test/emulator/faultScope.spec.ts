// Issue 21 §3: the emulator's faults apply to token requests only, as `emulate --help` says. The chain's IMDS probe
// (no Metadata header, no resource) used to consume the first injected fault: `--fail 503,410,200` gave the probe
// 503 and the token request 410, 200.
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ManagedIdentityChainCredential } from "../../src/index.js";
import { rawRequest } from "../helpers/rawRequest.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const SCOPE = "https://vault.azure.net/.default";

describe("fault injection", () => {
  it("leaves the chain's IMDS probe alone: the token requests get 503, 410, then the token", async () => {
    emulator = await startEmulator({ sources: ["imds"], faults: { statusSequence: [503, 410, 200] } });
    const chain = new ManagedIdentityChainCredential({
      env: emulator.env.imds!,
      retryOptions: { retryDelayInMs: 1, maxRetryDelayInMs: 1 },
    });
    const token = await chain.getToken(SCOPE);
    expect(token.token.split(".")).toHaveLength(3);
    const seen = emulator.requests.map((request) => [
      request.path.includes("resource=") ? "token" : "probe",
      request.outcome,
    ]);
    // The probe has no resource and gets IMDS's own answer (400, no Metadata header); every step went to tokens.
    expect(seen).toEqual([
      ["probe", 400],
      ["token", 503],
      ["token", 410],
      ["token", 200],
    ]);
  });

  it("latency, hang and throttling skip a request that asks for no token; the Key Vault's faults still apply to every request", async () => {
    emulator = await startEmulator({
      sources: ["imds"],
      faults: { hang: true },
      endpointFaults: { keyvault: { statusSequence: [503] } },
    });
    // Hung for tokens, yet the probe-shaped GET is answered at once.
    const probe = await rawRequest(`${emulator.endpoints.imds!}?api-version=2018-02-01`);
    expect(probe.status).toBe(400);
    const vault = await rawRequest(`${emulator.keyVaultUrl}secrets/demo-secret?api-version=7.4`, { ca: emulator.ca });
    expect(vault.status).toBe(503);
    expect(emulator.requests.map((request) => request.outcome)).toEqual([400, 503]);
  });
});
