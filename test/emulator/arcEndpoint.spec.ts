// The emulated Arc agent: a real file challenge (a fresh secret per challenge, in a private folder,
// used once, deleted after use or expiry), then the token; the identity echo; an old agent's lie.
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../src/emulator/index.js";
import { ImdsCredential } from "../../src/index.js";
import { claimsOf, rawRequest, withQuery } from "../helpers/rawRequest.js";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ sources: ["arc"] });
});
afterAll(() => emulator.close());

const META = { Metadata: "true" };
const QUERY = { "api-version": "2020-06-01", resource: "https://vault.azure.net" };
const url = (query: Record<string, string> = QUERY) => withQuery(emulator.endpoints.arc!, query);

/** The realm of a fresh challenge. */
async function challenge(target = emulator, query = QUERY): Promise<string> {
  const answer = await rawRequest(withQuery(target.endpoints.arc!, query), { headers: META });
  expect(answer.status).toBe(401);
  const match = /^Basic realm=(\S+)$/.exec(String(answer.headers["www-authenticate"]));
  expect(match).not.toBeNull();
  return match![1]!;
}

const exists = (file: string) =>
  fs.stat(file).then(
    () => true,
    () => false,
  );

describe("emulated Arc agent", () => {
  it("challenges with an unquoted realm: a .key file with a 64-hex secret, readable by its owner only", async () => {
    const realm = await challenge();
    expect(path.dirname(realm)).toBe(emulator.tokenFolder);
    expect(realm).toMatch(/\.key$/);
    expect(await fs.readFile(realm, "utf8")).toMatch(/^[0-9a-f]{64}$/);
    expect((await fs.stat(realm)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(emulator.tokenFolder!)).mode & 0o077).toBe(0); // mkdtemp: private
  });

  it("makes a new file and secret for every challenge", async () => {
    const [a, b] = [await challenge(), await challenge()];
    expect(a).not.toBe(b);
    expect(await fs.readFile(a, "utf8")).not.toBe(await fs.readFile(b, "utf8"));
  });

  it("gives the token for the secret, deletes the file, and takes the secret only once", async () => {
    const realm = await challenge();
    const secret = await fs.readFile(realm, "utf8");
    const answer = await rawRequest(url(), { headers: { ...META, Authorization: `Basic ${secret}` } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      resource: "https://vault.azure.net",
      token_type: "Bearer",
      expires_on: expect.stringMatching(/^\d+$/),
    });
    expect(claimsOf(answer.json!["access_token"])).toMatchObject({
      appid: emulator.identities.systemAssigned!.clientId,
      aud: "https://vault.azure.net",
    });
    expect(await exists(realm)).toBe(false);

    const replay = await rawRequest(url(), { headers: { ...META, Authorization: `Basic ${secret}` } });
    expect(replay.status).toBe(401);
    expect(replay.headers["www-authenticate"]).toBeUndefined();
  });

  it("refuses a wrong secret without giving a new challenge, and keeps the pending file", async () => {
    const realm = await challenge();
    const answer = await rawRequest(url(), { headers: { ...META, Authorization: `Basic ${"0".repeat(64)}` } });
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toBeUndefined();
    expect(await exists(realm)).toBe(true);
    expect((await rawRequest(url(), { headers: { ...META, Authorization: "Bearer x" } })).status).toBe(401);
  });

  it("checks the Metadata header, api-version and resource before writing any file", async () => {
    const before = await fs.readdir(emulator.tokenFolder!);
    expect((await rawRequest(url(), {})).json).toEqual({
      error: "invalid_request",
      error_description: "Required metadata header not specified",
    });
    expect((await rawRequest(url({ resource: "r" }), { headers: META })).status).toBe(400);
    expect((await rawRequest(url({ "api-version": "2020-06-01" }), { headers: META })).status).toBe(400);
    expect(await fs.readdir(emulator.tokenFolder!)).toEqual(before);
  });

  it("honours and echoes a user-assigned identity", async () => {
    const identity = emulator.identities.userAssigned[0]!;
    const query = { ...QUERY, object_id: identity.objectId };
    const secret = await fs.readFile(await challenge(emulator, query), "utf8");
    const answer = await rawRequest(url(query), { headers: { ...META, Authorization: `Basic ${secret}` } });
    expect(answer.json).toMatchObject({
      client_id: identity.clientId,
      object_id: identity.objectId,
      msi_res_id: identity.resourceId,
    });
    expect(claimsOf(answer.json!["access_token"])["oid"]).toBe(identity.objectId);
  });

  it("answers 400 for an identity the machine does not have, after the challenge", async () => {
    const query = { ...QUERY, client_id: "00000000-0000-0000-0000-00000000dead" };
    const secret = await fs.readFile(await challenge(emulator, query), "utf8");
    const answer = await rawRequest(url(query), { headers: { ...META, Authorization: `Basic ${secret}` } });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: "invalid_request", error_description: "Identity not found" });
  });
});

describe("emulated Arc agent: lifetimes and folders", () => {
  it("deletes a challenge file nobody answered when it expires", async () => {
    const short = await startEmulator({ sources: ["arc"], arc: { challengeTtlMs: 30 } });
    try {
      const realm = await challenge(short);
      await vi.waitFor(async () => expect(await exists(realm)).toBe(false), { timeout: 5_000, interval: 10 });
      const secret = "0".repeat(64);
      const answer = await rawRequest(withQuery(short.endpoints.arc!, QUERY), {
        headers: { ...META, Authorization: `Basic ${secret}` },
      });
      expect(answer.status).toBe(401);
    } finally {
      await short.close();
    }
  });

  it("removes the folder it made when it closes, pending files included", async () => {
    const own = await startEmulator({ sources: ["arc"] });
    const realm = await challenge(own);
    await own.close();
    expect(await exists(realm)).toBe(false);
    expect(await exists(own.tokenFolder!)).toBe(false);
  });

  it("uses a folder it is given, keeps it on close, and can name another folder in the realm", async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), "arc-given-"));
    const given = await startEmulator({
      sources: ["arc"],
      arc: { tokenFolder: folder, realmFolder: "/var/opt/azcmagent/tokens" },
    });
    try {
      expect(given.tokenFolder).toBe(await fs.realpath(folder));
      const realm = await challenge(given);
      expect(path.dirname(realm)).toBe("/var/opt/azcmagent/tokens");
      const written = path.join(given.tokenFolder!, path.basename(realm));
      expect(await fs.readFile(written, "utf8")).toMatch(/^[0-9a-f]{64}$/);
      await given.close();
      expect(await exists(written)).toBe(false);
      expect(await exists(folder)).toBe(true);
    } finally {
      await given.close();
      await fs.rm(folder, { recursive: true, force: true });
    }
  });

  it("can behave like an old agent that ignores the identity asked for (no echo, system-assigned token)", async () => {
    const old = await startEmulator({ sources: ["arc"], arc: { ignoresUserAssignedIdentity: true } });
    try {
      const query = { ...QUERY, client_id: old.identities.userAssigned[0]!.clientId };
      const secret = await fs.readFile(await challenge(old, query), "utf8");
      const answer = await rawRequest(withQuery(old.endpoints.arc!, query), {
        headers: { ...META, Authorization: `Basic ${secret}` },
      });
      expect(answer.status).toBe(200);
      expect(answer.json!["client_id"]).toBeUndefined();
      expect(claimsOf(answer.json!["access_token"])["appid"]).toBe(old.identities.systemAssigned!.clientId);
    } finally {
      await old.close();
    }
  });
});

describe("the emulator's own failures", () => {
  it("its token folder deleted while it runs: 500 emulator_error saying what broke, reported, never 'injected'", async () => {
    const errors: { error: unknown; endpoint: string }[] = [];
    const own = await startEmulator({
      sources: ["arc"],
      onError: (error, endpoint) => errors.push({ error, endpoint }),
    });
    try {
      await fs.rm(own.tokenFolder!, { recursive: true, force: true });
      const answer = await rawRequest(withQuery(own.endpoints.arc!, QUERY), { headers: META });
      expect(answer.status).toBe(500);
      expect(answer.json!["error"]).toBe("emulator_error");
      const description = String(answer.json!["error_description"]);
      expect(description).toContain("ENOENT");
      expect(description).toContain("an emulator failure, not an injected fault");
      expect(description).not.toMatch(/injected by the emulator/i);
      expect(description).not.toMatch(/\.\)?$/); // the client's own full stop makes no '.).'
      expect(errors).toHaveLength(1);
      expect(errors[0]!.endpoint).toBe("arc");
      expect((errors[0]!.error as NodeJS.ErrnoException).code).toBe("ENOENT");
    } finally {
      await own.close();
    }
  });

  it("is written to stderr when no onError is given", async () => {
    const own = await startEmulator({ sources: ["arc"] });
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await fs.rm(own.tokenFolder!, { recursive: true, force: true });
      expect((await rawRequest(withQuery(own.endpoints.arc!, QUERY), { headers: META })).status).toBe(500);
    } finally {
      spy.mockRestore();
      await own.close();
    }
    expect(written.join("")).toMatch(/the arc endpoint failed to answer a request: Error: ENOENT/);
  });

  it("an injected 500 says it was injected, once, with no doubled punctuation in a credential's message", async () => {
    const own = await startEmulator({ sources: ["imds", "arc"], faults: { statusSequence: [500, 500] } });
    try {
      const answer = await rawRequest(withQuery(own.endpoints.arc!, QUERY), { headers: META });
      expect(answer.json).toEqual({ error: "server_error", error_description: "HTTP 500 (injected by the emulator)" });
      const failure = await new ImdsCredential({ endpoint: own.endpoints.imds!, retryOptions: { maxRetries: 0 } })
        .getToken("https://vault.azure.net/.default")
        .catch((error: unknown) => error as Error);
      expect((failure as Error).message).toContain("server_error: HTTP 500 (injected by the emulator).");
      expect((failure as Error).message).not.toContain(".).");
    } finally {
      await own.close();
    }
  });
});

describe("a token folder that does not exist", () => {
  it("is made private, and what the emulator made is removed on close, not its parent", async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), "arc-parent-"));
    const made = path.join(parent, "made");
    const own = await startEmulator({ sources: ["arc"], arc: { tokenFolder: path.join(made, "tokens") } });
    try {
      expect((await fs.stat(own.tokenFolder!)).mode & 0o777).toBe(0o700);
      await challenge(own);
      await own.close();
      expect(await exists(made)).toBe(false);
      expect(await exists(parent)).toBe(true);
    } finally {
      await own.close();
      await fs.rm(parent, { recursive: true, force: true });
    }
  });
});
