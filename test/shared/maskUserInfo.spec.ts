import { describe, expect, it } from "vitest";
import { maskUserInfo } from "../../src/shared/maskUserInfo.js";
import { LINEAR_GROWTH_BOUND, tenfoldGrowth } from "../helpers/linearTime.js";

describe("maskUserInfo", () => {
  it.each([
    ["http://admin:s3cret@[bad", "http://****@[bad"],
    ["alice:s3cret@proxy.corp:3128", "****@proxy.corp:3128"],
    ["HTTPS_PROXY=alice:s3cret@proxy:3128", "HTTPS_PROXY=****@proxy:3128"],
    ["the proxy at http://bob@proxy:8080/ fails", "the proxy at http://****@proxy:8080/ fails"],
    ["IDENTITY_ENDPOINT is not a URL: 'http://a:b/c@[x'.", "IDENTITY_ENDPOINT is not a URL: 'http://****@[x'."],
    ["(alice:pw@p:1)", "(****@p:1)"],
  ])("masks the user info in %j", (text, masked) => {
    expect(maskUserInfo(text)).toBe(masked);
  });

  it.each(["http://127.0.0.1:40342/metadata/identity/oauth2/token", "user@contoso.com", "no URL here"])(
    "leaves %j alone",
    (text) => {
      expect(maskUserInfo(text)).toBe(text);
    },
  );

  // Issue 20 §6: the two regular expressions it used backtracked into quadratic time (0.8 s on 64 kB).
  it.each([
    ["dots before an @", (n: number) => `${"a.".repeat(n / 2)}@`],
    ["schemes that are none", (n: number) => `${"1://".repeat(n / 4)}@`],
    ["assignments without a password", (n: number) => `${"=a:".repeat(n / 3)}@`],
  ])("takes linear time on %s", (_, make) => {
    expect(tenfoldGrowth(make, maskUserInfo)).toBeLessThan(LINEAR_GROWTH_BOUND);
  });
});
