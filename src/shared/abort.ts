/**
 * An error named `AbortError`, the name the Azure SDK uses for a cancelled operation.
 * @internal
 */
export function createAbortError(message = "The operation was aborted."): Error {
  const error = new Error(message);
  error.name = "AbortError";
  return error;
}
