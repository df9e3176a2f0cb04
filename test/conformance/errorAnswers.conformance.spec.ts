// Every shape of error answer the peers' suites feed their parsers, sent by a loopback App Service
// endpoint: the endpoint's own words, and its support ids, must reach the error.
// Draws on:
// - AzureAD/microsoft-authentication-library-for-dotnet, tests/Microsoft.Identity.Test.Unit/ManagedIdentityTests/
//   ManagedIdentityTests.cs, ManagedIdentityTestErrorResponseParsing (its eleven DataRows, in order);
// - AzureAD/microsoft-authentication-library-for-js, lib/msal-node/test/test_kit/StringConstants.ts
//   (MANAGED_IDENTITY_NETWORK_REQUEST_500_ERROR);
// - AzureAD/microsoft-authentication-library-for-python, tests/test_mi.py (test_machine_learning_error_should_be_normalized).
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppServiceCredential, AuthenticationError, AzureMLCredential } from "../../src/index.js";
import { startTokenServer, type TokenServer } from "../helpers/tokenServer.js";
import { rejection } from "./helpers.js";

const ONE_TRY = { retryDelayInMs: 0, maxRetries: 0 };

let server: TokenServer | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  server = undefined;
});

/** The error an App Service endpoint answering `status` with `body` makes. */
async function errorFor(body: string, status = 500): Promise<AuthenticationError> {
  server = await startTokenServer(() => ({ status, body }));
  vi.stubEnv("IDENTITY_ENDPOINT", `${server.origin}/msi/token`);
  vi.stubEnv("IDENTITY_HEADER", "h");
  const error = await rejection(
    new AppServiceCredential({ retryOptions: ONE_TRY }).getToken("https://vault.azure.net"),
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe("error bodies (MSAL.NET ManagedIdentityTestErrorResponseParsing)", () => {
  it.each([
    ['{"statusCode":500,"message":"Error message","correlationId":"GUID"}', ["Error message", "correlation ID GUID"]],
    ['{"message":"Error message","correlationId":"GUID"}', ["Error message", "correlation ID GUID"]],
    ['{"error":"errorCode","error_description":"Error message"}', ["errorCode: Error message"]],
    ['{"error_description":"Error message"}', ["Error message"]],
    ['{"message":"Error message"}', ["Error message"]],
    ['{"error":{"code":"errorCode"}}', ["errorCode"]],
    ['{"error":{"message":"Error message"}}', ["Error message"]],
    ['{"error":{"code":"errorCode","message":"Error message"}}', ["errorCode: Error message"]],
    [
      '{"error":{"code":"errorCode","message":"Error message","innererror":{"trace":"trace"}}}',
      ["errorCode: Error message"],
    ],
    // MSAL.NET says "unexpected error response"; we show the body itself (bounded, on one line), which says more.
    ['{"notExpectedJson":"someValue"}', ['\'{"notExpectedJson":"someValue"}\'']],
    ["notExpectedJson", ["'notExpectedJson'"]],
  ])("%s: the message has %j, the source and the status", async (body, expected) => {
    const error = await errorFor(body);
    for (const part of expected) expect(error.message).toContain(part);
    expect(error.message).toContain("App Service");
    expect(error.statusCode).toBe(500);
  });

  it("puts App Service's correlationId on errorResponse too, with the words", async () => {
    const error = await errorFor('{"statusCode":500,"message":"Error message","correlationId":"GUID"}');
    expect(error.errorResponse).toEqual({ error: "", errorDescription: "Error message", correlationId: "GUID" });
  });

  it("keeps the correlation_id of msal-node's generic 500 body { message, correlation_id } (StringConstants MANAGED_IDENTITY_NETWORK_REQUEST_500_ERROR)", async () => {
    const error = await errorFor(
      '{"message":"There was an error retrieving the access token from the managed identity.","correlation_id":"fake_correlation_id"}',
    );
    expect(error.message).toContain(
      "There was an error retrieving the access token from the managed identity. (correlation ID fake_correlation_id)",
    );
  });

  it("keeps Azure ML's { error, message } (msal-python test_machine_learning_error_should_be_normalized)", async () => {
    server = await startTokenServer(() => ({ status: 500, body: { error: "placeholder", message: "placeholder" } }));
    vi.stubEnv("MSI_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("MSI_SECRET", "s");
    const error = await rejection(new AzureMLCredential({ retryOptions: ONE_TRY }).getToken("R"));
    expect(error.message).toContain("placeholder: placeholder");
  });

  it("keeps the correlation_id of Azure ML's 400 { message, correlation_id } (msal-node MachineLearning.spec.ts 'ensures that the error format is correct')", async () => {
    server = await startTokenServer(() => ({
      status: 400,
      body: {
        message: "There was an error retrieving the access token from the managed identity.",
        correlation_id: "fake_correlation_id",
      },
    }));
    vi.stubEnv("MSI_ENDPOINT", `${server.origin}/msi/token`);
    vi.stubEnv("MSI_SECRET", "s");
    const error = await rejection(new AzureMLCredential({ retryOptions: ONE_TRY }).getToken("R"));
    expect(error.message).toContain("There was an error retrieving the access token from the managed identity.");
    expect(error.message).toContain("correlation ID fake_correlation_id");
  });

  it("bounds a support id that is not an id: one line, at most a few hundred characters", async () => {
    const error = await errorFor(JSON.stringify({ message: "m", correlationId: `a\nb${"c".repeat(5000)}` }));
    expect(error.message).not.toContain("\n");
    expect(error.errorResponse!.correlationId!.length).toBeLessThan(400);
  });
});
