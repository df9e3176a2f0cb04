import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Answer, type SeenRequest, startTokenServer, type TokenServer } from "./tokenServer.js";

/** A temporary Arc token folder, and a folder beside it that the agent never writes to. */
export interface ArcFolders {
  /** The agent's token folder, as the application configures it (`tokenFolder`). */
  folder: string;
  /** A sibling folder: what a hostile challenge would like the credential to read. */
  outside: string;
  /** Writes `content` to `name` in `dir` (the token folder by default) and returns its path. */
  write(name: string, content: string, dir?: string): Promise<string>;
  remove(): Promise<void>;
}

/** Makes fresh {@link ArcFolders} under the system's temporary directory. */
export async function makeArcFolders(): Promise<ArcFolders> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "arc-hardening-"));
  const folder = path.join(root, "tokens");
  const outside = path.join(root, "outside");
  await fs.mkdir(folder);
  await fs.mkdir(outside);
  return {
    folder,
    outside,
    async write(name, content, dir = folder) {
      const file = path.join(dir, name);
      await fs.writeFile(file, content);
      return file;
    },
    remove: () => fs.rm(root, { recursive: true, force: true }),
  };
}

/** A value that cannot turn up by chance in a request, a log line or a message. */
export function unguessable(label: string): string {
  return `${label}-${randomBytes(12).toString("hex")}`;
}

/** Options of {@link startArcAgent}. */
export interface ArcAgentOptions {
  /** The `WWW-Authenticate` value of the challenge, e.g. `Basic realm=/path/x.key`. */
  challenge: () => string;
  /** The answer to a request that carries `Authorization` (whatever its value). */
  authorized: (request: SeenRequest) => Answer | undefined;
}

/**
 * A loopback stand-in for the himds agent: a request without `Authorization` gets 401 and the
 * challenge; one with it gets `authorized(request)`. Every request is recorded.
 */
export function startArcAgent(options: ArcAgentOptions): Promise<TokenServer> {
  return startTokenServer((request) =>
    request.headers["authorization"] === undefined
      ? { status: 401, headers: { "WWW-Authenticate": options.challenge() }, body: { error: "unauthorized" } }
      : options.authorized(request),
  );
}
