// A failure is explained once (issue 18 §2): the source says what its answers mean and gives the advice for its
// host; the engine classifies; nothing string-replaces an address or blames a header the source never sends.
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { afterEach, describe, expect, it, vi } from "vitest";
import { failureFromAnswer } from "../../src/engine/failures.js";
import {
  AppServiceCredential,
  AuthenticationError,
  CredentialUnavailableError,
  ImdsCredential,
} from "../../src/index.js";
import { SOURCES, sourceByName } from "../../src/sources/index.js";
import type { ManagedIdentitySourceName } from "../../src/sources/source.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";

let server: TokenServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

const ENDPOINT = new URL("http://127.0.0.1:8080/msi/token");

function answer(status: number, body: unknown): PipelineResponse {
  return {
    status,
    headers: createHttpHeaders(),
    request: createPipelineRequest({ url: ENDPOINT.href }),
    bodyAsText: typeof body === "string" ? body : JSON.stringify(body),
  };
}

const explain = (name: ManagedIdentitySourceName, status: number, body: unknown = ""): Error =>
  failureFromAnswer({ source: sourceByName(name), endpoint: ENDPOINT }, answer(status, body));

/** The sources that send `Metadata: true` (the README, "Hosts and how a source is chosen"). */
const SEND_METADATA: readonly ManagedIdentitySourceName[] = ["imds", "arc", "cloudshell"];

describe("401 and 403: each source's own explanation", () => {
  it.each(SOURCES.map((source) => source.name))("%s", (name) => {
    for (const status of [401, 403]) {
      const error = explain(name, status, { error: "unauthorized" });
      expect(error).toBeInstanceOf(AuthenticationError);
      if (SEND_METADATA.includes(name)) {
        expect(error.message).toContain("Check the Metadata header is not stripped");
      } else {
        // App Service, Service Fabric, Azure ML and workload identity never send Metadata.
        expect(error.message).not.toMatch(/Metadata/);
      }
    }
  });

  it.each(["appservice", "servicefabric"] as const)(
    "%s: names IDENTITY_HEADER, which changes when the app restarts or its identity changes",
    (name) => {
      const error = explain(name, 401, { error: "unauthorized" });
      expect(error.message).toMatch(/IDENTITY_HEADER/);
      expect(error.message).toMatch(/restarts or its identity changes/);
    },
  );

  it("on a real App Service endpoint answering 401: IDENTITY_HEADER, not Metadata", async () => {
    server = await startTokenServer(() => ({ status: 401, body: { message: "Unauthorized" } }));
    vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("IDENTITY_HEADER", "a-header-value-0123456789");
    const error = await new AppServiceCredential().getToken("https://vault.azure.net").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "AuthenticationError", statusCode: 401 });
    expect((error as Error).message).toMatch(/IDENTITY_HEADER/);
    expect((error as Error).message).not.toMatch(/Metadata/);
  });
});

describe("the source decides what its answers mean", () => {
  it("IMDS's 400 'Identity not found' and Docker Desktop's 403 'unreachable' carry the source's code", () => {
    const notFound = explain("imds", 400, { error: "invalid_request", error_description: "Identity not found" });
    expect(notFound).toBeInstanceOf(CredentialUnavailableError);
    expect(notFound).toMatchObject({ code: "no-identity" });
    const docker = explain("imds", 403, "A socket operation was attempted to an unreachable network.");
    expect(docker).toMatchObject({ name: "CredentialUnavailableError", code: "docker-desktop" });
    // The same answers from a source that gives them no such meaning are failures.
    expect(
      explain("appservice", 400, { error: "invalid_request", error_description: "Identity not found" }),
    ).toBeInstanceOf(AuthenticationError);
  });

  it("IMDS's advice names the host the request used, not a default address", () => {
    const custom = new URL("http://10.1.2.3:8080/metadata/identity/oauth2/token");
    const error = failureFromAnswer(
      { source: sourceByName("imds"), endpoint: custom },
      answer(404, { error: "not_found" }),
    );
    expect(error.message).toContain("10.1.2.3:8080");
    expect(error.message).not.toContain("169.254.169.254");
    expect(sourceByName("imds").advice(undefined)).toContain("169.254.169.254");
  });
});

describe("messages", () => {
  it("end in one period when the endpoint's text ends in one (issue 21 §4)", () => {
    const error = explain("imds", 400, { error: "invalid_request", error_description: "Identity not found." });
    expect(error.message).toContain("Identity not found. No usable managed identity here.");
    expect(error.message).not.toContain("..");
    const other = explain("appservice", 500, { message: "It failed." });
    expect(other.message).not.toContain("..");
  });
});

it("an ImdsCredential at a custom endpoint names that endpoint's host in its advice", async () => {
  server = await startTokenServer(() => ({
    status: 400,
    body: { error: "invalid_request", error_description: "Identity not found" },
  }));
  const error = await new ImdsCredential({ endpoint: server.origin })
    .getToken("https://vault.azure.net")
    .catch((e: unknown) => e);
  expect(error).toMatchObject({ name: "CredentialUnavailableError", code: "no-identity" });
  expect((error as Error).message).toContain(new URL(server.origin).host);
});
