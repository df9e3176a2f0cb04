// An IMDS probe whose timeout fires while the TCP connect is still pending (a 1 ms probe: the abort comes before
// the connect completes) must leave nothing behind: no uncaught `connect ECANCELED`.
//
// In this test process it used to: nock 14's passthrough (@mswjs/interceptors MockHttpSocket) reported the
// cancelled connect to the request a second time, after its abort error, and core-rest-pipeline's node client
// listens once. test/helpers/installSingleRequestError.ts restores Node's one-error contract; the package itself,
// in plain Node, never emitted it (the second test).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { detectManagedIdentity, ManagedIdentityChainCredential } from "../../src/index.js";
import { finished, startCli } from "../helpers/runCli.js";

const PLAIN_NODE = fileURLToPath(new URL("./fixtures/probeAbortedDuringConnect.ts", import.meta.url));
const NO_AGENT = "/nonexistent/himds";

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback IMDS that answers 300 ms late: a 1 ms probe gives up first. */
async function startLateImds(): Promise<string> {
  server = http.createServer((_request, response) => setTimeout(() => response.end("{}"), 300));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs `work` and gives the uncaught exceptions the process saw meanwhile and a few turns of the loop after. */
async function uncaughtDuring(work: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (error: Error): void => void seen.push(String(error));
  process.on("uncaughtException", listener);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    process.off("uncaughtException", listener);
  }
  return seen;
}

it("probes (detectManagedIdentity, the chain) aborted during connect: unavailable, no uncaught ECANCELED", async () => {
  const origin = await startLateImds();
  const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin };
  const reasons: string[] = [];
  const errors: unknown[] = [];
  const uncaught = await uncaughtDuring(async () => {
    for (let i = 0; i < 10; i++) {
      reasons.push((await detectManagedIdentity({ probeTimeoutMs: 1, env, arcAgentPath: NO_AGENT })).reason);
      const chain = new ManagedIdentityChainCredential({ probeTimeoutMs: 1, env, arcAgentPath: NO_AGENT });
      errors.push(await chain.getToken("https://vault.azure.net/.default").catch((error: unknown) => error));
    }
  });
  expect(uncaught).toEqual([]);
  for (const reason of reasons) expect(reason).toContain("no answer within 1 ms");
  for (const error of errors) expect(error).toMatchObject({ name: "CredentialUnavailableError" });
});

it("the package alone, in plain Node (no nock): the same probes leave no uncaught exception", async () => {
  const run = await finished(startCli([], { PATH: process.env["PATH"] ?? "/usr/bin:/bin" }, PLAIN_NODE));
  expect(run.code).toBe(0);
  expect(run.stderr).toBe("");
  const result = JSON.parse(run.stdout) as { reasons: string[]; uncaught: string[] };
  expect(result.uncaught).toEqual([]);
  expect(result.reasons).toHaveLength(10);
  for (const reason of result.reasons) expect(reason).toContain("no answer within 1 ms");
});
