/** The two libraries compared. */
export type Library = "ours" | "theirs";

/** The managed identity sources both libraries support. */
export type Source = "imds" | "arc" | "cloudshell";

/** The off-Azure cases: nothing listening (refused) or an endpoint that accepts and never answers (silent). */
export type OffAzureCase = "refused-explicit" | "refused-chain" | "silent-chain" | "silent-timeout" | "silent-abort";

/** What one worker process is asked to measure. Serialised as JSON on the command line. */
export type WorkerSpec =
  | { scenario: "import"; library: Library; entry: string }
  /** `import('@azure/core-rest-pipeline')` alone: the floor of any package built on it. */
  | { scenario: "importCore"; core: string }
  | {
      scenario: "importAfterCore";
      library: Library;
      entry: string;
      /** The entry point of @azure/core-rest-pipeline, imported first. */
      core: string;
    }
  | { scenario: "allocation"; library: Library; entry: string; source: Source; tokenFolder?: string; calls: number }
  | { scenario: "coldToken"; library: Library; entry: string; source: Source; tokenFolder?: string }
  | {
      scenario: "steady";
      library: Library;
      entry: string;
      source: Source;
      tokenFolder?: string;
      /** New resources fetched one after another for the warm-fetch figure. */
      warmFetches: number;
      /** Tokens cached for the second cache-hit figure. */
      cachedTokens: number;
      /** How long each cache-hit loop runs. */
      hitLoopMs: number;
    }
  | { scenario: "concurrent"; library: Library; entry: string; source: Source; tokenFolder?: string; calls: number }
  | {
      scenario: "offAzure";
      library: Library;
      entry: string;
      case: OffAzureCase;
      /** The caller's timeout or abort delay in the silent-timeout / silent-abort cases. */
      callerTimeoutMs: number;
      /** The worker gives up waiting after this long and reports "did not settle". */
      capMs: number;
    }
  | {
      scenario: "memory";
      library: Library;
      entry: string;
      source: Source;
      tokenFolder?: string;
      hits: number;
      fetches: number;
    }
  /** One process of a start storm: import, one IMDS token, report when it came (or the error). */
  | { scenario: "stormToken"; library: Library; entry: string }
  | {
      scenario: "refresh";
      library: Library;
      entry: string;
      source: Source;
      tokenFolder?: string;
      /** How far the clock jumps after the first token: past its refresh time, before its expiry. */
      jumpMs: number;
      capMs: number;
    };

/** How a call ended. */
export interface Outcome {
  settled: boolean;
  /** `token`, or the error's name. */
  result: string;
  ms: number;
  message?: string;
}

/** The line prefix a worker writes its JSON result after. */
export const RESULT_PREFIX = "BENCH-RESULT ";

/** The stderr line prefix of the CPU milliseconds a process had used at its first line on stdout. */
export const CPU_PREFIX = "BENCH-CPU ";
