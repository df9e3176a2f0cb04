import { promises as fs } from "node:fs";
import path from "node:path";

/**
 * Where the Azure Connected Machine agent (himds) is installed: `/opt/azcmagent/bin/himds` on Linux,
 * `%ProgramFiles%\AzureConnectedMachineAgent\himds.exe` on Windows.
 * @internal
 */
export function defaultArcAgentPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === "win32") {
    return path.win32.join(env["ProgramFiles"] || "C:\\Program Files", "AzureConnectedMachineAgent", "himds.exe");
  }
  return "/opt/azcmagent/bin/himds";
}

/**
 * Whether the agent's executable is there: a file at `agentPath`. Any error (missing, no permission
 * to look) means no.
 * @internal
 */
export async function isArcAgentInstalled(agentPath: string): Promise<boolean> {
  try {
    return (await fs.stat(agentPath)).isFile();
  } catch {
    return false;
  }
}
