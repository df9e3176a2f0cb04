import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "../../src/shared/loopbackHost.js";

describe("isLoopbackHost: where the Arc secret may go", () => {
  it.each(["127.0.0.1", "127.1.2.3", "127.255.255.254", "localhost", "LOCALHOST", "::1", "[::1]"])(
    "%s is loopback",
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
    },
  );

  it.each([
    "169.254.169.254",
    "10.0.0.1",
    "192.0.2.1",
    "0.0.0.0",
    "128.0.0.1",
    "localhost.example.com",
    "127.0.0.1.example.com",
    "example.com",
    "::",
    "[::2]",
    "",
  ])("%j is not loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it("judges the host a URL resolves to, however it is spelled", () => {
    // The policy passes `new URL(...).hostname`, which WHATWG URL has already normalised.
    for (const url of [
      "http://0x7f000001:40342/",
      "http://2130706433/",
      "http://127.1/",
      "http://[0:0:0:0:0:0:0:1]/",
    ]) {
      expect(isLoopbackHost(new URL(url).hostname)).toBe(true);
    }
    for (const url of ["http://0xa9fea9fe/", "http://169.254.43518/", "http://localhost.evil.test/"]) {
      expect(isLoopbackHost(new URL(url).hostname)).toBe(false);
    }
  });
});
