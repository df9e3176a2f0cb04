import { promises as fs } from "node:fs";
import path from "node:path";
import { AuthenticationError, type AuthenticationErrorCode } from "../../errors.js";
import type { AbortSignalLike } from "../../shared/abort.js";
import { FileRefusedError, readBoundedFile } from "../../shared/boundedFile.js";
import { arcPermissionHint } from "./permissionHint.js";

/** The agent writes a key of a few dozen bytes; a larger file is not a challenge. */
export const MAX_CHALLENGE_FILE_BYTES = 4096;

/**
 * The folder where the Azure Connected Machine agent writes its challenge files.
 * @internal
 */
export function defaultArcTokenFolder(platform: NodeJS.Platform = process.platform, env = process.env): string {
  if (platform === "win32") {
    const programData = env["ProgramData"] || "C:\\ProgramData";
    return path.win32.join(programData, "AzureConnectedMachineAgent", "Tokens");
  }
  return "/var/opt/azcmagent/tokens";
}

function refuse(file: string, why: string, code: AuthenticationErrorCode = "arc-file-invalid"): AuthenticationError {
  return new AuthenticationError(
    `Azure Arc: refused to read the challenge file '${file}': ${why}.`,
    undefined,
    undefined,
    code,
  );
}

/**
 * What to do when the challenge names a file outside the token folder, as an emulator (or an agent whose
 * folder was moved) does: trust its folder explicitly. The folder is never taken from the server unasked.
 */
function trustFolderHint(file: string): string {
  return `If the agent (or an emulator) on this machine writes its challenge files to '${path.dirname(file)}', trust that folder with ArcCredential's tokenFolder option (the command line's --token-folder); otherwise the endpoint is not the Azure Connected Machine agent`;
}

/**
 * Reads the secret of an Arc challenge, after checking that the file the server named is one the
 * agent wrote: inside `tokenFolder` once every symlink and `..` is resolved, named `*.key`, a
 * regular file of at most 4096 bytes. The checks that matter are made on the opened file itself,
 * so that swapping the path between check and read gains nothing.
 *
 * @param realm - the path from `WWW-Authenticate: Basic realm=…`
 * @param tokenFolder - the folder the application trusts (never taken from the server)
 * @param signal - ends the wait for the file (the call's abort or deadline)
 * @internal
 */
export async function readArcChallengeFile(
  realm: string,
  tokenFolder: string,
  platform: NodeJS.Platform = process.platform,
  signal?: AbortSignalLike,
): Promise<string> {
  if (path.extname(realm).toLowerCase() !== ".key") throw refuse(realm, "it is not a .key file");
  if (!path.isAbsolute(realm)) throw refuse(realm, "the path is not absolute");

  let file: string;
  let folder: string;
  try {
    folder = await fs.realpath(tokenFolder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const cannotOpen = `the agent's token folder '${tokenFolder}' cannot be opened`;
    // Denied on the way to the folder is the same missing group membership as denied on the file.
    if (code === "EACCES" || code === "EPERM")
      throw refuse(realm, `${cannotOpen}: permission denied; ${arcPermissionHint(platform)}`, "arc-file-permission");
    throw refuse(
      realm,
      `${cannotOpen} (${code})${code === "ENOENT" ? `. ${trustFolderHint(realm)}` : ""}`,
      "arc-folder-missing",
    );
  }
  try {
    file = await fs.realpath(realm);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") {
      throw refuse(realm, `permission denied; ${arcPermissionHint(platform)}`, "arc-file-permission");
    }
    if (code === "ENOENT") throw refuse(realm, "it does not exist", "arc-file-missing");
    throw refuse(realm, `it cannot be resolved (${code})`);
  }
  if (path.dirname(file) !== folder) {
    throw refuse(
      realm,
      `it is not inside the agent's token folder '${folder}'. ${trustFolderHint(file)}`,
      "arc-file-outside-folder",
    );
  }
  if (path.extname(file).toLowerCase() !== ".key") throw refuse(realm, "it links to a file that is not a .key file");

  let content: Buffer;
  try {
    // O_NOFOLLOW: a path swapped for a symlink after the checks above is refused by the open itself.
    ({ content } = (await readBoundedFile(file, { maxBytes: MAX_CHALLENGE_FILE_BYTES, noFollow: true, signal })) as {
      content: Buffer;
    });
  } catch (error) {
    if (!(error instanceof FileRefusedError)) throw error;
    const { refusal } = error;
    if (refusal.reason === "not-a-file") throw refuse(realm, "it is not a regular file");
    if (refusal.reason === "too-large") throw refuse(realm, `it is larger than ${MAX_CHALLENGE_FILE_BYTES} bytes`);
    if (refusal.code === "EACCES" || refusal.code === "EPERM")
      throw refuse(realm, `permission denied; ${arcPermissionHint(platform)}`, "arc-file-permission");
    if (refusal.code === "ELOOP") throw refuse(realm, "it was replaced by a symbolic link");
    throw refuse(realm, `it cannot be ${refusal.reason === "open" ? "opened" : "read"} (${refusal.code})`);
  }
  const secret = content.toString("utf8").trim();
  content.fill(0);
  if (secret.length === 0) throw refuse(realm, "it is empty");
  // A header cannot carry them (core-rest-pipeline would strip CR and LF and send the rest); no agent key has them.
  if (/[\u0000-\u001f\u007f]/.test(secret)) throw refuse(realm, "it holds a line break or another control character");
  return secret;
}
