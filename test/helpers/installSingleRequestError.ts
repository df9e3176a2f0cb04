// nock 14 sends loopback requests on through @mswjs/interceptors' MockHttpSocket.passthrough(), which shares the
// real socket's handle. When a request is aborted while its connect is pending (a probe's short timeout on a
// loaded machine), the mock socket closes that handle, the request emits its one error (the abort), and then the
// real socket, never marked destroyed, reports the cancelled connect (`connect ECANCELED`) through the mock socket
// to the request a second time. Node never does that: a request emits one error. core-rest-pipeline's node client
// listens with `once("error")`, so the second one was an uncaught exception in the test process only (the package
// in plain Node emits none: test/pipeline/abortDuringConnect.spec.ts). Upstream: mswjs/interceptors issue 753
// ("MockHttpSocket.passthrough() can cause rare EINVAL, ECANCELED errors") and mswjs/msw issue 2617 (two error
// events per destroyed ClientRequest, with the Azure SDK's node client); the fixed versions need Node 22.
//
// So in the test process a ClientRequest's error AFTER its first, with nobody listening, is dropped, restoring
// Node's one-error contract. A first error with no listener still throws, as in Node.
// nock sets its own `emit` on each request, which ends in EventEmitter's: the check sits there, for requests only.
// nock replaces `http.ClientRequest` while requests stay instances of Node's: this module is loaded before nock
// (test/setup.ts) to keep Node's class.
import { EventEmitter } from "node:events";
import http from "node:http";

const { ClientRequest } = http;
const errored = new WeakSet<object>();
const emit = EventEmitter.prototype.emit;

EventEmitter.prototype.emit = function (this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
  if (event === "error" && this instanceof ClientRequest) {
    if (errored.has(this) && this.listenerCount("error") === 0) return false;
    errored.add(this);
  }
  return emit.call(this, event, ...args);
};
