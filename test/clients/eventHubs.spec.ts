// @azure/event-hubs through AppServiceCredential, against the loopback AMQP broker (rhea) that answers the
// CBS put-token and checks the token.
//
// How the client calls getToken (Azure/azure-sdk-for-js):
// - sdk/eventhub/event-hubs/src/withAuth.ts: `getToken(Constants.aadEventHubsScope)` (one string, no options),
//   throws on null, puts it as a `jwt` for the entity, and renews it with `createTimerLoop` every
//   `expiresOnTimestamp − Date.now() − 2 min` of the FIRST token (src/util/timerLoop.ts: a fixed interval).
// - sdk/core/core-amqp/src/util/constants.ts: `aadEventHubsScope: "https://eventhubs.azure.net//.default"`.
// - sdk/core/core-amqp/src/ConnectionContextBase.ts: `webSocketOptions.webSocket` carries the connection; the
//   test's class goes to 127.0.0.1 whatever the `wss://` URL.
import { EventHubProducerClient } from "@azure/event-hubs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startEmulator } from "../../src/emulator/index.js";
import { AppServiceCredential } from "../../src/index.js";
import { type AmqpBroker, startAmqpBroker } from "./helpers/amqpBroker.js";
import { tokenRequestsAt, verifiedClaims } from "./helpers/emulatorTokens.js";
import { recordingCredential } from "./helpers/recordingCredential.js";

const NAMESPACE = "contoso.servicebus.windows.net";
const SCOPE = "https://eventhubs.azure.net//.default";
const AUDIENCE = "https://eventhubs.azure.net/";
const MINUTE = 60_000;

describe("@azure/event-hubs with AppServiceCredential", () => {
  const realSetTimeout = globalThis.setTimeout;
  const realDelay = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));
  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !condition(); i++) await realDelay(10);
    expect(condition()).toBe(true);
  }
  async function advance(broker: AmqpBroker, ms: number): Promise<void> {
    for (let done = 0; done < ms; done += 20_000) {
      await vi.advanceTimersByTimeAsync(Math.min(20_000, ms - done));
      await realDelay(1);
      await until(() => broker.quiet());
    }
  }

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it("puts an App Service token for the double-slash scope, and its fixed-interval renewal gets a new token", async () => {
    // performance.now() too: the cache counts freshness down on it.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    const emulator = await startEmulator({ sources: ["appservice"], tokenLifetimeSeconds: 3600 });
    for (const [name, value] of Object.entries(emulator.env.appservice!)) vi.stubEnv(name, value);
    const broker = await startAmqpBroker({
      checkToken: ({ token, type }) => {
        try {
          return type === "jwt" && verifiedClaims(emulator, token).aud === AUDIENCE ? 200 : 401;
        } catch {
          return 401;
        }
      },
    });
    const credential = recordingCredential(new AppServiceCredential());
    const client = new EventHubProducerClient(NAMESPACE, "telemetry", credential, {
      webSocketOptions: { webSocket: broker.webSocket as never },
      retryOptions: { maxRetries: 0 },
    });
    try {
      await client.sendBatch([{ body: "reading 1" }], { partitionId: "0" });

      // One transfer: Event Hubs sends a batch in its own message format, which this broker only counts.
      expect(broker.messages).toHaveLength(1);
      expect(credential.calls).toEqual([{ scopes: SCOPE, options: {} }]);
      expect(broker.putTokens.map(({ type, status }) => ({ type, status }))).toEqual([{ type: "jwt", status: 200 }]);
      const first = verifiedClaims(emulator, broker.putTokens[0]!.token);
      expect(first.aud).toBe(AUDIENCE);
      expect(first.appid).toBe(emulator.identities.systemAssigned!.clientId);
      expect(tokenRequestsAt(emulator, "appservice")).toEqual([{ resource: AUDIENCE, outcome: 200 }]);

      // Past the renewal (58 minutes on for a one-hour token), then ten minutes more.
      await advance(broker, 58 * MINUTE + 20_000);
      await until(() => broker.putTokens.length >= 2);
      await advance(broker, 10 * MINUTE);

      // One getToken, one request to App Service, and a new token: the old one had two minutes left, and
      // Event Hubs' next renewal is a whole interval later.
      expect(credential.calls).toHaveLength(2);
      expect(tokenRequestsAt(emulator, "appservice")).toHaveLength(2);
      expect(broker.putTokens.map((p) => p.status)).toEqual([200, 200]);
      expect(verifiedClaims(emulator, broker.putTokens[1]!.token).exp).toBeGreaterThan(first.exp);
    } finally {
      vi.useRealTimers();
      await client.close();
      await broker.close();
      await emulator.close();
    }
  });
});
