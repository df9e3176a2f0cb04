import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TokenCredential } from "@azure/core-auth";
import {
  AppServiceCredential,
  ArcCredential,
  AzureMLCredential,
  CloudShellCredential,
  ImdsCredential,
  ServiceFabricCredential,
  WorkloadIdentityCredential,
} from "../../src/index.js";
import type { ManagedIdentitySourceName } from "../../src/sources/source.js";
import { makeArcFolders, startArcAgent, unguessable } from "./arcFixture.js";
import { startHttpsServer } from "./httpsServer.js";
import { makePinnedCertificate } from "./selfSignedCertificate.js";
import { type SeenRequest, startTokenServer, tokenAnswer } from "./tokenServer.js";

/** Each source's credential class, taking any of its options. */
export const CREDENTIALS: Record<ManagedIdentitySourceName, new (options: never) => TokenCredential> = {
  imds: ImdsCredential,
  arc: ArcCredential,
  cloudshell: CloudShellCredential,
  appservice: AppServiceCredential,
  servicefabric: ServiceFabricCredential,
  azureml: AzureMLCredential,
  workloadidentity: WorkloadIdentityCredential,
};

/** One source on a loopback endpoint of its own, configured by variables only. */
export interface SourceFixture {
  name: ManagedIdentitySourceName;
  /** The variables that point the source's credential at the endpoint (with its secret, where it has one). */
  env: Record<string, string>;
  /** Options besides `env` the credential needs here (Arc's token folder). */
  options: Record<string, unknown>;
  /** The endpoint's origin. */
  origin: string;
  /** Every request the endpoint received. */
  requests: SeenRequest[];
  /** The secret a request carried (its header, or workload identity's assertion); `undefined` for sources without one. */
  secretOf(request: SeenRequest): string | undefined;
  /** The credential, with `env` and the options given. */
  credential(options?: Record<string, unknown>): TokenCredential;
  close(): Promise<void>;
}

const TOKEN_PATH = "/metadata/identity/oauth2/token";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT = "0a1b2c3d-0000-0000-0000-000000000001";

/** Starts a loopback endpoint for the source and names the variables that configure its credential for it. */
export async function startSourceFixture(name: ManagedIdentitySourceName): Promise<SourceFixture> {
  const secret = unguessable(`${name}-secret`);
  const answer = () => tokenAnswer(`${name}-token`);
  const cleanups: (() => Promise<void>)[] = [];
  let env: Record<string, string>;
  let options: Record<string, unknown> = {};
  let origin: string;
  let requests: SeenRequest[];
  let secretOf: (request: SeenRequest) => string | undefined = () => undefined;

  if (name === "servicefabric") {
    const certificate = makePinnedCertificate();
    const server = await startHttpsServer(certificate, answer);
    cleanups.push(server.close);
    ({ origin, requests } = server);
    env = {
      IDENTITY_ENDPOINT: `${origin}${TOKEN_PATH}`,
      IDENTITY_HEADER: secret,
      IDENTITY_SERVER_THUMBPRINT: certificate.sha1,
    };
    secretOf = (request) => request.headers["secret"] as string | undefined;
  } else if (name === "arc") {
    const folders = await makeArcFolders();
    cleanups.push(folders.remove);
    const key = await folders.write("challenge.key", secret);
    const server = await startArcAgent({ challenge: () => `Basic realm=${key}`, authorized: answer });
    cleanups.push(server.close);
    ({ origin, requests } = server);
    env = { IDENTITY_ENDPOINT: `${origin}${TOKEN_PATH}`, IMDS_ENDPOINT: origin };
    options = { tokenFolder: folders.folder };
    secretOf = (request) => (request.headers["authorization"] as string | undefined)?.replace(/^Basic /, "");
  } else {
    const server = await startTokenServer(answer);
    cleanups.push(server.close);
    ({ origin, requests } = server);
    if (name === "imds") {
      env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin };
    } else if (name === "cloudshell") {
      env = { MSI_ENDPOINT: `${origin}/oauth2/token` };
    } else if (name === "appservice") {
      env = { IDENTITY_ENDPOINT: `${origin}${TOKEN_PATH}`, IDENTITY_HEADER: secret };
      secretOf = (request) => request.headers["x-identity-header"] as string | undefined;
    } else if (name === "azureml") {
      env = { MSI_ENDPOINT: `${origin}${TOKEN_PATH}`, MSI_SECRET: secret };
      secretOf = (request) => request.headers["secret"] as string | undefined;
    } else {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), "mi-fixture-"));
      cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
      const tokenFile = path.join(dir, "token");
      await fs.writeFile(tokenFile, secret);
      env = {
        AZURE_AUTHORITY_HOST: origin,
        AZURE_TENANT_ID: TENANT,
        AZURE_CLIENT_ID: CLIENT,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      };
      secretOf = (request) => new URLSearchParams(request.body).get("client_assertion") ?? undefined;
    }
  }
  const fixture: SourceFixture = {
    name,
    env,
    options,
    origin,
    requests,
    secretOf,
    credential: (more = {}) => new CREDENTIALS[name]({ env: fixture.env, ...options, ...more } as never),
    close: async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
  return fixture;
}
