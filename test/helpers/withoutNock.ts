import nock from "nock";

/**
 * Runs `fn` with nock's HTTP interceptor removed, then puts it back (with test/setup.ts's
 * loopback-only rule, which nock keeps across restore/activate).
 *
 * Only where nock's mock socket itself misbehaves: a request aborted after its answer has begun
 * (the abort error is emitted a second time with no listener left, an unhandled rejection that
 * plain Node does not produce, mswjs/msw#2617), and the proxy agents of core's proxyPolicy
 * ("No socket was returned in the connect() function"). Every address used inside must be 127.0.0.1.
 */
export async function withoutNockInterceptor<T>(fn: () => Promise<T>): Promise<T> {
  nock.restore();
  try {
    return await fn();
  } finally {
    nock.activate();
  }
}
