// The Arc error a developer meets with the emulator (its challenge files are not in the agent's folder)
// says how to fix it: ArcCredential's tokenFolder option, or the command line's --token-folder.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../../src/emulator/index.js";
import { ArcCredential, AuthenticationError } from "../../../src/index.js";
import { cliEnv, closedPort, runCli } from "../../helpers/runCli.js";

let emulator: Emulator;
let otherFolder: string;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["arc"] });
  otherFolder = await fs.mkdtemp(path.join(os.tmpdir(), "arc-other-folder-"));
});
afterAll(async () => {
  await emulator.close();
  await fs.rm(otherFolder, { recursive: true, force: true });
});

describe("a challenge file outside the agent's token folder", () => {
  it.each([
    ["an existing folder that is not the emulator's", () => otherFolder, "not inside the agent's token folder"],
    ["the agent's folder, absent off an Arc server", () => "/nonexistent/azcmagent/tokens", "(ENOENT)"],
  ])("ArcCredential, %s: refused, naming the file's folder and the tokenFolder option", async (_, folder, why) => {
    const error = await new ArcCredential({ endpoint: emulator.endpoints.arc!, tokenFolder: folder() })
      .getToken("https://vault.azure.net/.default")
      .catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(AuthenticationError);
    const message = (error as Error).message;
    expect(message).toContain(why);
    expect(message).toContain(`writes its challenge files to '${emulator.tokenFolder!}'`);
    expect(message).toContain("ArcCredential's tokenFolder option (the command line's --token-folder)");
  });

  it("the token command: the same hint, and the --token-folder it names fixes it", async () => {
    const env = cliEnv(await closedPort(), emulator.env.arc);
    const args = ["token", "--source", "arc", "--resource", "https://vault.azure.net"];
    const refused = await runCli([...args, "--token-folder", otherFolder], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--token-folder");
    const fixed = await runCli([...args, "--token-folder", emulator.tokenFolder!], env);
    expect(fixed.code).toBe(0);
  });
});
