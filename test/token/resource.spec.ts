import { describe, expect, it } from "vitest";
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
    ["", /empty/],
    [" \t", /blank/],
    ["/.default", /names no resource/],
    ["https://a https://b", /several scopes/],
    ["https://vault.azure.net\n", /whitespace/],
    ["https://vault\u0000.azure.net", /control character/],
  ])("rejects %j with a TypeError that says why", (scope, why) => {
    expect(() => scopeToResource(scope)).toThrow(TypeError);
    expect(() => scopeToResource(scope)).toThrow(why);
  });
});

describe("singleScope", () => {
  it("takes a string or an array of one", () => {
    expect(singleScope("https://vault.azure.net/.default")).toBe("https://vault.azure.net/.default");
    expect(singleScope(["https://vault.azure.net/.default"])).toBe("https://vault.azure.net/.default");
  });

  it("refuses none or several, or what is not a string, with a TypeError saying one is needed", () => {
    expect(() => singleScope([])).toThrow(TypeError);
    expect(() => singleScope([])).toThrow(/exactly one scope.*got 0/);
    expect(() => singleScope(42)).toThrow(/one scope as a string.*got number/);
    expect(() => singleScope(undefined)).toThrow(/got undefined/);
    expect(() => singleScope([{}])).toThrow(/got an array holding object/);
    expect(() => singleScope(["https://a/.default", "https://b/.default"])).toThrow(/exactly one scope.*got 2/);
  });
});
