// Numeric options are checked at construction. Before, on a 503 endpoint, `maxRetries: NaN` retried forever
// (`retry >= NaN` is never true), `retryDelayInMs: NaN` sent a request every millisecond (`setTimeout(NaN)`
// fires after 1 ms) and `tryTimeoutInMs: NaN` silently meant "no bound".
import { describe, expect, it } from "vitest";
import {
  AppServiceCredential,
  ArcCredential,
  AzureMLCredential,
  CloudShellCredential,
  detectManagedIdentity,
  ImdsCredential,
  imdsRetryPolicy,
  ManagedIdentityChainCredential,
  managedIdentityRetryPolicy,
  ServiceFabricCredential,
  WorkloadIdentityCredential,
} from "../../src/index.js";
import { integerOption } from "../../src/cli/arguments.js";
import { startTokenServer, tokenAnswer } from "../helpers/tokenServer.js";

const BAD_VALUES = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 1.5];
const DELAYS = ["retryDelayInMs", "maxRetryDelayInMs"] as const;
const ENDPOINT = "http://127.0.0.1:9/token";

const credentials = [
  ["ImdsCredential", (retryOptions: object) => new ImdsCredential({ endpoint: ENDPOINT, retryOptions })],
  ["ArcCredential", (retryOptions: object) => new ArcCredential({ endpoint: ENDPOINT, retryOptions })],
  ["CloudShellCredential", (retryOptions: object) => new CloudShellCredential({ endpoint: ENDPOINT, retryOptions })],
  ["AppServiceCredential", (retryOptions: object) => new AppServiceCredential({ endpoint: ENDPOINT, retryOptions })],
  [
    "ServiceFabricCredential",
    (retryOptions: object) => new ServiceFabricCredential({ endpoint: ENDPOINT, retryOptions }),
  ],
  ["AzureMLCredential", (retryOptions: object) => new AzureMLCredential({ endpoint: ENDPOINT, retryOptions })],
  [
    "WorkloadIdentityCredential",
    (retryOptions: object) => new WorkloadIdentityCredential({ endpoint: ENDPOINT, retryOptions }),
  ],
  ["ManagedIdentityChainCredential", (retryOptions: object) => new ManagedIdentityChainCredential({ retryOptions })],
  ["imdsRetryPolicy", (retryOptions: object) => imdsRetryPolicy(retryOptions)],
  ["managedIdentityRetryPolicy", (retryOptions: object) => managedIdentityRetryPolicy(retryOptions)],
] as const;

describe("numeric options", () => {
  describe.each(credentials)("%s", (_name, construct) => {
    it.each(BAD_VALUES)(
      "refuses maxRetries and every time option set to %s with a TypeError naming it and its range",
      (value) => {
        const range = `from 0 to ${Number.MAX_SAFE_INTEGER}, not ${value}.`;
        expect(() => construct({ maxRetries: value })).toThrow(
          new TypeError(`retryOptions.maxRetries must be a whole number ${range}`),
        );
        for (const option of DELAYS) {
          expect(() => construct({ [option]: value })).toThrow(
            new TypeError(`retryOptions.${option} must be a whole number ${range}`),
          );
        }
        expect(() => construct({ tryTimeoutInMs: value })).toThrow(
          new TypeError(`retryOptions.tryTimeoutInMs must be a whole number from 0 to 2147483647, not ${value}.`),
        );
      },
    );

    it("refuses a tryTimeoutInMs above what a timer holds (2^31-1 ms)", () => {
      expect(() => construct({ tryTimeoutInMs: 2 ** 31 })).toThrow(
        "retryOptions.tryTimeoutInMs must be a whole number from 0 to 2147483647, not 2147483648.",
      );
    });

    it("takes 0 and the largest values", () => {
      expect(() =>
        construct({ maxRetries: 0, retryDelayInMs: 0, maxRetryDelayInMs: 0, tryTimeoutInMs: 0 }),
      ).not.toThrow();
      expect(() =>
        construct({ maxRetries: 1000, retryDelayInMs: 2 ** 31 - 1, tryTimeoutInMs: 2 ** 31 - 1 }),
      ).not.toThrow();
    });
  });

  it.each(BAD_VALUES)(
    "refuses probeTimeoutMs %s in the chain (at construction) and in detectManagedIdentity",
    async (value) => {
      const message = `probeTimeoutMs must be a whole number from 0 to 2147483647, not ${value}.`;
      expect(() => new ManagedIdentityChainCredential({ probeTimeoutMs: value })).toThrow(new TypeError(message));
      await expect(detectManagedIdentity({ env: {}, probeTimeoutMs: value })).rejects.toThrow(new TypeError(message));
    },
  );

  it("keeps the meaning of 0: maxRetries 0 sends one request to a 503 endpoint; probeTimeoutMs 0 is the default probe", async () => {
    const server = await startTokenServer(() => ({ status: 503, body: { error: "busy" } }));
    try {
      const credential = new ImdsCredential({
        endpoint: server.origin,
        retryOptions: { maxRetries: 0, retryDelayInMs: 0 },
      });
      await expect(credential.getToken("https://vault.azure.net")).rejects.toMatchObject({ statusCode: 503 });
      expect(server.requests).toHaveLength(1);
      const detection = await detectManagedIdentity({
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: server.origin },
        probeTimeoutMs: 0,
      });
      expect(detection.source).toBe("imds");
    } finally {
      await server.close();
    }
  });

  it("a retryDelayInMs of 0 retries at once, and the retries still end", async () => {
    const server = await startTokenServer((request) =>
      request.url.searchParams.get("resource") === "https://ok" ? tokenAnswer() : { status: 503 },
    );
    try {
      const credential = new CloudShellCredential({
        endpoint: server.origin,
        retryOptions: { maxRetries: 2, retryDelayInMs: 0 },
      });
      await expect(credential.getToken("https://vault.azure.net")).rejects.toMatchObject({ statusCode: 503 });
      expect(server.requests).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it("the command line's numeric flags follow the same rule, with the library's words", () => {
    for (const text of ["NaN", "Infinity", "-5", "2.5", "1e3", "0x10", "0"]) {
      expect(() => integerOption({ timeout: text }, "timeout", "token", { min: 1, max: 600_000 })).toThrow(
        `--timeout must be a whole number from 1 to 600000, not '${text}'.`,
      );
    }
    expect(integerOption({ timeout: "300" }, "timeout", "token", { min: 1, max: 600_000 })).toBe(300);
  });
});
