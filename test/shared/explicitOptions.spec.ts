// The one list of option keys per options type: `optionKeys<T>()` compiles only when the list names every key
// of T and nothing else (`npm run typecheck` checks the @ts-expect-error lines below: should the check stop
// catching a forgotten or a stray key, they become errors themselves).
import { describe, expect, it } from "vitest";
import { explicitOptions, optionKeys, withoutKeys } from "../../src/explicitOptions.js";

interface Options {
  clientId?: string;
  endpoint?: string;
  retries?: number;
}

describe("optionKeys: the list and the options type agree, at compile time", () => {
  it("accepts exactly the keys of the type, and withoutKeys for an Omit", () => {
    const all = optionKeys<Options>()(["clientId", "endpoint", "retries"]);
    expect(all).toEqual(["clientId", "endpoint", "retries"]);
    const omitted = optionKeys<Omit<Options, "endpoint">>()(withoutKeys(all, "endpoint"));
    expect(omitted).toEqual(["clientId", "retries"]);
  });

  it("refuses a list that forgets a key or names one the type lacks", () => {
    // @ts-expect-error `retries` is forgotten: a new option must be added to its list.
    const forgotten = optionKeys<Options>()(["clientId", "endpoint"]);
    // @ts-expect-error `tenantId` is not an option of the type.
    const stray = optionKeys<Options>()(["clientId", "endpoint", "retries", "tenantId"]);
    expect([forgotten.length, stray.length]).toEqual([2, 4]);
  });
});

describe("explicitOptions", () => {
  const keys = optionKeys<Options>()(["clientId", "endpoint", "retries"]);

  it("returns the options, or {} for undefined", () => {
    const options: Options = { clientId: "c" };
    expect(explicitOptions("X", options, keys)).toBe(options);
    expect(explicitOptions("X", undefined, keys)).toEqual({});
  });

  it("ignores symbol keys (only own string keys are options)", () => {
    const options = Object.assign({} as Options, { clientId: "c", [Symbol("s")]: 1 });
    expect(explicitOptions("X", options, keys)).toBe(options);
  });

  it("refuses an object with a prototype: an inherited misspelling would pass unseen", () => {
    const options = Object.assign(Object.create({ inherited: 1 }) as Options, { clientId: "c" });
    expect(() => explicitOptions("X", options, keys)).toThrow(/X takes a plain options object/);
  });

  it("names the first unknown key and its right name", () => {
    expect(() => explicitOptions("X", { client_Id: "c" } as Options, keys)).toThrow(
      'X has no option "client_Id": did you mean "clientId"? X takes: clientId, endpoint, retries. Nothing was sent.',
    );
  });

  it.each([
    [() => undefined, "a function"],
    ["c", "a string"],
  ])("refuses %s", (value, kind) => {
    expect(() => explicitOptions("X", value as never, keys)).toThrow(`X takes an options object, not ${kind}`);
  });
});
