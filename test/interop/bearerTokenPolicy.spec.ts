import type { TokenCredential } from "@azure/core-auth";
import {
  agentPolicy,
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createEmptyPipeline,
  createPipelineRequest,
  type Pipeline,
} from "@azure/core-rest-pipeline";
import https from "node:https";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ArcCredential, ImdsCredential } from "../../src/index.js";
import {
  type HimdsAgent,
  makeTokenFolder,
  newSecret,
  startHimdsAgent,
  type TokenFolder,
  writeKey,
} from "../helpers/himdsAgent.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";
import { type HttpsServer, startHttpsServer } from "../helpers/httpsServer.js";
import { makeSelfSignedCertificate, type SelfSignedCertificate } from "../helpers/selfSignedCertificate.js";

const SCOPE = "https://storage.azure.com/.default";

describe("a credential behind core-rest-pipeline's bearerTokenAuthenticationPolicy, over real TLS", () => {
  let certificate: SelfSignedCertificate;
  let service: HttpsServer;
  let agent: https.Agent;
  let validToken: string;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    certificate = makeSelfSignedCertificate();
    // The service accepts exactly one token: whichever the current test's credential is expected to fetch.
    service = await startHttpsServer(certificate, (request) =>
      request.headers["authorization"] === `Bearer ${validToken}`
        ? { status: 200, body: { ok: true } }
        : { status: 401, headers: { "WWW-Authenticate": "Bearer" }, body: { error: "invalid_token" } },
    );
    agent = new https.Agent({ ca: certificate.cert });
  });
  afterAll(async () => {
    agent.destroy();
    await service.close();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    service.requests.length = 0;
  });

  function pipelineWith(credential: TokenCredential, trust = true): Pipeline {
    const pipeline = createEmptyPipeline();
    if (trust) pipeline.addPolicy(agentPolicy(agent));
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: SCOPE }));
    return pipeline;
  }

  async function get(pipeline: Pipeline, pathname: string): Promise<number> {
    const response = await pipeline.sendRequest(
      createDefaultHttpClient(),
      createPipelineRequest({ url: `${service.origin}${pathname}` }),
    );
    return response.status;
  }

  it("ImdsCredential: the service gets 'Authorization: Bearer <token>', and the token is fetched once", async () => {
    validToken = newSecret("imds-token");
    const imds: TokenServer = await startTokenServer(() => tokenAnswer(validToken));
    closers.push(() => imds.close());
    const pipeline = pipelineWith(new ImdsCredential({ endpoint: imds.origin }));

    expect(await get(pipeline, "/container/blob-1")).toBe(200);
    expect(await get(pipeline, "/container/blob-2")).toBe(200);

    expect(service.requests.map((r) => r.headers["authorization"])).toEqual([
      `Bearer ${validToken}`,
      `Bearer ${validToken}`,
    ]);
    expect(imds.requests).toHaveLength(1);
    expect(imds.requests[0]!.url.searchParams.get("resource")).toBe("https://storage.azure.com");
  });

  it("ArcCredential: the file challenge, then the token over TLS", async () => {
    const tokens: TokenFolder = await makeTokenFolder();
    closers.push(() => tokens.remove());
    validToken = newSecret("arc-token");
    const secret = newSecret();
    const file = await writeKey(path.join(tokens.folder, "t.key"), secret);
    const himds: HimdsAgent = await startHimdsAgent({
      challenge: `Basic realm="${file}"`,
      secret,
      answer: () => tokenAnswer(validToken),
    });
    closers.push(() => himds.close());
    const pipeline = pipelineWith(new ArcCredential({ endpoint: himds.endpoint, tokenFolder: tokens.folder }));

    expect(await get(pipeline, "/container/blob")).toBe(200);

    expect(service.requests.map((r) => r.headers["authorization"])).toEqual([`Bearer ${validToken}`]);
    // The Arc secret went to the agent only, never to the service.
    expect(JSON.stringify(service.requests)).not.toContain(secret);
    expect(himds.requests).toHaveLength(2);
  });

  it("the TLS is real: without trusting the self-signed certificate the request fails", async () => {
    validToken = newSecret("imds-token");
    const imds = await startTokenServer(() => tokenAnswer(validToken));
    closers.push(() => imds.close());
    const pipeline = pipelineWith(new ImdsCredential({ endpoint: imds.origin }), false);

    await expect(get(pipeline, "/container/blob")).rejects.toThrow(/self[- ]signed certificate/i);
    expect(service.requests).toHaveLength(0);
  });
});
