import { spawnSync } from "node:child_process";
import os from "node:os";

/** Set in the re-executed harness, so that it never tries to enter a namespace again. */
export const NAMESPACE_MARKER = "AZURE_MI_BENCH_NAMESPACE";
/** Set by the namespace's shell when it mounted a private tmpfs over /var/opt for the Arc challenge files. */
export const ARC_FOLDER_MARKER = "AZURE_MI_BENCH_ARC_FOLDER";
/** The folder `@azure/identity` (msal-node) reads Arc challenge files from on Linux; it cannot be moved. */
export const AGENT_TOKEN_FOLDER = "/var/opt/azcmagent/tokens";

/** Whether this process sees no network interface but loopback, i.e. runs in a loopback-only namespace. */
export function isLoopbackOnly(): boolean {
  const interfaces = os.networkInterfaces();
  return Object.values(interfaces).every((addresses) => (addresses ?? []).every((a) => a.internal));
}

// Inside the namespace: bring loopback up; in a private mount namespace, put a tmpfs over /var/opt
// (it shadows the host's /var/opt for this process tree only, and disappears with it) and create the
// Arc agent's token folder there; then run the harness again.
const NAMESPACE_SCRIPT = [
  "ip link set lo up || exit 97",
  `if [ "$AZURE_MI_BENCH_MOUNT" = 1 ] && mount -t tmpfs -o size=16m,mode=0755 azure-mi-bench /var/opt 2>/dev/null && mkdir -p ${AGENT_TOKEN_FOLDER}; then export ${ARC_FOLDER_MARKER}=${AGENT_TOKEN_FOLDER}; fi`,
  'exec "$@"',
].join("\n");

/** The `unshare` invocations tried, best first: loopback-only network plus a private mount namespace, as root or in a user namespace, then network only. */
const VARIANTS: { args: string[]; mount: boolean }[] = [
  { args: ["-n", "-m"], mount: true },
  { args: ["-r", "-n", "-m"], mount: true },
  { args: ["-n"], mount: false },
  { args: ["-r", "-n"], mount: false },
];

/**
 * Runs this harness again inside a loopback-only network namespace (`unshare -n`), so that neither
 * library can reach anything but this machine's loopback whatever it is told.
 * @returns the re-executed harness's exit code, or `undefined` when no namespace can be created here.
 */
export function reexecInLoopbackNamespace(): number | undefined {
  for (const variant of VARIANTS) {
    const check = spawnSync("unshare", [...variant.args, "sh", "-c", "ip link set lo up"], { stdio: "ignore" });
    if (check.status !== 0) continue;
    const result = spawnSync(
      "unshare",
      [
        ...variant.args,
        "sh",
        "-c",
        NAMESPACE_SCRIPT,
        "sh",
        process.execPath,
        ...process.execArgv,
        ...process.argv.slice(1),
      ],
      {
        stdio: "inherit",
        env: { ...process.env, [NAMESPACE_MARKER]: "1", AZURE_MI_BENCH_MOUNT: variant.mount ? "1" : "0" },
      },
    );
    return result.status ?? 1;
  }
  return undefined;
}

/**
 * Throws unless every URL in these variables points at loopback: the last line of defence when no
 * namespace is available.
 */
export function assertLoopbackEnvironment(env: Record<string, string>): void {
  for (const [name, value] of Object.entries(env)) {
    if (!/^https?:\/\//i.test(value)) continue;
    const host = new URL(value).hostname.replace(/^\[|\]$/g, "");
    if (!(host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host))) {
      throw new Error(`refusing to run: ${name} points at ${host}, not at loopback`);
    }
  }
}
