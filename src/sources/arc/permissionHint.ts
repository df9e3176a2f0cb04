/**
 * What to do when this process may not read the Arc agent's challenge files or token folder: join
 * the agent's group. One text for the credential's error and the doctor's fix.
 * @internal
 */
export function arcPermissionHint(platform: NodeJS.Platform = process.platform): string {
  return platform === "win32"
    ? "run as an administrator or as a member of the 'Hybrid agent extension applications' group"
    : "add the user running this process to the 'himds' group (sudo usermod -a -G himds $USER) and start a new login session";
}
