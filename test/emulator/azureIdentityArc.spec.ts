// The reference client on the emulated Arc agent, pointed at it by IDENTITY_ENDPOINT and IMDS_ENDPOINT.
//
// msal-node (behind @azure/identity) reads the challenge file only when the realm is exactly
// `/var/opt/azcmagent/tokens/<name>.key` on Linux (`%ProgramData%\AzureConnectedMachineAgent\Tokens\` on
// Windows; no other platform): it compares the realm with that folder + the file's name, checks `.key`,
// then statSync (size <= 4096) and readFileSync. So the emulator names that folder in its realm
// (`realmFolder`) while writing the file to its own private folder, as an agent's folder bind-mounted
// into a container would; here the "mount" is a redirect of msal-node's two reads under that prefix,
// and nothing is written to the system folder. (azureIdentityArcNamespace.spec.ts does the same with
// a real mount, in a private mount namespace.)
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";
import { ManagedIdentityCredential } from "@azure/identity";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { useOnlyEnv } from "../helpers/env.js";
import { claimsOf } from "../helpers/rawRequest.js";

const AGENT_FOLDER = "/var/opt/azcmagent/tokens/";

let emulator: Emulator;
const reads: string[] = [];
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["arc"], arc: { realmFolder: AGENT_FOLDER } });
  const mounted = (file: fs.PathLike | number): fs.PathLike | number => {
    if (typeof file !== "string" || !file.startsWith(AGENT_FOLDER)) return file;
    reads.push(file);
    return path.join(emulator.tokenFolder!, file.slice(AGENT_FOLDER.length));
  };
  const { statSync, readFileSync } = fs;
  vi.spyOn(fs, "statSync").mockImplementation(((file: fs.PathLike, ...rest: never[]) =>
    statSync(mounted(file) as fs.PathLike, ...rest)) as never);
  vi.spyOn(fs, "readFileSync").mockImplementation(((file: fs.PathLike, ...rest: never[]) =>
    readFileSync(mounted(file), ...rest)) as never);
  syncBuiltinESMExports(); // msal-node's ESM build imports { statSync, readFileSync } from "fs"
});
afterAll(async () => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  await emulator.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe.runIf(process.platform === "linux")(
  "@azure/identity ManagedIdentityCredential on the emulated Arc agent",
  () => {
    it("answers the file challenge and gets the token", async () => {
      useOnlyEnv(emulator.env.arc);
      const token = await new ManagedIdentityCredential().getToken("https://vault.azure.net/.default");
      expect(claimsOf(token.token)).toMatchObject({
        aud: "https://vault.azure.net",
        appid: emulator.identities.systemAssigned!.clientId,
      });
      expect(emulator.requests.map((r) => r.outcome)).toEqual([401, 200]);
      expect(reads).toHaveLength(2); // statSync, then readFileSync, of the realm msal-node accepted
      expect(path.dirname(reads[0]!)).toBe("/var/opt/azcmagent/tokens");
      expect(fs.readdirSync(emulator.tokenFolder!)).toEqual([]); // the emulator deleted the used file
    });

    it("gets a user-assigned token: the agent echoes the identity, as msal-node requires", async () => {
      useOnlyEnv(emulator.env.arc);
      const identity = emulator.identities.userAssigned[0]!;
      const token = await new ManagedIdentityCredential({ clientId: identity.clientId }).getToken(
        "https://storage.azure.com/.default",
      );
      expect(claimsOf(token.token)).toMatchObject({ aud: "https://storage.azure.com", appid: identity.clientId });
      expect(emulator.requests.at(-1)).toMatchObject({
        outcome: 200,
        path: expect.stringContaining(`client_id=${identity.clientId}`),
      });
    });
  },
);
