import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";

/** How a fake answers token requests. */
export type FakeBehaviour =
  /** Every request gets a token. */
  | "ok"
  /** The first token for each resource is given; every later request for it fails with a 500. */
  | "oneTokenThenFail"
  /** The first token for each resource is given; every later request for it is accepted and never answered. */
  | "oneTokenThenHang";

/** A fake token endpoint and what it has seen since the last reset. */
export interface FakeEndpoint {
  /** The origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** HTTP requests seen (an Arc challenge round counts as two). */
  requests: number;
  /** Tokens given. */
  tokens: number;
}

/** The loopback fakes every benchmark runs against. */
export interface Fakes {
  readonly imds: FakeEndpoint;
  readonly arc: FakeEndpoint;
  readonly cloudShell: FakeEndpoint;
  /** A port that accepts connections and never answers. */
  readonly silentPort: number;
  /** A loopback port nothing listens on. */
  readonly closedPort: number;
  /** The folder the Arc fake writes its challenge files to. */
  readonly arcTokenFolder: string;
  behaviour: FakeBehaviour;
  /** Zeroes the counters, forgets which resources had a token, drops held connections. */
  reset(): void;
  close(): Promise<void>;
}

const TOKEN_LIFETIME_S = 24 * 60 * 60;
// msal-node asks IMDS for the token path with a trailing slash; the service accepts both.
const TOKEN_PATH = /^\/metadata\/identity\/oauth2\/token\/?$/;

/**
 * A JWT-shaped access token of the size real managed identity tokens have (about 1.5 KB), so that
 * parsing and caching cost what they cost in production. Not signed: neither library checks it, and
 * signing each token (as the emulator in src/emulator does) would add the same server time to both
 * libraries' fetch figures.
 */
function accessToken(resource: string, now: number): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const id = "00000000-0000-0000-0000-000000000000";
  const header = part({ typ: "JWT", alg: "RS256", x5t: "fake-bench-key", kid: "fake-bench-key" });
  const payload = part({
    aud: resource,
    iss: `https://sts.windows.net/${id}/`,
    iat: now,
    nbf: now,
    exp: now + TOKEN_LIFETIME_S,
    aio: randomBytes(48).toString("base64url"),
    appid: id,
    appidacr: "2",
    idp: `https://sts.windows.net/${id}/`,
    idtyp: "app",
    oid: id,
    rh: randomBytes(40).toString("base64url"),
    sub: id,
    tid: id,
    uti: randomBytes(16).toString("base64url"),
    ver: "1.0",
    xms_mirid: `/subscriptions/${id}/resourcegroups/bench/providers/Microsoft.Compute/virtualMachines/bench-vm`,
    xms_tcdt: now - 1e7,
  });
  return `${header}.${payload}.${randomBytes(256).toString("base64url")}`;
}

/** An IMDS-shaped token answer: a 24 h token, numbers as strings. */
export function tokenBody(resource: string): string {
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    access_token: accessToken(resource, now),
    client_id: "00000000-0000-0000-0000-000000000000",
    expires_in: String(TOKEN_LIFETIME_S),
    expires_on: String(now + TOKEN_LIFETIME_S),
    ext_expires_in: String(TOKEN_LIFETIME_S),
    not_before: String(now),
    resource,
    token_type: "Bearer",
  });
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
  });
}

/**
 * Starts fake IMDS, Arc and Cloud Shell endpoints on 127.0.0.1, a port that accepts and never
 * answers, and finds a port nothing listens on. The Arc fake writes a fresh `<random>.key` file into
 * `arcTokenFolder` per challenge and deletes it once answered, as the agent does.
 */
export async function startFakes(arcTokenFolder: string): Promise<Fakes> {
  const served = new Set<string>();
  const held = new Set<net.Socket>();
  const arcSecrets = new Map<string, string>();

  const endpoint = (origin: string): FakeEndpoint => ({ origin, requests: 0, tokens: 0 });

  // Decides, after the source-specific checks passed, how to answer a request for `resource`.
  const answer = (fake: FakeEndpoint, key: string, resource: string, response: http.ServerResponse): void => {
    if (fakes.behaviour !== "ok" && served.has(key)) {
      if (fakes.behaviour === "oneTokenThenHang") {
        held.add(response.socket!);
        return;
      }
      response.writeHead(500, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: "server_error", error_description: "the fake is told to fail" }));
      return;
    }
    served.add(key);
    fake.tokens++;
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(tokenBody(resource));
  };

  const badRequest = (response: http.ServerResponse, description: string): void => {
    response.writeHead(400, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ error: "invalid_request", error_description: description }));
  };

  const imdsServer = http.createServer((request, response) => {
    imds.requests++;
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const resource = url.searchParams.get("resource");
    if (request.headers["metadata"] !== "true") return badRequest(response, "Required metadata header not specified");
    if (!TOKEN_PATH.test(url.pathname) || !resource) return badRequest(response, "bad request");
    answer(imds, `imds ${resource}`, resource, response);
  });

  const arcServer = http.createServer((request, response) => {
    arc.requests++;
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const resource = url.searchParams.get("resource");
    if (request.headers["metadata"] !== "true") return badRequest(response, "Required metadata header not specified");
    if (!TOKEN_PATH.test(url.pathname) || !resource) return badRequest(response, "bad request");
    const authorization = request.headers["authorization"];
    if (authorization === undefined) {
      const file = path.join(arcTokenFolder, `${randomBytes(8).toString("hex")}.key`);
      const secret = randomBytes(32).toString("hex");
      arcSecrets.set(secret, file);
      fs.writeFile(file, secret, { mode: 0o600 }).then(
        () => {
          response.writeHead(401, { "WWW-Authenticate": `Basic realm=${file}` });
          response.end();
        },
        () => {
          response.writeHead(500);
          response.end();
        },
      );
      return;
    }
    const secret = /^Basic (.+)$/.exec(authorization)?.[1];
    const file = secret === undefined ? undefined : arcSecrets.get(secret);
    if (file === undefined) {
      response.writeHead(401, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ error: "unauthorized", error_description: "wrong secret" }));
      return;
    }
    arcSecrets.delete(secret!);
    void fs.rm(file, { force: true });
    answer(arc, `arc ${resource}`, resource, response);
  });

  const cloudShellServer = http.createServer((request, response) => {
    cloudShell.requests++;
    void readBody(request).then((body) => {
      const resource = new URLSearchParams(body).get("resource");
      if (request.method !== "POST" || request.headers["metadata"] !== "true" || !resource) {
        return badRequest(response, "bad request");
      }
      answer(cloudShell, `cloudshell ${resource}`, resource, response);
    });
  });

  // Accepts and keeps every connection, saying nothing: an endpoint that hangs.
  const silentServer = net.createServer((socket) => {
    held.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => held.delete(socket));
  });

  const servers: net.Server[] = [imdsServer, arcServer, cloudShellServer, silentServer];
  const [imdsPort, arcPort, cloudShellPort, silentPort] = await Promise.all(servers.map(listen));

  // A port that was free a moment ago and that nothing here listens on.
  const probe = net.createServer();
  const closedPort = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  const imds = endpoint(`http://127.0.0.1:${imdsPort}`);
  const arc = endpoint(`http://127.0.0.1:${arcPort}`);
  const cloudShell = endpoint(`http://127.0.0.1:${cloudShellPort}`);

  const fakes: Fakes = {
    imds,
    arc,
    cloudShell,
    silentPort: silentPort!,
    closedPort,
    arcTokenFolder,
    behaviour: "ok",
    reset() {
      for (const fake of [imds, arc, cloudShell]) {
        fake.requests = 0;
        fake.tokens = 0;
      }
      served.clear();
      for (const socket of held) socket.destroy();
      held.clear();
      for (const file of arcSecrets.values()) void fs.rm(file, { force: true });
      arcSecrets.clear();
      fakes.behaviour = "ok";
    },
    async close() {
      fakes.reset();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              (server as http.Server).closeAllConnections?.();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
  return fakes;
}
