// Issue 20 §6: the emulator under abuse. A flood of unauthenticated Arc requests wrote one challenge file each with
// no cap (5,000 requests, 5,000 files); the Entra endpoint answered a malformed percent-escape with 500 and a URIError.
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { rawRequest, withQuery } from "../helpers/rawRequest.js";

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const QUERY = { "api-version": "2020-06-01", resource: "https://vault.azure.net" };

/** Sends `count` unauthenticated Arc requests, `parallel` at a time; the realms (challenge file paths) in order. */
async function challenges(count: number, parallel: number): Promise<string[]> {
  const realms: string[] = [];
  for (let sent = 0; sent < count; sent += parallel) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(parallel, count - sent) }, () =>
        rawRequest(withQuery(emulator!.endpoints.arc!, QUERY), { headers: { Metadata: "true" } }),
      ),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      realms.push(/realm=(.+)$/.exec(String(answer.headers["www-authenticate"]))![1]!);
    }
  }
  return realms;
}

describe("the emulated Arc agent under a flood of unauthenticated requests", () => {
  it("keeps at most maxPendingChallenges files, removing the oldest first; the newest still work", async () => {
    emulator = await startEmulator({ sources: ["arc"], arc: { maxPendingChallenges: 20 } });
    const realms = await challenges(300, 25);
    const files = readdirSync(emulator.tokenFolder!);
    expect(files.length).toBeLessThanOrEqual(20);
    // The files left are among the newest; the oldest are gone.
    const newest = new Set(realms.slice(-45).map((realm) => realm.split("/").at(-1)));
    for (const file of files) expect(newest.has(file)).toBe(true);
    expect(files).not.toContain(realms[0]!.split("/").at(-1));

    // The latest challenge still answers: its secret gets the token.
    const last = await challenges(1, 1);
    const secret = readFileSync(last[0]!, "utf8");
    const answer = await rawRequest(withQuery(emulator.endpoints.arc!, QUERY), {
      headers: { Metadata: "true", Authorization: `Basic ${secret}` },
    });
    expect(answer.status).toBe(200);
  });

  it("caps them by default (256) too", async () => {
    emulator = await startEmulator({ sources: ["arc"] });
    await challenges(300, 50);
    expect(readdirSync(emulator.tokenFolder!).length).toBeLessThanOrEqual(256);
  });

  it("refuses a cap that is not a whole number of 1 or more", async () => {
    for (const maxPendingChallenges of [0, -1, 1.5, Number.NaN]) {
      await expect(startEmulator({ sources: ["arc"], arc: { maxPendingChallenges } })).rejects.toThrow(TypeError);
    }
  });
});

describe("the emulated Microsoft Entra token endpoint", () => {
  it("answers a malformed percent-escape in the tenant with 400 invalid_request, not 500", async () => {
    const errors: unknown[] = [];
    emulator = await startEmulator({ sources: ["workloadidentity"], onError: (error) => errors.push(error) });
    const answer = await rawRequest(`${emulator.endpoints.workloadidentity!}/%E0%A4%A/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect(answer.status).toBe(400);
    expect(answer.json?.["error"]).toBe("invalid_request");
    expect(String(answer.json?.["error_description"])).toMatch(/^AADSTS90002/);
    expect(errors).toEqual([]);
  });
});
