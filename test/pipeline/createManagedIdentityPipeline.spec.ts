// The shape of the one pipeline every source uses, and the Metadata header.
import {
  createHttpHeaders,
  createPipelineFromOptions,
  type PipelinePolicy,
  type PipelineResponse,
  proxyPolicyName,
  redirectPolicyName,
} from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it } from "vitest";
import {
  arcChallengePolicy,
  ArcCredential,
  CloudShellCredential,
  createManagedIdentityPipeline,
  ImdsCredential,
  imdsRetryPolicy,
  managedIdentityRetryPolicy,
  metadataHeaderPolicy,
  metadataHeaderPolicyName,
} from "../../src/index.js";
import { loopbackRequest } from "../helpers/scriptedNext.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const named = (name: string): PipelinePolicy => ({ name, sendRequest: (request, next) => next(request) });

describe("metadataHeaderPolicy", () => {
  it("sets Metadata: true, replacing any other value", async () => {
    const request = loopbackRequest();
    request.headers.set("Metadata", "false");
    let seen: string | undefined;
    const policy = metadataHeaderPolicy();
    await policy.sendRequest(request, async (r) => {
      seen = r.headers.get("metadata");
      return { request: r, status: 200, headers: createHttpHeaders() } satisfies PipelineResponse;
    });
    expect(policy.name).toBe(metadataHeaderPolicyName);
    expect(seen).toBe("true");
  });

  describe("on the wire", () => {
    let server: TokenServer | undefined;
    afterEach(async () => server?.close());

    it.each([
      ["ImdsCredential", ImdsCredential, "/metadata/identity/oauth2/token"],
      ["ArcCredential", ArcCredential, "/metadata/identity/oauth2/token"],
      ["CloudShellCredential", CloudShellCredential, "/oauth2/token"],
    ] as const)("is sent by %s", async (_, Credential, path) => {
      server = await startTokenServer(() => tokenAnswer());
      await new Credential({ endpoint: `${server.origin}${path}` }).getToken("https://vault.azure.net/.default");
      expect(server.requests[0]!.headers["metadata"]).toBe("true");
    });
  });
});

describe("createManagedIdentityPipeline", () => {
  const names = (policies: PipelinePolicy[]): string[] => policies.map((p) => p.name);

  it("has no proxy policy and no redirect policy, unlike core's default pipeline", () => {
    // The control: these are the names core gives the policies it would add.
    expect(names(createPipelineFromOptions({}).getOrderedPolicies())).toEqual(
      expect.arrayContaining([proxyPolicyName, redirectPolicyName]),
    );
    for (const retryPolicy of [imdsRetryPolicy(), managedIdentityRetryPolicy()]) {
      const pipeline = createManagedIdentityPipeline({
        retryPolicy,
        headerPolicies: [metadataHeaderPolicy()],
        challengePolicy: arcChallengePolicy({ tokenFolder: "/nonexistent" }),
      });
      const ordered = names(pipeline.getOrderedPolicies());
      expect(ordered).not.toContain("proxyPolicy");
      expect(ordered).not.toContain("redirectPolicy");
      expect(ordered).not.toContain(proxyPolicyName);
      expect(ordered).not.toContain(redirectPolicyName);
    }
  });

  it("orders the policies: headers and per-call once, then retry, per-try, challenge, try timeout, body reader last", () => {
    const pipeline = createManagedIdentityPipeline({
      retryPolicy: imdsRetryPolicy(),
      headerPolicies: [metadataHeaderPolicy()],
      challengePolicy: arcChallengePolicy({ tokenFolder: "/nonexistent" }),
      additionalPolicies: [
        { policy: named("perTryPolicy"), position: "perRetry" },
        { policy: named("perCallPolicy"), position: "perCall" },
      ],
    });
    const ordered = names(pipeline.getOrderedPolicies());
    const at = (name: string): number => {
      expect(ordered).toContain(name);
      return ordered.indexOf(name);
    };
    expect(at("metadataHeaderPolicy")).toBeLessThan(at("imdsRetryPolicy"));
    expect(at("perCallPolicy")).toBeLessThan(at("imdsRetryPolicy"));
    expect(at("imdsRetryPolicy")).toBeLessThan(at("perTryPolicy"));
    expect(at("perTryPolicy")).toBeLessThan(at("arcChallengePolicy"));
    expect(at("arcChallengePolicy")).toBeLessThan(at("tryTimeoutPolicy"));
    expect(at("responseBodyPolicy")).toBe(ordered.length - 1);
  });
});
