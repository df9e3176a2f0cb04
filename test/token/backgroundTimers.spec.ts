// A background refresh never holds a finished process: its back-offs and per-try timers are unref'd. Before,
// a script that got its stale-but-valid token and finished its work stayed alive for minutes while a failing
// refresh retried (503 with Retry-After). A caller waiting in the foreground still holds the process until
// its answer comes. Each case is a child node process; the server counts the tries, nothing is timed.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type CliRun, cliEnv, closedPort, finished, REPO } from "../helpers/runCli.js";
import { startTokenServer, tokenAnswer, type TokenServer } from "../helpers/tokenServer.js";

const CHILD = path.join(REPO, "test", "token", "fixtures", "backgroundRefreshChild.ts");
const GUARD = pathToFileURL(path.join(REPO, "test", "helpers", "installLoopbackSocketGuard.ts")).href;
const BUSY = { status: 503, headers: { "Retry-After": "3" }, body: { error: "busy" } };

let server: TokenServer | undefined;
let child: ChildProcess | undefined;
let poll: ReturnType<typeof setInterval> | undefined;
afterEach(async () => {
  clearInterval(poll);
  child?.kill("SIGKILL");
  child = undefined;
  await server?.close();
  server = undefined;
});

/** Resolves once the server has seen `count` requests. */
function requestsSeen(count: number): Promise<"another try"> {
  const { requests } = server!;
  return new Promise((resolve) => {
    poll = setInterval(() => {
      if (requests.length >= count) {
        clearInterval(poll);
        resolve("another try");
      }
    }, 10);
  });
}

async function runChild(mode: "stale" | "fresh" | "hung"): Promise<CliRun> {
  child = spawn(process.execPath, ["--import", "tsx", "--import", GUARD, CHILD, server!.origin, mode], {
    cwd: REPO,
    env: cliEnv(await closedPort()),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return finished(child);
}

describe("background refresh and the process's life", () => {
  it("a script done with its stale-but-valid token exits while its background refresh waits out a Retry-After", async () => {
    let n = 0;
    server = await startTokenServer(() => (++n === 1 ? tokenAnswer("token-1", 7200) : BUSY));
    const exited = runChild("stale");
    // Without unref'd timers the child outlives the 3 s Retry-After and its refresh tries again.
    const first = await Promise.race([exited, requestsSeen(3)]);
    expect(first).not.toBe("another try");
    const run = first as CliRun;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ token: "token-1", cached: true });
    // The token, and one try of the background refresh: the 503 whose Retry-After it did not wait out.
    expect(server.requests).toHaveLength(2);
  });

  it("a caller waiting in the foreground still holds the process through the Retry-After, and gets its token", async () => {
    let n = 0;
    server = await startTokenServer(() =>
      ++n === 1 ? { ...BUSY, headers: { "Retry-After": "1" } } : tokenAnswer("token-2"),
    );
    const run = await runChild("fresh");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ token: "token-2" });
    expect(server.requests).toHaveLength(2);
  });

  // Issue 20 §5: an endpoint that accepts the background refresh and never answers. Before, the refresh's socket
  // held the finished script for the whole try timeout (10 s): the child's unref'd probe then fired and reached
  // the server. Now the socket is unref'd while nobody waits for the request, and the script exits at once.
  it("a script done with its token exits while its background refresh's socket waits on an endpoint that never answers", async () => {
    let n = 0;
    let stillAlive: (seen: "still alive") => void = () => undefined;
    const aliveSeen = new Promise<"still alive">((resolve) => (stillAlive = resolve));
    server = await startTokenServer((request) => {
      if (request.url.pathname.endsWith("/still-alive")) {
        stillAlive("still alive");
        return { status: 204 };
      }
      // The token, then the background refresh: accepted, never answered.
      return ++n === 1 ? tokenAnswer("token-1", 7200) : undefined;
    });
    const exited = runChild("hung");
    const first = await Promise.race([exited, aliveSeen]);
    expect(first).not.toBe("still alive");
    const run = first as CliRun;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ token: "token-1", cached: true });
    // The token, and the background refresh the endpoint accepted and never answered.
    expect(server!.requests.filter((r) => !r.url.pathname.endsWith("/still-alive"))).toHaveLength(2);
  });
});
