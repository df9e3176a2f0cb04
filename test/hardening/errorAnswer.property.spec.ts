// Property-based tests of the error-answer reader: whatever an endpoint says when it fails, the
// message gets a short, single-line excerpt of it, and reading it never throws or stalls.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_DESCRIPTION, readErrorAnswer } from "../../src/engine/errorAnswer.js";
import { LINEAR_GROWTH_BOUND, tenfoldGrowth } from "../helpers/linearTime.js";

/** The longest excerpt of an endpoint's words that a message may carry (300 characters and an ellipsis). */
const MAX_EXCERPT = 301;
/** An error description is kept whole up to 2000 characters (AADSTS texts run to about 500), then cut with an ellipsis. */
const MAX_DESCRIPTION_EXCERPT = MAX_DESCRIPTION + 1;

const errorBody = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 2_000 }),
  fc.json(),
  fc.record({ error: fc.anything(), error_description: fc.anything() }).map((o) => JSON.stringify(o)),
  fc.record({ error: fc.record({ code: fc.anything(), message: fc.anything() }) }).map((o) => JSON.stringify(o)),
  fc.record({ message: fc.anything(), Message: fc.anything() }).map((o) => JSON.stringify(o)),
  fc.string().map((title) => `<html><head><title>${title}</title></head><body>x</body></html>`),
  fc
    .string({ minLength: 400, maxLength: 5_000 })
    .map((description) => JSON.stringify({ error: "e", error_description: description })),
  fc.constant(undefined),
);

describe("readErrorAnswer under fuzzing", () => {
  it("any body: never throws; excerpts are single-line, at most 300 characters (a description 2000)", () => {
    fc.assert(
      fc.property(errorBody, (body) => {
        const { errorResponse, text } = readErrorAnswer(body);
        if (errorResponse !== undefined) {
          expect(typeof errorResponse.error).toBe("string");
          expect(typeof errorResponse.errorDescription).toBe("string");
          expect(errorResponse.error.length).toBeLessThanOrEqual(MAX_EXCERPT);
          expect(errorResponse.errorDescription.length).toBeLessThanOrEqual(MAX_DESCRIPTION_EXCERPT);
        }
        if (text !== undefined) {
          expect(typeof text).toBe("string");
          // Two excerpts, a separator, and the words around an HTML title or quoted text.
          expect(text.length).toBeLessThanOrEqual(MAX_EXCERPT + MAX_DESCRIPTION_EXCERPT + 40);
          // A line break in a message is how log lines get forged.
          expect(text).not.toMatch(/[\r\n\u2028\u2029]/);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("keeps the endpoint's own error and description when they are strings", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z_]{1,40}$/),
        fc.stringMatching(/^[A-Za-z0-9 .,]{1,200}$/),
        (error, description) => {
          const trimmed = description.replace(/\s+/g, " ").trim();
          expect(readErrorAnswer(JSON.stringify({ error, error_description: description })).errorResponse).toEqual({
            error,
            errorDescription: trimmed,
          });
        },
      ),
    );
  });

  it("reads hostile bodies in linear time: ten times longer takes about ten times longer, not a hundred", () => {
    const hostile: ((n: number) => string)[] = [
      (n) => "<title>".repeat(n / 7),
      (n) => "<title>" + "a".repeat(n),
      (n) => "<title>" + "<".repeat(n),
      (n) => " ".repeat(n) + "x",
      (n) => "\n".repeat(n),
      (n) => "[".repeat(n),
      (n) => '{"error":'.repeat(n / 9),
      (n) => JSON.stringify({ error: "e", error_description: " \t".repeat(n / 2) + "x" }),
      (n) => "<" + " ".repeat(n),
    ];
    for (const make of hostile) {
      const growth = tenfoldGrowth(make, (body) => readErrorAnswer(body));
      expect(growth, JSON.stringify(make(20))).toBeLessThan(LINEAR_GROWTH_BOUND);
    }
  });
});
