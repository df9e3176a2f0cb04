import { randomBytes, X509Certificate } from "node:crypto";
import { appServiceEndpoint, APP_SERVICE_TOKEN_PATH } from "./appServiceEndpoint.js";
import { arcEndpoint } from "./arcEndpoint.js";
import { AZURE_ML_TOKEN_PATH, azureMlEndpoint } from "./azureMlEndpoint.js";
import { entraTokenEndpoint } from "./entraTokenEndpoint.js";
import { type FederatedTokenFile, writeFederatedTokenFile } from "./federatedTokenFile.js";
import { SERVICE_FABRIC_TOKEN_PATH, serviceFabricEndpoint } from "./serviceFabricEndpoint.js";
import { ArcChallenges } from "./arcChallenges.js";
import { cloudShellEndpoint, CLOUD_SHELL_TOKEN_PATH } from "./cloudShellEndpoint.js";
import {
  type EmulatedServer,
  type EmulatorEndpointName,
  type EmulatorRequestRecord,
  type EndpointBehaviour,
  startEmulatedServer,
} from "./emulatedServer.js";
import { describeEmulator, emulatorEnvironment, type EmulatorEnvironment } from "./environment.js";
import { FaultInjector, type FaultOptions } from "./faults.js";
import { defaultIdentities, type EmulatedIdentities } from "./identities.js";
import { IMDS_TOKEN_PATH, imdsEndpoint } from "./imdsEndpoint.js";
import { keyVaultEndpoint } from "./keyVaultEndpoint.js";
import { EMULATED_SOURCES, type EmulatedSourceName, type EmulatorEndpoints, type EmulatorOptions } from "./options.js";
import { ResourceCheck } from "./resourceCheck.js";
import { createSelfSignedCertificate } from "./selfSignedCertificate.js";
import { TokenIssuer } from "./tokenIssuer.js";
import { TokenSigner } from "./tokenSigner.js";

/** A running emulator. */
export interface Emulator {
  /** The URL of each endpoint. */
  endpoints: EmulatorEndpoints;
  /** Per source, the environment variables that point a credential (ours or `@azure/identity`'s) at it. */
  env: EmulatorEnvironment;
  /** The Arc challenge folder: `ArcCredential`'s `tokenFolder` option. `undefined` when Arc is not served. */
  tokenFolder: string | undefined;
  /** The emulated Key Vault's URL, for `SecretClient`. */
  keyVaultUrl: string;
  /** The Key Vault's self-signed certificate, PEM: trust it with `new https.Agent({ ca })`. */
  ca: string;
  /** The tenant and identities the tokens are for. */
  identities: EmulatedIdentities;
  /** The public key that verifies the emulator's tokens, PEM. */
  tokenSigningKey: string;
  /** The latest requests answered (at most 1000), oldest first. */
  requests: EmulatorRequestRecord[];
  /** Replaces the faults of one endpoint, or of every token endpoint, and starts their counts again. */
  setFaults(faults: FaultOptions, endpoint?: EmulatorEndpointName): void;
  /** The endpoints and the environment variables, for a person to read. */
  describe(): string;
  /** Service Fabric's self-signed certificate, PEM (`env.servicefabric.IDENTITY_SERVER_THUMBPRINT` is its SHA-1 thumbprint). `undefined` when Service Fabric is not served. */
  serviceFabricCertificate: string | undefined;
  /** Stops every endpoint, ends hung requests, and removes the challenge files (and their folder when the emulator made it) and the federated token file. */
  close(): Promise<void>;
}

const ALL_SOURCES: readonly EmulatedSourceName[] = EMULATED_SOURCES;
/** The path each source's URL has; workload identity's is the authority host, a bare origin. */
const TOKEN_PATHS: Record<EmulatedSourceName, string> = {
  imds: IMDS_TOKEN_PATH,
  arc: IMDS_TOKEN_PATH,
  cloudshell: CLOUD_SHELL_TOKEN_PATH,
  appservice: APP_SERVICE_TOKEN_PATH,
  servicefabric: SERVICE_FABRIC_TOKEN_PATH,
  azureml: AZURE_ML_TOKEN_PATH,
  workloadidentity: "",
};
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);

/** The default for the emulator's own failures: on stderr, with the stack, where a developer looks. */
function reportEmulatorError(error: unknown, endpoint: EmulatorEndpointName): void {
  const detail = (error as Error | undefined)?.stack ?? String(error);
  process.stderr.write(
    `azure-managed-identity emulator: the ${endpoint} endpoint failed to answer a request: ${detail}\n`,
  );
}
const MAX_RECORDS = 1000;

/**
 * Starts local, faithful copies of the IMDS, Azure Arc, Cloud Shell, App Service, Service Fabric (HTTPS, its own
 * certificate) and Azure ML token endpoints and of Microsoft Entra's token endpoint for workload identity (with the
 * federated token file it writes),
 * and an HTTPS Key Vault that accepts their tokens, each on its own loopback port. Tokens are real
 * RS256 JWTs signed with a key made at start. Faults (a status sequence, `Retry-After`, latency, a hung
 * connection, throttling) can be injected to test an application's retry handling.
 *
 * @example
 * ```ts
 * import { startEmulator } from "azure-managed-identity/emulator";
 * import { ImdsCredential } from "azure-managed-identity";
 *
 * const emulator = await startEmulator();
 * const credential = new ImdsCredential({ endpoint: emulator.endpoints.imds });
 * const token = await credential.getToken("https://vault.azure.net/.default");
 * await emulator.close();
 * ```
 * @throws `TypeError` when `host` is not a loopback address; the listen error when a given port is taken.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK_HOSTS.has(host))
    throw new TypeError(`The emulator listens on loopback only (127.0.0.1, ::1, localhost), not '${host}'.`);
  const sources = [...new Set(options.sources ?? ALL_SOURCES)];
  for (const source of sources) {
    if (!ALL_SOURCES.includes(source))
      throw new TypeError(`Unknown source '${source}'; the emulator serves ${ALL_SOURCES.join(", ")}.`);
  }

  // The RSA key is generated off the main thread while the (fast, EC) certificate is made here.
  const signing = TokenSigner.create();
  const certificate = createSelfSignedCertificate();
  const signer = await signing;
  const identities = defaultIdentities(options.identities);
  const issuer = new TokenIssuer(signer, identities, options.tokenLifetimeSeconds ?? 24 * 60 * 60);
  const resources = new ResourceCheck(identities.tenantId, options.unknownResources);
  const identityHeader = options.appService?.identityHeader ?? randomBytes(16).toString("hex");
  const serviceFabricHeader = options.serviceFabric?.identityHeader ?? randomBytes(16).toString("hex");
  const azureMlSecret = options.azureMl?.secret ?? randomBytes(16).toString("hex");
  // The cluster's token service has a certificate of its own, pinned by thumbprint, not trusted as a CA.
  const serviceFabricCertificate = sources.includes("servicefabric") ? createSelfSignedCertificate() : undefined;
  // Workload identity's federated credential is on a user-assigned identity (the system-assigned one without any).
  const workloadIdentity = identities.userAssigned[0] ?? identities.systemAssigned ?? undefined;
  if (sources.includes("workloadidentity") && workloadIdentity === undefined)
    throw new TypeError(
      "Workload identity needs an identity: give identities.userAssigned or identities.systemAssigned.",
    );
  const secrets = options.secrets ?? { "demo-secret": "Hello from the emulated Key Vault" };
  const challenges = sources.includes("arc")
    ? await ArcChallenges.create({
        tokenFolder: options.arc?.tokenFolder,
        realmFolder: options.arc?.realmFolder,
        ttlMs: options.arc?.challengeTtlMs ?? 60_000,
      })
    : undefined;
  let tokenFile: FederatedTokenFile | undefined;
  if (sources.includes("workloadidentity") && workloadIdentity) {
    const now = Math.floor(Date.now() / 1000);
    // A service account token as the cluster's OIDC issuer signs it, for the audience Entra expects.
    try {
      tokenFile = await writeFederatedTokenFile(
        signer.sign({
          aud: "api://AzureADTokenExchange",
          iss: "https://oidc.emulator.invalid/",
          iat: now,
          nbf: now,
          exp: now + 3600,
          tid: identities.tenantId,
          oid: workloadIdentity.objectId,
          sub: "system:serviceaccount:default:workload-identity-sa",
        }),
      );
    } catch (error) {
      // Nothing is left behind by a start that fails: the Arc challenge folder made just before goes too.
      await challenges?.close();
      throw error;
    }
  }

  const requests: EmulatorRequestRecord[] = [];
  const onRequest = (record: EmulatorRequestRecord): void => {
    requests.push(record);
    if (requests.length > MAX_RECORDS) requests.shift();
    options.onRequest?.(record);
  };
  const injectors = new Map<EmulatorEndpointName, FaultInjector>();
  const injector = (name: EmulatorEndpointName): FaultInjector => {
    const faults = options.endpointFaults?.[name] ?? (name === "keyvault" ? {} : options.faults);
    const created = new FaultInjector(faults ?? {});
    injectors.set(name, created);
    return created;
  };

  let vaultUrl = "";
  const behaviours: EndpointBehaviour[] = [
    keyVaultEndpoint({ signer, tenantId: identities.tenantId, vaultUrl: () => vaultUrl, secrets }),
  ];
  for (const source of sources) {
    if (source === "imds") behaviours.push(imdsEndpoint(issuer, resources));
    if (source === "arc" && challenges) {
      behaviours.push(
        arcEndpoint(issuer, challenges, resources, {
          ignoresUserAssignedIdentity: options.arc?.ignoresUserAssignedIdentity,
        }),
      );
    }
    if (source === "cloudshell") behaviours.push(cloudShellEndpoint(issuer, resources));
    if (source === "appservice") behaviours.push(appServiceEndpoint(issuer, identityHeader, resources));
    if (source === "servicefabric") behaviours.push(serviceFabricEndpoint(issuer, serviceFabricHeader, resources));
    if (source === "azureml") behaviours.push(azureMlEndpoint(issuer, azureMlSecret, resources));
    if (source === "workloadidentity" && tokenFile && workloadIdentity) {
      behaviours.push(
        entraTokenEndpoint(issuer, resources, { identity: workloadIdentity, federatedToken: tokenFile.token }),
      );
    }
  }

  const started = await Promise.allSettled(
    behaviours.map((behaviour) =>
      startEmulatedServer(behaviour, {
        host,
        port: options.ports?.[behaviour.name] ?? 0,
        faults: injector(behaviour.name),
        tls:
          behaviour.name === "keyvault"
            ? certificate
            : behaviour.name === "servicefabric"
              ? serviceFabricCertificate
              : undefined,
        onRequest,
        onError: options.onError ?? reportEmulatorError,
      }),
    ),
  );
  const servers = new Map<EmulatorEndpointName, EmulatedServer>();
  started.forEach((result, i) => {
    if (result.status === "fulfilled") servers.set(behaviours[i]!.name, result.value);
  });
  const failed = started.find((result): result is PromiseRejectedResult => result.status === "rejected");
  const closeAll = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((server) => server.close()));
    await challenges?.close();
    await tokenFile?.close();
  };
  if (failed) {
    await closeAll();
    throw failed.reason;
  }

  vaultUrl = `${servers.get("keyvault")!.origin}/`;
  const endpoints: EmulatorEndpoints = { keyvault: vaultUrl };
  for (const source of sources) endpoints[source] = `${servers.get(source)!.origin}${TOKEN_PATHS[source]}`;
  const env = emulatorEnvironment(endpoints, {
    appServiceHeader: identityHeader,
    serviceFabricHeader,
    // Hex without colons, as a cluster sets it (the library also accepts SHA-256, colons and any case).
    serviceFabricThumbprint: serviceFabricCertificate
      ? new X509Certificate(serviceFabricCertificate.cert).fingerprint.replace(/:/g, "")
      : "",
    azureMlSecret,
    workloadIdentity:
      tokenFile && workloadIdentity
        ? { tenantId: identities.tenantId, clientId: workloadIdentity.clientId, tokenFile: tokenFile.path }
        : undefined,
  });
  let closing: Promise<void> | undefined;

  return {
    endpoints,
    env,
    tokenFolder: challenges?.tokenFolder,
    keyVaultUrl: vaultUrl,
    ca: certificate.cert,
    serviceFabricCertificate: serviceFabricCertificate?.cert,
    identities,
    tokenSigningKey: signer.publicKeyPem,
    requests,
    setFaults(faults, endpoint) {
      for (const [name, faultInjector] of injectors) {
        if (endpoint === name || (endpoint === undefined && name !== "keyvault")) faultInjector.configure(faults);
      }
    },
    describe: () =>
      describeEmulator({ endpoints, env, tokenFolder: challenges?.tokenFolder, secretNames: Object.keys(secrets) }),
    close: () => (closing ??= closeAll()),
  };
}
