// Fault injection, request by request: the status sequence, throttling (with and without a window),
// hang and reset, Retry-After on the statuses that take it, and the command line's sequence syntax.
import { describe, expect, it } from "vitest";
import { FaultInjector, parseFaultSequence } from "../../src/emulator/faults.js";

const decisions = (injector: FaultInjector, n: number) => Array.from({ length: n }, () => injector.next());

describe("FaultInjector", () => {
  it("passes every request when there are no faults", () => {
    expect(decisions(new FaultInjector(), 3)).toEqual([{ kind: "pass" }, { kind: "pass" }, { kind: "pass" }]);
  });

  it("plays the status sequence once, one step per request; 2xx lets the request through", () => {
    const injector = new FaultInjector({ statusSequence: [410, 410, 200, 500] });
    expect(decisions(injector, 5)).toEqual([
      { kind: "status", status: 410 },
      { kind: "status", status: 410 },
      { kind: "pass" },
      { kind: "status", status: 500 },
      { kind: "pass" },
    ]);
  });

  it("hangs or resets at the steps that say so", () => {
    expect(decisions(new FaultInjector({ statusSequence: ["hang", "reset", 200] }), 3)).toEqual([
      { kind: "hang" },
      { kind: "reset" },
      { kind: "pass" },
    ]);
    expect(decisions(new FaultInjector({ hang: true, statusSequence: [500] }), 2)).toEqual([
      { kind: "hang" },
      { kind: "hang" },
    ]);
  });

  it("throttles after N requests, before the sequence", () => {
    const injector = new FaultInjector({ throttleAfter: 2, statusSequence: [503] });
    expect(decisions(injector, 4)).toEqual([
      { kind: "status", status: 503 },
      { kind: "pass" },
      { kind: "status", status: 429 },
      { kind: "status", status: 429 },
    ]);
  });

  it("starts the throttling count again every window", () => {
    let now = 0;
    const injector = new FaultInjector({ throttleAfter: 1, throttleWindowMs: 1000 }, () => now);
    injector.configure({ throttleAfter: 1, throttleWindowMs: 1000 });
    expect(decisions(injector, 2)).toEqual([{ kind: "pass" }, { kind: "status", status: 429 }]);
    now = 999;
    expect(injector.next()).toEqual({ kind: "status", status: 429 });
    now = 1000;
    expect(decisions(injector, 2)).toEqual([{ kind: "pass" }, { kind: "status", status: 429 }]);
  });

  it("sends Retry-After on 410, 429 and 5xx only", () => {
    const injector = new FaultInjector({ retryAfter: 3 });
    expect([410, 429, 500, 503].map((s) => injector.retryAfterFor(s))).toEqual(["3", "3", "3", "3"]);
    expect([400, 401, 404].map((s) => injector.retryAfterFor(s))).toEqual([undefined, undefined, undefined]);
    expect(new FaultInjector({ retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" }).retryAfterFor(429)).toBe(
      "Wed, 21 Oct 2015 07:28:00 GMT",
    );
    expect(new FaultInjector().retryAfterFor(429)).toBeUndefined();
  });

  it("starts the sequence again when reconfigured", () => {
    const injector = new FaultInjector({ statusSequence: [500] });
    expect(injector.next()).toEqual({ kind: "status", status: 500 });
    injector.configure({ statusSequence: [404] });
    expect(decisions(injector, 2)).toEqual([{ kind: "status", status: 404 }, { kind: "pass" }]);
  });

  it("reports the latency, never negative", () => {
    expect(new FaultInjector({ latencyMs: 250 }).latencyMs).toBe(250);
    expect(new FaultInjector({ latencyMs: -5 }).latencyMs).toBe(0);
    expect(new FaultInjector().latencyMs).toBe(0);
  });
});

describe("parseFaultSequence", () => {
  it("reads statuses, hang and reset", () => {
    expect(parseFaultSequence("410, 410,200")).toEqual([410, 410, 200]);
    expect(parseFaultSequence("hang,reset,500")).toEqual(["hang", "reset", 500]);
    expect(parseFaultSequence("")).toEqual([]);
  });

  it("names the step it cannot read", () => {
    expect(() => parseFaultSequence("410,4l0")).toThrow("'4l0' is not an HTTP status (100-599), 'hang' or 'reset'.");
    expect(() => parseFaultSequence("600")).toThrow(TypeError);
  });
});
