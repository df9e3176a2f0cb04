// Property-based tests of scope → resource: any scope argument gives one resource or a TypeError
// (the caller's mistake), and getToken turns a bad one into a rejection without sending anything.
import { createHttpHeaders, type HttpClient } from "@azure/core-rest-pipeline";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ImdsCredential } from "../../src/index.js";
import { scopeToResource, singleScope } from "../../src/token/resource.js";

const SUFFIX = "/.default";

/** Scopes as applications write them, with the characters a hostile or careless one may add. */
const scopeText = fc.oneof(
  fc.string(),
  fc.webUrl().map((url) => `${url}${SUFFIX}`),
  fc.webUrl(),
  fc.constantFrom(
    "/.default",
    "//.default",
    "https://vault.azure.net/.default/.default",
    "api://x/.default",
    "https://a b/.default",
    "\u0000",
    "x\r\nHost: evil",
  ),
  fc
    .array(
      fc.constantFrom(
        "https://",
        "vault",
        "/",
        ".default",
        "&",
        "#",
        "=",
        "%",
        "?",
        " ",
        "\t",
        "\r",
        "\n",
        "\u007f",
        "é",
      ),
      { maxLength: 12 },
    )
    .map((p) => p.join("")),
);

describe("scopeToResource and singleScope under fuzzing", () => {
  it("any scope string: a non-empty resource without whitespace or control characters, or TypeError", () => {
    fc.assert(
      fc.property(scopeText, (scope) => {
        let resource: string;
        try {
          resource = scopeToResource(scope);
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          return;
        }
        expect(resource.length).toBeGreaterThan(0);
        expect(resource).not.toMatch(/[\s\u0000-\u001f\u007f]/);
        // Only a trailing /.default is dropped, and only once.
        expect([resource, `${resource}${SUFFIX}`]).toContain(scope);
        expect(scope.endsWith(SUFFIX) ? `${resource}${SUFFIX}` : resource).toBe(scope);
      }),
      { numRuns: 3_000 },
    );
  });

  it("any argument at all: one scope string or TypeError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.array(scopeText, { maxLength: 3 }), scopeText), (scopes) => {
        try {
          expect(typeof singleScope(scopes as string | string[])).toBe("string");
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("getToken with any scope argument rejects with TypeError (never throws synchronously), sending nothing for a bad one", async () => {
    const sent: string[] = [];
    // Never touches the network: records the resource asked for and answers with a token.
    const httpClient: HttpClient = {
      async sendRequest(request) {
        sent.push(new URL(request.url).searchParams.get("resource") ?? "");
        const body = JSON.stringify({ access_token: "fuzz-token", expires_in: 3600 });
        return { request, status: 200, headers: createHttpHeaders(), bodyAsText: body };
      },
    };
    const credential = new ImdsCredential({ endpoint: "http://127.0.0.1:9", httpClient });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.array(scopeText, { maxLength: 3 }), scopeText), async (scopes) => {
        const before = sent.length;
        let call: Promise<unknown>;
        expect(() => (call = credential.getToken(scopes as string))).not.toThrow();
        let valid = true;
        let resource: string | undefined;
        try {
          resource = scopeToResource(singleScope(scopes as string | string[]));
        } catch {
          valid = false;
        }
        if (valid) {
          await expect(call!).resolves.toMatchObject({ token: "fuzz-token" });
          // A cached resource sends nothing; a new one sends exactly the resource.
          expect(sent.slice(before).every((r) => r === resource)).toBe(true);
        } else {
          await expect(call!).rejects.toBeInstanceOf(TypeError);
          expect(sent.length).toBe(before);
        }
      }),
      { numRuns: 500 },
    );
  });
});
