import nock from "nock";

/**
 * Runs `fn` with nock's HTTP interceptor removed, then puts it back (with test/setup.ts's
 * loopback-only rule, which nock keeps across restore/activate).
 *
 * Only for a request that is aborted after its answer has begun: nock 14's mock socket then emits
 * the abort error a second time with no listener left, an unhandled rejection that plain Node
 * does not produce (mswjs/msw#2617). Every endpoint used inside must be a 127.0.0.1 server.
 */
export async function withoutNockInterceptor<T>(fn: () => Promise<T>): Promise<T> {
  nock.restore();
  try {
    return await fn();
  } finally {
    nock.activate();
  }
}
