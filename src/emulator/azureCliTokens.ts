import { spawn } from "node:child_process";
import { TokenRefusal } from "./tokenIssuer.js";

/** Options of the emulator's Azure CLI mode. */
export interface EmulatedAzureCliOptions {
  /** The Azure CLI executable, found on `PATH` like a shell would. Default: `az`. */
  command?: string;
  /** How long one `az account get-access-token` may run before it is killed and its callers told. Default: 20 s. */
  timeoutMs?: number;
  /**
   * Told what a failure of `az` means and what to do (`az login`, `az account set`), once per failed run.
   * Never given a token. Default: written to stderr.
   */
  onFailure?: (message: string) => void;
}

/** A token `az account get-access-token` printed, with the expiry it reported. @internal */
export interface AzureCliToken {
  accessToken: string;
  /** Seconds since the epoch. */
  expiresOn: number;
}

/**
 * `az` failed, or its answer is not a token: what the emulated endpoint answers and what the emulator's log says.
 * A failure that asking again will not mend (not installed, not signed in, not a token) is a 403, which no
 * managed identity client retries, so every SDK surfaces `description` at once; so is a run that timed out (a
 * retried 504 would start `az` again for every retry of every client).
 * @internal
 */
export class AzureCliTokenError extends TokenRefusal {
  override readonly name = "AzureCliTokenError";
}

/** A cached token is given out while it has more than this left; then `az` is asked again. */
const REFRESH_MARGIN_SECONDS = 5 * 60;
/** `az` prints a few hundred bytes; more is not a token answer. */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/** A resource becomes one argument of `az`; one that starts with `-` would be read as an option by its parser. */
const OPTION_LIKE = /^\s*-/;
/** Tenant ids are GUIDs or domain names; anything else never reaches `az`. */
const TENANT_FORM = /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/;

/**
 * The Azure CLI's `expires_on` (seconds, since CLI 2.54.0) or else its older `expiresOn` (a local date-time):
 * the same order `@azure/identity`'s `AzureCliCredential.parseRawResponse` reads them in.
 */
function expiryOf(answer: Record<string, unknown>): number | undefined {
  const seconds = Number.parseInt(String(answer["expires_on"] ?? ""), 10);
  if (Number.isFinite(seconds) && seconds > 0) return seconds;
  if (typeof answer["expiresOn"] === "string") {
    const ms = new Date(answer["expiresOn"]).getTime();
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  return undefined;
}

/** What to do about a failed `az`, from what it printed on stderr (the same marks `@azure/identity` looks for). */
function adviceFor(stderr: string, command: string): string {
  if (/az login|az account set|AADSTS700082|AADSTS50173|refresh token/i.test(stderr))
    return "Run 'az login' (and 'az account set --subscription <id>' to pick the subscription), then ask again.";
  return `Run '${command} account get-access-token --resource <resource>' yourself to see why.`;
}

/** The first line of what `az` said, without control characters and bounded: it goes into an HTTP answer. */
function firstLine(text: string): string {
  const line =
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? "";
  // Its own closing period goes: the message adds its own.
  return line
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .slice(0, 500)
    .replace(/[.\s]+$/, "");
}

/** How one run of a command ended. */
interface RunResult {
  spawnError?: NodeJS.ErrnoException;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a command without a shell (every argument one argv entry, never parsed: shell metacharacters stay text), in
 * a process group of its own, its output bounded; at `timeoutMs`, or when its output is too large, the whole group
 * is killed: `az` is a wrapper (bash, then python), and a hung run must not leave its children behind.
 */
function runBounded(command: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const group = process.platform !== "win32";
    const child = spawn(command, args, { detached: group, windowsHide: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let spawnError: NodeJS.ErrnoException | undefined;
    const killAll = (): void => {
      try {
        if (group && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const collect = (into: "stdout" | "stderr") => (chunk: string) => {
      if (into === "stdout") stdout += chunk;
      else stderr += chunk;
      if (stdout.length + stderr.length > MAX_OUTPUT_BYTES) killAll();
    };
    child.stdout.setEncoding("utf8").on("data", collect("stdout"));
    child.stderr.setEncoding("utf8").on("data", collect("stderr"));
    const bound = setTimeout(() => {
      timedOut = true;
      killAll();
    }, timeoutMs);
    child.once("error", (error: NodeJS.ErrnoException) => (spawnError = error));
    child.once("close", (exitCode) => {
      clearTimeout(bound);
      resolve({ spawnError, exitCode, stdout, stderr, timedOut });
    });
  });
}

/**
 * Tokens from the developer's Azure CLI login, for the emulator's `tokensFrom: "azure-cli"` mode: one
 * `az account get-access-token --resource R --output json` per resource (and tenant), run without a shell with
 * the resource as one argument, bounded in time, shared by every request that arrives while it runs, and cached
 * until five minutes before the token expires.
 * @internal
 */
export class AzureCliTokens {
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly onFailure: (message: string) => void;
  private readonly cache = new Map<string, AzureCliToken>();
  private readonly inFlight = new Map<string, Promise<AzureCliToken>>();
  /** How many times `az` was started, for tests and the log. */
  runs = 0;

  constructor(
    options: EmulatedAzureCliOptions = {},
    private readonly now: () => number = () => Date.now(),
  ) {
    this.command = options.command ?? "az";
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.onFailure =
      options.onFailure ?? ((message) => process.stderr.write(`azure-managed-identity emulator: ${message}\n`));
  }

  /** A token for the resource (in the tenant, when a request names one), from the cache or from `az`. */
  get(resource: string, tenantId?: string): Promise<AzureCliToken> {
    if (OPTION_LIKE.test(resource))
      return Promise.reject(new AzureCliTokenError(400, `The resource '${resource}' is not a resource.`));
    if (tenantId !== undefined && !TENANT_FORM.test(tenantId))
      return Promise.reject(new AzureCliTokenError(400, `The tenant '${tenantId}' is not a tenant id or domain.`));
    const key = `${tenantId ?? ""}\n${resource}`;
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.expiresOn - this.now() / 1000 > REFRESH_MARGIN_SECONDS)
      return Promise.resolve(cached);
    let flight = this.inFlight.get(key);
    if (flight === undefined) {
      flight = this.run(resource, tenantId).then(
        (token) => {
          this.inFlight.delete(key);
          this.cache.set(key, token);
          return token;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, flight);
    }
    return flight;
  }

  private run(resource: string, tenantId: string | undefined): Promise<AzureCliToken> {
    const args = ["account", "get-access-token", "--resource", resource, "--output", "json"];
    if (tenantId !== undefined) args.push("--tenant", tenantId);
    const asked = `for ${resource}${tenantId ? ` in tenant ${tenantId}` : ""}`;
    this.runs++;
    return new Promise<AzureCliToken>((resolve, reject) => {
      const fail = (status: number, description: string): void => {
        this.onFailure(description);
        reject(new AzureCliTokenError(status, description));
      };
      void runBounded(this.command, args, this.timeoutMs).then(({ spawnError, exitCode, stdout, stderr, timedOut }) => {
        if (timedOut)
          return fail(
            403,
            `'${this.command} account get-access-token' ${asked} did not finish within ${this.timeoutMs} ms and was stopped. Check that 'az' works in a terminal (it may be waiting for a login prompt), then ask again`,
          );
        if (spawnError?.code === "ENOENT")
          return fail(
            403,
            `Azure CLI ('${this.command}') was not found on PATH: install it (https://aka.ms/azure-cli) and run 'az login'; the emulator serves tokens from it.`,
          );
        if (spawnError !== undefined || exitCode !== 0)
          return fail(
            403,
            `'${this.command} account get-access-token' ${asked} failed: ${firstLine(stderr) || (spawnError?.message ?? `exit code ${String(exitCode)}`)}. ${adviceFor(stderr, this.command)}`,
          );
        let answer: unknown;
        try {
          answer = JSON.parse(stdout);
        } catch {
          return fail(403, `'${this.command} account get-access-token' ${asked} printed something that is not JSON.`);
        }
        const record = (answer ?? {}) as Record<string, unknown>;
        const accessToken = record["accessToken"];
        const expiresOn = expiryOf(record);
        if (typeof accessToken !== "string" || accessToken.length === 0 || /[\s\u0000-\u001f]/.test(accessToken))
          return fail(403, `'${this.command} account get-access-token' ${asked} printed no usable accessToken.`);
        if (expiresOn === undefined)
          return fail(
            403,
            `'${this.command} account get-access-token' ${asked} printed no expiry (expires_on or expiresOn).`,
          );
        resolve({ accessToken, expiresOn });
      });
    });
  }
}
