// The network rule: no test may send a packet beyond loopback, above all to 169.254.169.254.
// nock refuses every other connection at once (ENETUNREACH), so such a test fails fast, never hangs.
// Before nock, which replaces http.ClientRequest: nock's passthrough can report an aborted request's cancelled
// connect a second time; Node never does.
import "./helpers/installSingleRequestError.js";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import nock from "nock";
import { afterAll, beforeAll, beforeEach } from "vitest";
// Raw sockets too (tls.connect, net.connect) and the times nock's interceptor is removed.
import "./helpers/installLoopbackSocketGuard.js";
import { clearHostQueueFiles } from "./helpers/hostQueueFiles.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)(:\d+)?$/;

// IMDS's retry policy queues the processes of a host that IMDS throttles in a file of the temporary folder
// (src/pipeline/imdsHostQueue.ts). Each test file gets its own temporary folder, and each test an empty
// queue: a test's 429s, on its fake clock, must not delay another test, here or in a parallel test process.
const privateTmp = mkdtempSync(path.join(os.tmpdir(), "azure-mi-test-"));
// Searchable by others (mkdtemp makes it 0700): the Arc permission specs run the credential as 'nobody' on
// folders made under it, and only their own mode bits may decide what that user can read.
chmodSync(privateTmp, 0o755);
process.env["TMPDIR"] = privateTmp;
beforeEach(clearHostQueueFiles);

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect((host) => LOOPBACK.test(host));
});

afterAll(() => {
  nock.cleanAll();
  nock.enableNetConnect();
  rmSync(privateTmp, { recursive: true, force: true });
});
