import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { type Answer, type SeenRequest, startTokenServer, tokenAnswer, type TokenServer } from "./tokenServer.js";

/** The token path of the himds agent. */
export const ARC_TOKEN_PATH = "/metadata/identity/oauth2/token";

/** A temporary stand-in for `/var/opt/azcmagent/tokens`, with a sibling folder outside it. */
export interface TokenFolder {
  /** The parent of `folder` and `outside`. */
  root: string;
  /** The agent's token folder, as the application configures it. */
  folder: string;
  /** A folder beside it, which the agent never writes to. */
  outside: string;
  /** Removes everything, first giving back any permission a test took away. */
  remove(): Promise<void>;
}

/** Makes a fresh token folder under the system's temporary directory. */
export async function makeTokenFolder(): Promise<TokenFolder> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "arc-tokens-"));
  const folder = path.join(root, "tokens");
  const outside = path.join(root, "outside");
  await fs.mkdir(folder);
  await fs.mkdir(outside);
  return {
    root,
    folder,
    outside,
    async remove() {
      // A test may have made a file or folder unreadable; give the permissions back so rm can work.
      for (const dir of [root, folder, outside]) await fs.chmod(dir, 0o755).catch(() => undefined);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** A secret that cannot occur by chance in a request, a log line or a message. */
export function newSecret(label = "arc-secret"): string {
  return `${label}-${randomBytes(16).toString("hex")}`;
}

/** A fake himds agent on a loopback port. */
export interface HimdsAgent extends TokenServer {
  /** The full token endpoint, for `ArcCredential({ endpoint })`. */
  endpoint: string;
}

/** How the fake agent behaves. */
export interface HimdsAgentOptions {
  /** The value of `WWW-Authenticate` on the challenge; usually `Basic realm=<file>`. `undefined` sends none. */
  challenge: string | undefined;
  /** The secret the agent expects back as `Authorization: Basic <secret>`. */
  secret: string;
  /** The answer to a request that carries the right secret. Default: a token `arc-token`. */
  answer?: (request: SeenRequest, raw: { req: http.IncomingMessage; res: http.ServerResponse }) => Answer | undefined;
}

/**
 * Plays the Azure Connected Machine agent: a request without `Authorization` gets 401 and the
 * challenge; one with the right secret gets the token; one with a wrong secret gets 401 again.
 */
export async function startHimdsAgent(options: HimdsAgentOptions): Promise<HimdsAgent> {
  const server = await startTokenServer((request, raw) => {
    const authorization = request.headers["authorization"];
    if (authorization === undefined) {
      return {
        status: 401,
        headers: options.challenge === undefined ? {} : { "WWW-Authenticate": options.challenge },
        body: { error: "unauthorized", error_description: "a challenge file must be read" },
      };
    }
    if (authorization !== `Basic ${options.secret}`) {
      return {
        status: 401,
        body: { error: "invalid_secret", error_description: "the secret is not the expected one" },
      };
    }
    return options.answer ? options.answer(request, raw) : tokenAnswer("arc-token");
  });
  return { ...server, endpoint: `${server.origin}${ARC_TOKEN_PATH}` };
}

/** Writes a challenge file and returns its path. */
export async function writeKey(file: string, content: string | Buffer): Promise<string> {
  await fs.writeFile(file, content);
  return file;
}

/**
 * The point of every refusal: the agent saw the first request only, and nothing it received
 * carried an `Authorization` header or the secret.
 */
export function expectSecretNeverSent(server: TokenServer, secret: string): void {
  expect(server.requests.length).toBeGreaterThan(0);
  for (const request of server.requests) {
    expect(request.headers["authorization"]).toBeUndefined();
    expect(request.url.href).not.toContain(secret);
    expect(JSON.stringify(request.headers)).not.toContain(secret);
    expect(request.body).not.toContain(secret);
  }
}
