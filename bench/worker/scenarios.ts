import { performance } from "node:perf_hooks";
import { collectGarbage, installAbortControllerCounter, installShiftableClock, settle } from "./instruments.js";
import { chainCredential, type Credential, explicitCredential, loadLibrary, nthScope, SCOPE } from "./libraries.js";
import type { WorkerSpec } from "./spec.js";

type Spec<S extends WorkerSpec["scenario"]> = Extract<WorkerSpec, { scenario: S }>;

const MiB = 1024 * 1024;

/**
 * CPU milliseconds (user + system) of a `process.cpuUsage()` reading. On a shared machine the CPU a process
 * spends moves far less than its wall time, which counts every wait for a core another process holds.
 */
function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/**
 * Nanoseconds per awaited `getToken` on a cached token: the median of ten rounds of about
 * `loopMs / 10` each, so that a round the scheduler interrupted does not skew the figure.
 */
async function hitCost(credential: Credential, scope: string, loopMs: number): Promise<number> {
  // Warm up the path (JIT) before timing it, for at most a third of the loop time.
  const warmEnd = performance.now() + loopMs / 3;
  for (let i = 0; i < 5000 && performance.now() < warmEnd; i++) await credential.getToken(scope);
  const rounds: number[] = [];
  for (let round = 0; round < 10; round++) {
    let calls = 0;
    const start = performance.now();
    const end = start + loopMs / 10;
    let now = start;
    // Time in batches so that reading the clock does not dominate a sub-microsecond call.
    do {
      for (let i = 0; i < 50; i++) await credential.getToken(scope);
      calls += 50;
      now = performance.now();
    } while (now < end);
    rounds.push(((now - start) * 1e6) / calls);
  }
  return rounds.sort((a, b) => a - b)[5]!;
}

/** Fetches `count` new resources, `concurrency` at a time. */
async function fetchMany(credential: Credential, from: number, count: number, concurrency: number): Promise<void> {
  let next = from;
  const last = from + count;
  const lane = async (): Promise<void> => {
    while (next < last) await credential.getToken(nthScope(next++));
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/** The scenarios a worker process can run, by name; each returns the figures it measured. */
export const scenarios: { [S in WorkerSpec["scenario"]]: (spec: Spec<S>) => Promise<Record<string, unknown>> } = {
  /** A fresh process importing the package: import time and resident memory afterwards. */
  async import(spec) {
    const rssBefore = process.memoryUsage().rss;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await loadLibrary(spec.entry);
    const importMs = performance.now() - start;
    return {
      importMs,
      importCpuMs: cpuMs(process.cpuUsage(cpuBefore)),
      rssMiB: process.memoryUsage().rss / MiB,
      rssGrowthMiB: (process.memoryUsage().rss - rssBefore) / MiB,
    };
  },

  /** A fresh process importing @azure/core-rest-pipeline alone, timed as `import` times a package. */
  async importCore(spec) {
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await import(spec.core);
    return { importMs: performance.now() - start, importCpuMs: cpuMs(process.cpuUsage(cpuBefore)) };
  },

  /** The same, in a process that already loaded @azure/core-rest-pipeline, as any Azure SDK client application has. */
  async importAfterCore(spec) {
    await import(spec.core);
    const rssBefore = process.memoryUsage().rss;
    const start = performance.now();
    await loadLibrary(spec.entry);
    const importMs = performance.now() - start;
    return { importMs, rssGrowthMiB: (process.memoryUsage().rss - rssBefore) / MiB };
  },

  /**
   * Bytes allocated per cache hit: heap growth over many calls, with a young generation large
   * enough (the harness passes --max-semi-space-size) that no collection runs in between.
   */
  async allocation(spec) {
    const module = await loadLibrary(spec.entry);
    const credential = explicitCredential(spec.library, module, spec.source, spec.tokenFolder);
    await credential.getToken(SCOPE);
    for (let i = 0; i < 2000; i++) await credential.getToken(SCOPE);
    const measure = async (awaited: boolean): Promise<number> => {
      const figures: number[] = [];
      for (let round = 0; round < 5; round++) {
        await collectGarbage();
        const before = process.memoryUsage().heapUsed;
        if (awaited) for (let i = 0; i < spec.calls; i++) await credential.getToken(SCOPE);
        else for (let i = 0; i < spec.calls; i++) void credential.getToken(SCOPE);
        figures.push((process.memoryUsage().heapUsed - before) / spec.calls);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return figures.sort((a, b) => a - b)[2]!;
    };
    // In the call itself (ours: the returned promise), then all the way to the token, the caller's await included.
    return { bytesInCall: await measure(false), bytesAwaited: await measure(true) };
  },

  /** Process start to first token: `performance.now()` counts from the process's start. */
  async coldToken(spec) {
    const bootMs = performance.now();
    const module = await loadLibrary(spec.entry);
    const importedAtMs = performance.now();
    const credential = explicitCredential(spec.library, module, spec.source, spec.tokenFolder);
    await credential.getToken(SCOPE);
    return { firstTokenMs: performance.now(), firstTokenCpuMs: cpuMs(process.cpuUsage()), importedAtMs, bootMs };
  },

  /** Cache hits with one token cached, warm fetches of new resources, cache hits with many tokens cached. */
  async steady(spec) {
    const module = await loadLibrary(spec.entry);
    const credential = explicitCredential(spec.library, module, spec.source, spec.tokenFolder);
    await credential.getToken(SCOPE);
    const hit1Ns = await hitCost(credential, SCOPE, spec.hitLoopMs);

    const start = performance.now();
    for (let i = 0; i < spec.warmFetches; i++) await credential.getToken(nthScope(i));
    const warmFetchMs = (performance.now() - start) / spec.warmFetches;

    // SCOPE plus the warm fetches are cached; fill up to cachedTokens.
    await fetchMany(credential, spec.warmFetches, spec.cachedTokens - 1 - spec.warmFetches, 16);
    const hitManyNs = await hitCost(credential, SCOPE, spec.hitLoopMs);
    return { hit1Ns, warmFetchMs, hitManyNs };
  },

  /**
   * One process of a start storm: import the package, get one IMDS token, and say when (epoch ms, the same
   * clock as the harness's) or how it failed. A failure is a figure here, not a crash of the worker.
   */
  async stormToken(spec) {
    const module = await loadLibrary(spec.entry);
    const credential = explicitCredential(spec.library, module, "imds");
    try {
      await credential.getToken(SCOPE);
      return { tokenAt: performance.timeOrigin + performance.now(), result: "token" };
    } catch (error) {
      return {
        failedAt: performance.timeOrigin + performance.now(),
        result: (error as Error)?.name ?? "error",
        message: String((error as Error)?.message ?? error).slice(0, 200),
      };
    }
  },

  /** Many first calls at once on a fresh credential; the harness counts the upstream requests. */
  async concurrent(spec) {
    const module = await loadLibrary(spec.entry);
    const credential = explicitCredential(spec.library, module, spec.source, spec.tokenFolder);
    const start = performance.now();
    const results = await Promise.allSettled(Array.from({ length: spec.calls }, () => credential.getToken(SCOPE)));
    const totalMs = performance.now() - start;
    const tokens = new Set(results.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value.token] : [])));
    const rejected = results.filter((r) => r.status === "rejected").length;
    return { totalMs, rejected, distinctTokens: tokens.size };
  },

  /** Time to an error when nothing listens, or when the endpoint accepts and never answers. */
  async offAzure(spec) {
    const module = await loadLibrary(spec.entry);
    const chain = spec.case.endsWith("-chain");
    const credential = chain ? chainCredential(spec.library, module) : explicitCredential(spec.library, module, "imds");
    if (credential === undefined) return { missing: true };
    const outcome = await settle(() => {
      if (spec.case === "silent-timeout")
        return credential.getToken(SCOPE, { requestOptions: { timeout: spec.callerTimeoutMs } });
      if (spec.case === "silent-abort")
        return credential.getToken(SCOPE, { abortSignal: AbortSignal.timeout(spec.callerTimeoutMs) });
      return credential.getToken(SCOPE);
    }, spec.capMs);
    return { ...outcome };
  },

  /**
   * Resident growth over many cache hits (the garbage they make included), the heap they leave
   * behind after a collection, and the heap and AbortControllers kept per fetched token.
   */
  async memory(spec) {
    const controllers = installAbortControllerCounter();
    const module = await loadLibrary(spec.entry);
    const credential = explicitCredential(spec.library, module, spec.source, spec.tokenFolder);
    await credential.getToken(SCOPE);
    // Warm up first: the first calls leave compiled code and feedback behind, which is not growth.
    for (let i = 0; i < spec.hits; i++) await credential.getToken(SCOPE);
    await collectGarbage();
    const before = process.memoryUsage();
    for (let i = 0; i < spec.hits; i++) await credential.getToken(SCOPE);
    const rssAfterHits = process.memoryUsage().rss;
    await collectGarbage();
    const after = process.memoryUsage();

    const controllersBefore = await controllers.alive();
    const heapBeforeFetches = process.memoryUsage().heapUsed;
    const createdBefore = controllers.created();
    for (let i = 0; i < spec.fetches; i++) await credential.getToken(nthScope(i));
    const controllersAfter = await controllers.alive();
    const heapAfterFetches = process.memoryUsage().heapUsed;
    return {
      rssGrowthKiB: (rssAfterHits - before.rss) / 1024,
      heapRetainedKiB: (after.heapUsed - before.heapUsed) / 1024,
      heapPerFetchBytes: (heapAfterFetches - heapBeforeFetches) / spec.fetches,
      controllersPerFetch: (controllers.created() - createdBefore) / spec.fetches,
      controllersRetainedPerFetch: (controllersAfter - controllersBefore) / spec.fetches,
    };
  },

  /**
   * A 24 h token made due for refresh (the clock jumps past its refresh time) while the endpoint
   * fails or hangs: does the caller wait, and does it get the refresh's error?
   */
  async refresh(spec) {
    const clock = installShiftableClock();
    const module = await loadLibrary(spec.entry);
    const credential = explicitCredential(spec.library, module, spec.source, spec.tokenFolder);
    const first = await credential.getToken(SCOPE);
    clock.jump(spec.jumpMs);
    const due = await settle(() => credential.getToken(SCOPE), spec.capMs);
    // Give a background refresh time to fail, then ask again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    let sameToken = false;
    const again = await settle(async () => {
      sameToken = (await credential.getToken(SCOPE))?.token === first?.token;
    }, spec.capMs);
    return { due, again, againSameToken: sameToken };
  },
};
