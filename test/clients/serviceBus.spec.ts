// @azure/service-bus through ImdsCredential, against a loopback AMQP broker (rhea) that answers the CBS
// put-token and checks the token.
//
// How the client calls getToken (Azure/azure-sdk-for-js):
// - sdk/servicebus/service-bus/src/core/linkEntity.ts `_negotiateClaim`: `getToken(Constants.aadServiceBusScope)`
//   (one string, no options), throws "Token cannot be null" on null, sends it as a `jwt` put-token for the
//   entity, and renews on its own timer `expiresOnTimestamp − Date.now() − 2 min` later (`_ensureTokenRenewal`).
// - sdk/core/core-amqp/src/util/constants.ts: `aadServiceBusScope: "https://servicebus.azure.net//.default"`,
//   a double slash (the audience is `https://servicebus.azure.net/`).
// - sdk/core/core-amqp/src/ConnectionContextBase.ts: with `webSocketOptions.webSocket`, rhea connects through
//   that WebSocket class to `wss://<host>:443/$servicebus/websocket`; the test's class goes to 127.0.0.1.
import { ServiceBusClient } from "@azure/service-bus";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ImdsCredential } from "../../src/index.js";
import { type AmqpBroker, startAmqpBroker } from "./helpers/amqpBroker.js";
import { tokenRequestsAt, verifiedClaims } from "./helpers/emulatorTokens.js";
import { recordingCredential } from "./helpers/recordingCredential.js";

const NAMESPACE = "contoso.servicebus.windows.net";
const SCOPE = "https://servicebus.azure.net//.default";
const AUDIENCE = "https://servicebus.azure.net/";
const MINUTE = 60_000;

/** The broker's check: a `jwt` this emulator signed for Service Bus's audience. */
function checkTokenWith(emulator: () => Emulator) {
  return ({ token, type }: { token: string; type: string }): number => {
    try {
      return type === "jwt" && verifiedClaims(emulator(), token).aud === AUDIENCE ? 200 : 401;
    } catch {
      return 401;
    }
  };
}

describe("@azure/service-bus with ImdsCredential", () => {
  let emulator: Emulator;
  let broker: AmqpBroker;

  beforeAll(async () => {
    emulator = await startEmulator({ sources: ["imds"] });
    broker = await startAmqpBroker({ checkToken: checkTokenWith(() => emulator) });
  });
  afterAll(async () => {
    await broker.close();
    await emulator.close();
  });
  afterEach(() => {
    broker.putTokens.length = 0;
    broker.messages.length = 0;
    emulator.requests.length = 0;
  });

  it("puts an IMDS token for the double-slash scope on $cbs, checked by the broker, then sends", async () => {
    const credential = recordingCredential(new ImdsCredential({ endpoint: emulator.endpoints.imds }));
    const client = new ServiceBusClient(NAMESPACE, credential, {
      webSocketOptions: { webSocket: broker.webSocket as never },
      retryOptions: { maxRetries: 0 },
    });
    try {
      const sender = client.createSender("orders");
      await sender.sendMessages({ body: "order 1" });
      await sender.close();
    } finally {
      await client.close();
    }

    expect(broker.messages).toEqual(["order 1"]);
    expect(broker.urls).toEqual([`wss://${NAMESPACE}:443/$servicebus/websocket`]);
    expect(credential.calls).toEqual([{ scopes: SCOPE, options: {} }]);
    expect(broker.putTokens.map(({ name, type, status }) => ({ name, type, status }))).toEqual([
      { name: `sb://${NAMESPACE}/orders`, type: "jwt", status: 200 },
    ]);
    const claims = verifiedClaims(emulator, broker.putTokens[0]!.token);
    expect(claims.aud).toBe(AUDIENCE);
    expect(claims.appid).toBe(emulator.identities.systemAssigned!.clientId);
    expect(tokenRequestsAt(emulator, "imds")).toEqual([{ resource: AUDIENCE, outcome: 200 }]);
  });
});

describe("@azure/service-bus's token renewal with ImdsCredential", () => {
  // Real timers, saved before faking: the loopback I/O needs real time to happen between fake steps.
  const realSetTimeout = globalThis.setTimeout;
  const realDelay = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));
  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !condition(); i++) await realDelay(10);
    expect(condition()).toBe(true);
  }
  /**
   * Moves the fake clock on in steps short enough for rhea's heartbeats (idle timeout 60 s) to keep the
   * connection, letting every frame of a step reach the other side before the next.
   */
  async function advance(broker: AmqpBroker, ms: number): Promise<void> {
    for (let done = 0; done < ms; done += 20_000) {
      await vi.advanceTimersByTimeAsync(Math.min(20_000, ms - done));
      await realDelay(1);
      await until(() => broker.quiet());
    }
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it("a renewal at expiresOn − 2 min costs one getToken and one IMDS request and puts a new token: never a loop", async () => {
    // Only timers, Date and performance.now() are fake: core-amqp's renewal timer, rhea's heartbeats, our
    // cache's monotonic clock and the emulator's token times move together; sockets stay real.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    // One-hour tokens, as Microsoft Entra issues by default: refreshed by the cache from five minutes before expiry.
    const emulator = await startEmulator({ sources: ["imds"], tokenLifetimeSeconds: 3600 });
    const broker = await startAmqpBroker({ checkToken: checkTokenWith(() => emulator) });
    const credential = recordingCredential(new ImdsCredential({ endpoint: emulator.endpoints.imds }));
    const client = new ServiceBusClient(NAMESPACE, credential, {
      webSocketOptions: { webSocket: broker.webSocket as never },
      retryOptions: { maxRetries: 0 },
    });
    try {
      const sender = client.createSender("orders");
      await sender.sendMessages({ body: "order 1" });
      expect(broker.putTokens).toHaveLength(1);
      const first = verifiedClaims(emulator, broker.putTokens[0]!.token);

      // Up to just past core-amqp's renewal time, 58 minutes on.
      await advance(broker, 58 * MINUTE + 20_000);
      await until(() => broker.putTokens.length >= 2);
      // Then ten more minutes: a loop would show as more calls and put-tokens.
      await advance(broker, 10 * MINUTE);

      expect(credential.calls).toEqual([
        { scopes: SCOPE, options: {} },
        { scopes: SCOPE, options: {} },
      ]);
      expect(tokenRequestsAt(emulator, "imds")).toEqual([
        { resource: AUDIENCE, outcome: 200 },
        { resource: AUDIENCE, outcome: 200 },
      ]);
      expect(broker.putTokens.map((p) => p.status)).toEqual([200, 200]);
      // The renewal put a new token, not the old one with two minutes left.
      const renewed = verifiedClaims(emulator, broker.putTokens[1]!.token);
      expect(renewed.exp).toBeGreaterThan(first.exp);
      expect(renewed.aud).toBe(AUDIENCE);

      await sender.sendMessages({ body: "order 2" });
      expect(broker.messages).toEqual(["order 1", "order 2"]);
      expect(broker.putTokens).toHaveLength(2);
    } finally {
      vi.useRealTimers();
      await client.close();
      await broker.close();
      await emulator.close();
    }
  });
});
