import { describe, expect, it } from "vitest";
import { AuthenticationError } from "../../src/errors.js";
import { scopeToResource, singleScope } from "../../src/token/resource.js";

describe("scopeToResource", () => {
  it("drops a trailing /.default and nothing else", () => {
    expect(scopeToResource("https://vault.azure.net/.default")).toBe("https://vault.azure.net");
    expect(scopeToResource("https://vault.azure.net")).toBe("https://vault.azure.net");
    expect(scopeToResource("https://storage.azure.com/")).toBe("https://storage.azure.com/");
    expect(scopeToResource("api://1234/.default")).toBe("api://1234");
    expect(scopeToResource("https://x/.default/.default")).toBe("https://x/.default");
  });

  it.each([
    [""],
    ["/.default"],
    ["https://a https://b"],
    ["https://vault.azure.net\n"],
    ["https://vault\u0000.azure.net"],
  ])("rejects %j with an AuthenticationError", (scope) => {
    expect(() => scopeToResource(scope)).toThrow(AuthenticationError);
  });
});

describe("singleScope", () => {
  it("takes a string or an array of one", () => {
    expect(singleScope("https://vault.azure.net/.default")).toBe("https://vault.azure.net/.default");
    expect(singleScope(["https://vault.azure.net/.default"])).toBe("https://vault.azure.net/.default");
  });

  it("refuses none or several, saying one is needed", () => {
    expect(() => singleScope([])).toThrow(/exactly one scope.*got 0/);
    expect(() => singleScope(["https://a/.default", "https://b/.default"])).toThrow(/exactly one scope.*got 2/);
  });
});
