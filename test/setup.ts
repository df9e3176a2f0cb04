// The network rule: no test may send a packet beyond loopback, above all to 169.254.169.254.
// nock refuses every other connection at once (ENETUNREACH), so such a test fails fast, never hangs.
// Before nock, which replaces http.ClientRequest: nock's passthrough can report an aborted request's cancelled
// connect a second time; Node never does.
import "./helpers/installSingleRequestError.js";
import nock from "nock";
import { afterAll, beforeAll } from "vitest";
// Raw sockets too (tls.connect, net.connect) and the times nock's interceptor is removed.
import "./helpers/installLoopbackSocketGuard.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)(:\d+)?$/;

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect((host) => LOOPBACK.test(host));
});

afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});
