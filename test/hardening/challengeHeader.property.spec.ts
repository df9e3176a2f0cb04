// Property-based tests of the Arc challenge header parser: it finds the Basic realm however the
// header is spelled, never throws, and runs in linear time on hostile headers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseBasicRealm } from "../../src/sources/arc/basicRealm.js";
import { LINEAR_GROWTH_BOUND, tenfoldGrowth } from "../helpers/linearTime.js";

/** Paths as agents write them, on Linux and Windows, some with spaces, commas or quotes that need quoting. */
const plainPath = fc.oneof(
  fc.stringMatching(/^\/[A-Za-z0-9._/-]{1,300}\.key$/),
  fc.stringMatching(/^[A-Z]:\\[A-Za-z0-9._\\-]{1,300}\.key$/),
);
const awkwardPath = fc.stringMatching(/^\/[A-Za-z0-9 ,;=._/"\\-]{1,300}\.key$/);

/** Linear whitespace as HTTP allows it around tokens: none, spaces, tabs. */
const ows = fc.stringMatching(/^[ \t]{0,4}$/);
const rws = fc.stringMatching(/^[ \t]{1,4}$/);
const caseOf = (word: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));

/** Other challenges a server may send beside the Basic one. */
const otherChallenge = fc.oneof(
  fc.constantFrom(
    'Bearer authorization_uri="https://login.microsoftonline.com/t", resource="https://vault.azure.net"',
    "Negotiate",
    'Digest realm="/var/opt/azcmagent/tokens/digest.key", qop="auth", nonce="abc"',
    'Bearer realm="/var/opt/azcmagent/tokens/bearer.key"',
    "NTLM",
  ),
);

const quote = (value: string): string => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

describe("parseBasicRealm under fuzzing", () => {
  it("finds a quoted or unquoted realm, with any spacing and case, among other challenges", () => {
    fc.assert(
      fc.property(
        plainPath,
        fc.boolean(),
        caseOf("Basic"),
        caseOf("realm"),
        rws,
        ows,
        ows,
        fc.array(otherChallenge, { maxLength: 3 }),
        fc.array(otherChallenge, { maxLength: 3 }),
        (realm, quoted, basic, realmWord, gap, beforeEq, afterEq, before, after) => {
          const challenge = `${basic}${gap}${realmWord}${beforeEq}=${afterEq}${quoted ? quote(realm) : realm}`;
          const header = [...before, challenge, ...after].join(", ");
          expect(parseBasicRealm(header)).toBe(realm);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("gives back a quoted realm with spaces, commas, quotes and backslashes exactly", () => {
    fc.assert(
      fc.property(awkwardPath, fc.array(otherChallenge, { maxLength: 2 }), (realm, others) => {
        expect(parseBasicRealm([...others, `Basic realm=${quote(realm)}`].join(", "))).toBe(realm);
      }),
      { numRuns: 1_000 },
    );
  });

  it("finds no realm in a header without a Basic challenge", () => {
    fc.assert(
      fc.property(fc.array(otherChallenge, { minLength: 1, maxLength: 4 }), (others) => {
        expect(parseBasicRealm(others.join(", "))).toBeUndefined();
      }),
    );
  });

  it("any header text: undefined or a string, never an exception", () => {
    const noisy = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc
        .array(fc.constantFrom("Basic", "realm", "=", '"', "\\", ",", " ", "\t", "x.key", "/"), { maxLength: 60 })
        .map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(noisy, (header) => {
        const realm = parseBasicRealm(header);
        // An empty realm ('Basic realm=""') comes back as "": the file checks refuse it like any other.
        if (realm !== undefined) expect(typeof realm).toBe("string");
      }),
      { numRuns: 500 },
    );
  });

  it("parses hostile headers in linear time: ten times longer takes about ten times longer, not a hundred", () => {
    const hostile: ((n: number) => string)[] = [
      (n) => "Basic realm=" + "a".repeat(n),
      (n) => 'Basic realm="' + "a".repeat(n), // never closed
      (n) => 'Basic realm="' + "\\".repeat(n), // escapes that never end
      (n) => 'Basic realm="' + '\\"'.repeat(n / 2), // escaped quotes only
      (n) => "Basic realm=" + " ".repeat(n),
      (n) => "Basic" + " ".repeat(n) + "realm",
      (n) => "Basic realm" + " ".repeat(n) + "x",
      (n) => ",".repeat(n),
      (n) => ", ".repeat(n / 2),
      (n) => ",Basic".repeat(n / 6),
      (n) => ", Basic realm=".repeat(n / 14),
      (n) => ', Basic realm="'.repeat(n / 15),
      (n) => ",Basic realm=\\".repeat(n / 14),
      (n) => "Bearer x=" + '"a,'.repeat(n / 3),
      (n) => " ".repeat(n) + "Basic realm=",
      (n) => " ".repeat(n) + "x", // quadratic for the same regex without its (^|,) anchor
      (n) => "\t".repeat(n) + "Basic",
      (n) => "\t,".repeat(n / 2) + "Basic",
    ];
    for (const make of hostile) {
      const growth = tenfoldGrowth(make, (header) => {
        parseBasicRealm(header);
        parseBasicRealm(header + ", Basic realm=/t/a.key");
      });
      expect(growth, JSON.stringify(make(30))).toBeLessThan(LINEAR_GROWTH_BOUND);
    }
  });
});
