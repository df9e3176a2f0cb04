import { AzureLogger, type AzureLogLevel, getLogLevel, setLogLevel } from "@azure/logger";
import { format } from "node:util";

/** Every line every Azure SDK logger wrote while the capture ran. */
export interface AzureLogCapture {
  lines: string[];
  /** Puts the previous log level and log function back. */
  stop(): void;
}

/**
 * What `AZURE_LOG_LEVEL=verbose` (or the level given) does, for every namespace (this package's,
 * core-rest-pipeline's), with every line captured instead of written to stderr.
 */
export function captureAzureLogs(level: AzureLogLevel = "verbose"): AzureLogCapture {
  const lines: string[] = [];
  const previousLevel: AzureLogLevel | undefined = getLogLevel();
  const previousLog = AzureLogger.log;
  AzureLogger.log = (...args: unknown[]) => {
    lines.push(format(...args));
  };
  setLogLevel(level);
  return {
    lines,
    stop() {
      AzureLogger.log = previousLog;
      setLogLevel(previousLevel);
    },
  };
}
