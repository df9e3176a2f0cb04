import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineRequest,
  type PipelineResponse,
  RestError,
  type SendRequest,
} from "@azure/core-rest-pipeline";

/** One scripted answer: a status, a full answer, or an error to throw. */
export type ScriptStep = number | { status: number; headers?: Record<string, string>; body?: string } | Error;

/** A `next` function for driving one policy alone, and what it was called with. */
export interface ScriptedNext {
  next: SendRequest;
  /** `Date.now()` at each call (the fake clock under fake timers). */
  calls: number[];
}

/**
 * A `SendRequest` stub that answers from `steps` in order, repeating the last one when the
 * script runs out: a legitimate way to unit-test a policy without sockets.
 */
export function scriptedNext(steps: ScriptStep[]): ScriptedNext {
  const calls: number[] = [];
  const next: SendRequest = async (request) => {
    const step = steps[Math.min(calls.length, steps.length - 1)]!;
    calls.push(Date.now());
    if (step instanceof Error) throw step;
    const answer = typeof step === "number" ? { status: step } : step;
    const response: PipelineResponse = {
      request,
      status: answer.status,
      headers: createHttpHeaders(answer.headers),
      bodyAsText: answer.body ?? "",
    };
    return response;
  };
  return { next, calls };
}

/** A network failure as the HTTP client reports it. */
export function networkError(code: string, message = `connection failed (${code})`): RestError {
  return new RestError(message, { code });
}

/** A GET request to a loopback URL, with an optional abort signal. */
export function loopbackRequest(abortSignal?: AbortSignal): PipelineRequest {
  return createPipelineRequest({ url: "http://127.0.0.1:9/token", abortSignal, allowInsecureConnection: true });
}
