/** The secrets a request picked up on its way (the Azure Arc challenge file's content), by request. */
const picked = new WeakMap<object, Record<string, string>>();

/**
 * Records that `request` carries `secret` (named `name` in a scrubbed message), for a secret a policy adds on the
 * way (the Azure Arc challenge file's content): the failure is scrubbed of it like of the source's own secrets.
 * @internal
 */
export function addRequestSecret(request: object, name: string, secret: string): void {
  picked.set(request, { ...picked.get(request), [name]: secret });
}

/**
 * The secrets policies recorded for `request`, with `secrets` (the source's own); `undefined` when none.
 * @internal
 */
export function requestSecrets(
  request: object,
  secrets: Record<string, string> | undefined,
): Record<string, string> | undefined {
  const added = picked.get(request);
  return added === undefined ? secrets : { ...secrets, ...added };
}
