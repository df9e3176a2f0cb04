import type { PipelinePolicy } from "@azure/core-rest-pipeline";

/** One try as a per-retry policy saw it. */
export interface RecordedTry {
  /** `Date.now()` when the try started (the fake clock under fake timers). */
  at: number;
  /** The answer's status, or `undefined` when the try threw. */
  status?: number;
  /** The error's code or name when the try threw. */
  error?: string;
}

/** A per-retry policy that records every try, and whether one is in flight. */
export interface TryRecorder {
  policy: PipelinePolicy;
  tries: RecordedTry[];
  /** True while a try is under way (real I/O the fake clock must wait for). */
  busy(): boolean;
  /** The waits between consecutive tries, in ms. */
  gaps(): number[];
}

/** Builds a {@link TryRecorder}; add its policy with `position: "perRetry"`. */
export function tryRecorder(): TryRecorder {
  const tries: RecordedTry[] = [];
  let inFlight = 0;
  return {
    tries,
    busy: () => inFlight > 0,
    gaps: () => tries.slice(1).map((t, i) => t.at - tries[i]!.at),
    policy: {
      name: "tryRecorder",
      async sendRequest(request, next) {
        const recorded: RecordedTry = { at: Date.now() };
        tries.push(recorded);
        inFlight++;
        try {
          const response = await next(request);
          recorded.status = response.status;
          return response;
        } catch (error) {
          const e = error as { code?: string; name?: string };
          recorded.error = e.code ?? e.name;
          throw error;
        } finally {
          inFlight--;
        }
      },
    },
  };
}
