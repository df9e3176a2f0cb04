// Property-based tests of the environment readers: any value of the variables a credential reads
// gives a TypeError at construction (a malformed URL) or a working credential, never anything else.
import { createHttpHeaders, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readEnv } from "../../src/environment.js";
import {
  ArcCredential,
  AuthenticationError,
  CloudShellCredential,
  CredentialUnavailableError,
  ImdsCredential,
} from "../../src/index.js";

/** Values an environment variable may hold: blank, padded, URL-like, garbage. */
const envValue = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[ \t\r\n]{0,6}$/),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.webUrl().map((url) => `  ${url}\n`),
  fc.constantFrom(
    "http://127.0.0.1:40342/metadata/identity/oauth2/token",
    "127.0.0.1:40342",
    "ftp://127.0.0.1/x",
    "file:///etc/passwd",
    "http://",
    "http://[::1]:1/x",
    "http://127.0.0.1:99999/x",
    "javascript:alert(1)",
    "http://user:pass@127.0.0.1:1/x",
  ),
);

/** Records every request and answers it from the machine itself: nothing here reaches a network. */
function recordingClient(): { httpClient: HttpClient; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    httpClient: {
      async sendRequest(request: PipelineRequest) {
        urls.push(request.url);
        return {
          request,
          status: 200,
          headers: createHttpHeaders(),
          bodyAsText: JSON.stringify({ access_token: "env-token", expires_in: 3600 }),
        };
      },
    },
  };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("readEnv under fuzzing", () => {
  it("a blank value counts as unset; any other value comes back trimmed", () => {
    fc.assert(
      fc.property(fc.option(envValue, { nil: undefined }), (value) => {
        const result = readEnv("X", value === undefined ? {} : { X: value });
        if (value === undefined || value.trim() === "") expect(result).toBeUndefined();
        else expect(result).toBe(value.trim());
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("credentials under any value of their environment variables", () => {
  const cases = [
    {
      variable: "IDENTITY_ENDPOINT",
      make: (httpClient: HttpClient) => new ArcCredential({ httpClient }),
      fallback: "http://127.0.0.1:40342/",
    },
    {
      variable: "MSI_ENDPOINT",
      make: (httpClient: HttpClient) => new CloudShellCredential({ httpClient }),
      fallback: "http://localhost:50342/",
    },
    {
      variable: "AZURE_POD_IDENTITY_AUTHORITY_HOST",
      make: (httpClient: HttpClient) => new ImdsCredential({ httpClient }),
      fallback: "http://169.254.169.254/",
    },
  ];

  for (const { variable, make, fallback } of cases) {
    // A value that is not an http(s) URL is the host's configuration (issue 21): "misconfigured" from getToken,
    // naming the variable, nothing sent; before, a TypeError at construction.
    it(`${variable}: "misconfigured" naming it, nothing sent, or requests to exactly that origin (blank: the default)`, async () => {
      await fc.assert(
        fc.asyncProperty(envValue, async (value) => {
          vi.stubEnv(variable, value);
          const { httpClient, urls } = recordingClient();
          const credential = make(httpClient);
          try {
            await credential.getToken("https://vault.azure.net/.default");
          } catch (error) {
            // The stub answers every request with a token; an error can only be one of the package's.
            expect([AuthenticationError, CredentialUnavailableError].some((type) => error instanceof type)).toBe(true);
            if ((error as AuthenticationError).code === "misconfigured") {
              expect((error as Error).message).toContain(variable);
              expect(urls).toEqual([]);
              vi.unstubAllEnvs();
              return;
            }
          }
          const expectedOrigin = value.trim() === "" ? new URL(fallback).origin : new URL(value.trim()).origin;
          for (const url of urls) expect(new URL(url).origin).toBe(expectedOrigin);
          vi.unstubAllEnvs();
        }),
        { numRuns: 300 },
      );
    });
  }
});
