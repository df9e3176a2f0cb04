// A span per getToken, seen through the real OpenTelemetry SDK and @azure/opentelemetry-instrumentation-azure-sdk,
// as an application traces its Azure calls. Like @azure/identity (sdk/identity/identity/src/util/tracing.ts:
// createTracingClient({ namespace: "Microsoft.AAD" }); credentials/managedIdentityCredential/index.ts:
// tracingClient.withSpan("ManagedIdentityCredential.getToken", options, …)), each span is named
// `<ClassName>.getToken` and carries az.namespace Microsoft.AAD.
import * as coreTracing from "@azure/core-tracing";
import { SecretClient } from "@azure/keyvault-secrets";
import { createAzureSdkInstrumentation } from "@azure/opentelemetry-instrumentation-azure-sdk";
import { context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { emulatedKeyVaultClientOptions, type Emulator, startEmulator } from "../../src/emulator/index.js";
import {
  AppServiceCredential,
  AuthenticationError,
  CredentialUnavailableError,
  ImdsCredential,
  ManagedIdentityChainCredential,
} from "../../src/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { passTimeUntil, useFakeClocks } from "../helpers/fakeClock.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const SCOPE = "https://vault.azure.net/.default";
const CLIENT_ID = "0f6e4a1c-3d2b-4c5a-9e8f-7a6b5c4d3e2f";
const MINUTE = 60_000;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer("test");

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  // What registerInstrumentations does when the application loads @azure/core-tracing: the instrumentation's own
  // patch, which installs its OpenTelemetry instrumenter (vitest loads modules past the require hook).
  const instrumentation = createAzureSdkInstrumentation({ enabled: false }) as unknown as {
    getModuleDefinitions(): Array<{ patch?: (exports: unknown, version?: string) => unknown }>;
  };
  const definitions = [instrumentation.getModuleDefinitions()].flat();
  for (const definition of definitions) definition.patch?.(coreTracing as never, "1.3.1");
});
afterEach(() => {
  exporter.reset();
  vi.useRealTimers();
  vi.unstubAllEnvs();
});
afterAll(async () => provider.shutdown());

/** The caller's span and the options that make it the parent. */
function callerSpan(): {
  span: Span;
  options: { tracingOptions: { tracingContext: ReturnType<typeof context.active> } };
} {
  const span = tracer.startSpan("caller");
  return { span, options: { tracingOptions: { tracingContext: trace.setSpan(context.active(), span) } } };
}

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

function only(name: string): ReadableSpan {
  const spans = spansNamed(name);
  expect(spans, `spans named ${name}`).toHaveLength(1);
  return spans[0]!;
}

function isChildOf(child: ReadableSpan, parent: { spanContext(): { spanId: string; traceId: string } }): boolean {
  return (
    child.parentSpanContext?.spanId === parent.spanContext().spanId &&
    child.spanContext().traceId === parent.spanContext().traceId
  );
}

/** Every string a span exports: attributes, status, events and their attributes. */
function exported(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    status: span.status,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
  });
}

const HTTP_SPAN = /^(HTTP )?(GET|POST)$/;
const httpSpans = (): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => HTTP_SPAN.test(span.name));

describe("getToken spans", () => {
  let server: TokenServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("opens ImdsCredential.getToken under the caller's span, with the HTTP span of its request as its child", async () => {
    server = await startTokenServer(() => tokenAnswer("secret-token-1"));
    const credential = new ImdsCredential({ endpoint: server.origin, clientId: CLIENT_ID });
    const caller = callerSpan();

    await credential.getToken(SCOPE, caller.options);
    caller.span.end();

    const span = only("ImdsCredential.getToken");
    expect(isChildOf(span, caller.span)).toBe(true);
    expect(span.attributes).toMatchObject({
      "az.namespace": "Microsoft.AAD",
      "az.managed_identity.source": "imds",
      "az.managed_identity.identity": "clientId",
      "az.managed_identity.cache_hit": false,
      "az.managed_identity.background_refresh": false,
    });
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(span.instrumentationScope.name).toBe("azure-managed-identity");
    const [http] = httpSpans();
    expect(http).toBeDefined();
    expect(isChildOf(http!, span)).toBe(true);
    expect(server.requests).toHaveLength(1);
    // The request carries the trace on: its traceparent names the HTTP span.
    expect(server.requests[0]!.headers["traceparent"]).toContain(http!.spanContext().spanId);
    for (const each of exporter.getFinishedSpans()) {
      expect(exported(each)).not.toContain("secret-token-1");
      expect(exported(each)).not.toContain(CLIENT_ID);
    }
  });

  it("gives a cache hit, which sends nothing, its span too, marked cache_hit", async () => {
    server = await startTokenServer(() => tokenAnswer("secret-token-1"));
    const credential = new ImdsCredential({ endpoint: server.origin });
    await credential.getToken(SCOPE);
    exporter.reset();
    const caller = callerSpan();

    await credential.getToken(SCOPE, caller.options);

    const span = only("ImdsCredential.getToken");
    expect(isChildOf(span, caller.span)).toBe(true);
    expect(span.attributes).toMatchObject({
      "az.managed_identity.identity": "system-assigned",
      "az.managed_identity.cache_hit": true,
      "az.managed_identity.background_refresh": false,
    });
    expect(httpSpans()).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("marks callers that joined a request under way as no cache hit, each with its own span", async () => {
    server = await startTokenServer(() => tokenAnswer());
    const credential = new ImdsCredential({ endpoint: server.origin });

    await Promise.all([credential.getToken(SCOPE), credential.getToken(SCOPE), credential.getToken(SCOPE)]);

    const spans = spansNamed("ImdsCredential.getToken");
    expect(spans.map((span) => span.attributes["az.managed_identity.cache_hit"])).toEqual([false, false, false]);
    expect(server.requests).toHaveLength(1);
    expect(httpSpans()).toHaveLength(1);
  });

  it("says when a call served a stale token and started the background refresh", async () => {
    const start = Math.ceil(Date.now() / 1000) * 1000;
    useFakeClocks(start);
    let issued = 0;
    server = await startTokenServer(() => tokenAnswer(`token-${++issued}`));
    const credential = new ImdsCredential({ endpoint: server.origin });
    await credential.getToken(SCOPE);
    exporter.reset();

    // tokenAnswer's tokens last an hour: stale (refresh due) from 55 min at the latest, served until 57 min.
    passTimeUntil(start + 56 * MINUTE);
    expect((await credential.getToken(SCOPE)).token).toBe("token-1");
    await vi.waitFor(() => expect(server!.requests).toHaveLength(2));
    await vi.waitFor(async () => expect((await credential.getToken(SCOPE)).token).toBe("token-2"));

    const [refreshing, ...later] = spansNamed("ImdsCredential.getToken");
    expect(refreshing!.attributes).toMatchObject({
      "az.managed_identity.cache_hit": true,
      "az.managed_identity.background_refresh": true,
    });
    expect(later.length).toBeGreaterThan(0);
    for (const span of later) expect(span.attributes["az.managed_identity.background_refresh"]).toBe(false);
  });

  it("sets the error status and error.type to the failure's code, never its message", async () => {
    server = await startTokenServer(() => ({
      status: 500,
      body: { error: "server_error", error_description: `no token for ${CLIENT_ID}` },
    }));
    const credential = new ImdsCredential({
      endpoint: server.origin,
      clientId: CLIENT_ID,
      retryOptions: { maxRetries: 0 },
    });
    const caller = callerSpan();

    const error = await credential.getToken(SCOPE, caller.options).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).message).toContain(CLIENT_ID);
    const span = only("ImdsCredential.getToken");
    expect(isChildOf(span, caller.span)).toBe(true);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes["error.type"]).toBe("http-status");
    expect(span.status.message).toBe("AuthenticationError: http-status");
    expect(exported(span)).not.toContain(CLIENT_ID);
  });

  it("gives a source that is not there its code: CredentialUnavailableError unreachable", async () => {
    const closed = await startTokenServer(() => tokenAnswer());
    const origin = closed.origin;
    await closed.close();
    const credential = new ImdsCredential({ endpoint: origin, retryOptions: { maxRetries: 0 } });

    const error = await credential.getToken(SCOPE).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CredentialUnavailableError);
    expect(only("ImdsCredential.getToken").attributes["error.type"]).toBe((error as CredentialUnavailableError).code);
  });

  it("names the span after the class (AppServiceCredential) and never puts the IDENTITY_HEADER secret in it", async () => {
    server = await startTokenServer(() => tokenAnswer());
    useOnlyEnv({ IDENTITY_ENDPOINT: `${server.origin}/msi/token`, IDENTITY_HEADER: "the-identity-header-secret" });
    const credential = new AppServiceCredential();

    await credential.getToken(SCOPE);

    const span = only("AppServiceCredential.getToken");
    expect(span.attributes["az.managed_identity.source"]).toBe("appservice");
    for (const each of exporter.getFinishedSpans()) expect(exported(each)).not.toContain("the-identity-header-secret");
  });

  it("opens one ManagedIdentityChainCredential.getToken span for the chain, saying which source it found", async () => {
    server = await startTokenServer(() => tokenAnswer());
    const chain = new ManagedIdentityChainCredential({
      env: { IDENTITY_ENDPOINT: `${server.origin}/msi/token`, IDENTITY_HEADER: "header" },
    });
    const caller = callerSpan();

    await chain.getToken(SCOPE, caller.options);
    await chain.getToken(SCOPE, caller.options);

    const spans = spansNamed("ManagedIdentityChainCredential.getToken");
    expect(spans).toHaveLength(2);
    expect(spansNamed("AppServiceCredential.getToken")).toEqual([]);
    for (const span of spans) {
      expect(isChildOf(span, caller.span)).toBe(true);
      expect(span.attributes).toMatchObject({
        "az.namespace": "Microsoft.AAD",
        "az.managed_identity.source": "appservice",
      });
    }
    expect(spans.map((span) => span.attributes["az.managed_identity.cache_hit"])).toEqual([false, true]);
    const [http] = httpSpans();
    expect(isChildOf(http!, spans[0]!)).toBe(true);
  });

  it("gives the chain's failure its code when this machine offers no managed identity", async () => {
    const chain = new ManagedIdentityChainCredential({ env: { AZURE_TOKEN_CREDENTIALS: "dev" } });

    const error = await chain.getToken(SCOPE).catch((e: unknown) => e);

    expect((error as CredentialUnavailableError).code).toBe("excluded");
    const span = only("ManagedIdentityChainCredential.getToken");
    expect(span.attributes["error.type"]).toBe("excluded");
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe("a Key Vault call traced end to end, on the emulator", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ sources: ["imds"] });
  });
  afterAll(async () => emulator.close());

  it("puts ImdsCredential.getToken under SecretClient.getSecret, and the token request under it", async () => {
    const credential = new ImdsCredential({ endpoint: emulator.endpoints.imds });
    const client = new SecretClient(emulator.keyVaultUrl, credential, emulatedKeyVaultClientOptions(emulator.ca));

    await client.getSecret("demo-secret");

    const getSecret = only("SecretClient.getSecret");
    const getToken = only("ImdsCredential.getToken");
    expect(isChildOf(getToken, getSecret)).toBe(true);
    const tokenRequest = httpSpans().filter((span) => isChildOf(span, getToken));
    expect(tokenRequest).toHaveLength(1);
    expect(String(tokenRequest[0]!.attributes["url.full"] ?? tokenRequest[0]!.attributes["http.url"])).toContain(
      `:${new URL(emulator.endpoints.imds!).port}/`,
    );
  });
});
