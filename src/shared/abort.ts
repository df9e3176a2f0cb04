import type { PipelineRequest } from "@azure/core-rest-pipeline";

/**
 * An abort signal as core-rest-pipeline and `GetTokenOptions` type it.
 * @internal
 */
export type AbortSignalLike = NonNullable<PipelineRequest["abortSignal"]>;

/**
 * An error named `AbortError`, the name the Azure SDK uses for a cancelled operation.
 * @internal
 */
export function createAbortError(message = "The operation was aborted."): Error {
  const error = new Error(message);
  error.name = "AbortError";
  return error;
}
