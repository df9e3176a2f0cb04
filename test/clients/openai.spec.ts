// openai's AzureOpenAI with getBearerTokenProvider (@azure/identity) over ImdsCredential with a
// user-assigned identity, against a loopback Azure OpenAI deployment.
//
// How the token is asked for:
// - Azure/azure-sdk-for-js, sdk/identity/identity/src/tokenProvider.ts: `getBearerTokenProvider(credential,
//   scopes)` runs a dummy request through a bearerTokenAuthenticationPolicy, so the credential is called with
//   the scopes as an array and `enableCae: true`, behind the policy's token cycler.
// - openai/openai-node, src/azure.ts: `azureADTokenProvider` becomes the client's `apiKey` function, called
//   before every request and sent as `Authorization: Bearer`; requests go to
//   `${endpoint}/openai/deployments/${deployment}/...` (openai does not insist on https: plain loopback HTTP).
import { getBearerTokenProvider } from "@azure/identity";
import { AzureOpenAI } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ImdsCredential } from "../../src/index.js";
import { tokenRequestsAt, verifiedClaims } from "./helpers/emulatorTokens.js";
import { recordingCredential } from "./helpers/recordingCredential.js";
import { bearerOf, type ServiceFake, startServiceFake } from "./helpers/serviceFake.js";

const RESOURCE = "https://cognitiveservices.azure.com";

describe("openai (AzureOpenAI) with getBearerTokenProvider over ImdsCredential", () => {
  let emulator: Emulator;
  let openai: ServiceFake;

  beforeAll(async () => {
    emulator = await startEmulator({ sources: ["imds"] });
    openai = await startServiceFake(
      () => ({
        status: 200,
        body: {
          id: "chatcmpl-1",
          object: "chat.completion",
          created: 1_700_000_000,
          model: "gpt-4o",
          choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "Hello." } }],
        },
      }),
      { tls: false },
    );
  });
  afterAll(async () => {
    await openai.close();
    await emulator.close();
  });

  it("sends the user-assigned identity's token for https://cognitiveservices.azure.com on every request, from one IMDS request", async () => {
    const userAssigned = emulator.identities.userAssigned[0]!;
    const credential = recordingCredential(
      new ImdsCredential({ endpoint: emulator.endpoints.imds, clientId: userAssigned.clientId }),
    );
    let providerCalls = 0;
    const provider = getBearerTokenProvider(credential, `${RESOURCE}/.default`);
    const client = new AzureOpenAI({
      endpoint: openai.origin,
      deployment: "gpt-4o",
      apiVersion: "2024-10-21",
      azureADTokenProvider: () => {
        providerCalls++;
        return provider();
      },
      maxRetries: 0,
    });

    for (let i = 0; i < 2; i++) {
      const completion = await client.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "Hi" }],
      });
      expect(completion.choices[0]!.message.content).toBe("Hello.");
    }

    expect(openai.requests.map((r) => r.url.pathname)).toEqual([
      "/openai/deployments/gpt-4o/chat/completions",
      "/openai/deployments/gpt-4o/chat/completions",
    ]);
    expect(providerCalls).toBe(2);
    for (const request of openai.requests) {
      const claims = verifiedClaims(emulator, bearerOf(request));
      expect(claims.aud).toBe(RESOURCE);
      expect(claims.appid).toBe(userAssigned.clientId);
    }
    // The provider's token cycler called the credential once; IMDS was asked once, for the user-assigned identity.
    expect(credential.calls).toEqual([{ scopes: [`${RESOURCE}/.default`], options: { enableCae: true } }]);
    expect(tokenRequestsAt(emulator, "imds")).toEqual([{ resource: RESOURCE, outcome: 200 }]);
    expect(emulator.requests[0]!.path).toContain(`client_id=${userAssigned.clientId}`);
  });
});
