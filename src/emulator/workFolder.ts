import { promises as fs, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The emulator's folders in the temp directory: `azure-mi-emulator-<pid>-<random>`. */
const PREFIX = "azure-mi-emulator-";
const OWN_FOLDER = /^azure-mi-emulator-(\d+)-[A-Za-z0-9]+$/;
/** The signals after which the folders go too; the process then dies as it would have without us. */
const CLEANUP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The folders of every emulator running in this process, removed by the exit and signal hooks. */
const live = new Set<string>();

function removeLiveFolders(): void {
  for (const folder of live) rmSync(folder, { recursive: true, force: true });
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener (the `emulate` command's, an application's) decides what the signal means; alone, we must
  // not keep alive a process that would have died: the signal is sent again, to the default handler.
  const othersListen = process.listenerCount(signal) > 1;
  removeLiveFolders();
  live.clear();
  uninstall();
  if (!othersListen) process.kill(process.pid, signal);
}

function install(): void {
  process.on("exit", removeLiveFolders);
  // First in line, so that the listeners after it are still there to be counted (one may remove itself).
  for (const signal of CLEANUP_SIGNALS) process.prependListener(signal, onSignal);
}

function uninstall(): void {
  process.off("exit", removeLiveFolders);
  for (const signal of CLEANUP_SIGNALS) process.off(signal, onSignal);
}

/** Whether a process of that id runs (EPERM: it does, under another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the folders that emulators of processes which died without closing (SIGKILL, a crash) left in the
 * temp directory: only this user's, only those whose process is gone.
 */
async function sweepStaleFolders(tmp: string): Promise<void> {
  const names = await fs.readdir(tmp).catch(() => [] as string[]);
  const uid = process.getuid?.();
  await Promise.all(
    names.map(async (name) => {
      const pid = Number(OWN_FOLDER.exec(name)?.[1]);
      if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) return;
      const folder = path.join(tmp, name);
      const stat = await fs.lstat(folder).catch(() => undefined);
      if (!stat?.isDirectory() || (uid !== undefined && stat.uid !== uid)) return;
      await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}

/** The one folder an emulator writes to (challenge files, the federated token file). @internal */
export interface WorkFolder {
  /** Its real path. */
  path: string;
  /** Removes it and all it holds. */
  remove(): Promise<void>;
}

/**
 * Makes the emulator's private folder (mode 0700) in the temp directory, first removing those of dead
 * processes. It is removed by `remove()`, and otherwise when the process exits or gets SIGINT, SIGTERM or SIGHUP.
 * @internal
 */
export async function createWorkFolder(tmp: string = os.tmpdir()): Promise<WorkFolder> {
  await sweepStaleFolders(tmp);
  // The real path: credentials compare resolved paths, and the temp directory may be a symlink (macOS).
  const folder = await fs.realpath(await fs.mkdtemp(path.join(tmp, `${PREFIX}${process.pid}-`)));
  if (live.size === 0) install();
  live.add(folder);
  return {
    path: folder,
    async remove() {
      if (live.delete(folder) && live.size === 0) uninstall();
      await fs.rm(folder, { recursive: true, force: true });
    },
  };
}
