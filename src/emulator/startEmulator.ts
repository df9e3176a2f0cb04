import { isIP } from "node:net";
import {
  EMULATED_SOURCE_TABLE,
  EMULATED_SOURCES,
  emulatedSource,
  type EmulatedSource,
  type EmulatedSourceRun,
} from "./emulatedSources.js";
import {
  type EmulatedServer,
  type EmulatorEndpointName,
  type EmulatorRequestRecord,
  type EndpointBehaviour,
  startEmulatedServer,
} from "./emulatedServer.js";
import { describeEmulator, type EmulatorEnvironment } from "./environment.js";
import { FaultInjector, type FaultOptions, isTokenRequest } from "./faults.js";
import { defaultIdentities, type EmulatedIdentities } from "./identities.js";
import { keyVaultEndpoint } from "./keyVaultEndpoint.js";
import type { EmulatedSourceName, EmulatorCredentialOptions, EmulatorEndpoints, EmulatorOptions } from "./options.js";
import { ResourceCheck } from "./resourceCheck.js";
import { createSelfSignedCertificate, type SelfSignedCertificate } from "./selfSignedCertificate.js";
import { TokenIssuer, type TokenSource } from "./tokenIssuer.js";
import { AzureCliIssuer } from "./azureCliIssuer.js";
import { AzureCliTokens } from "./azureCliTokens.js";
import { containerInstructions, exposureWarning, isLoopbackAddress } from "./containerInstructions.js";
import { TokenSigner } from "./tokenSigner.js";
import { createWorkFolder } from "./workFolder.js";

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
  /**
   * Everything the credential of one source needs to use its emulated endpoint, in one object to pass to its
   * constructor: `env` (the variables that source reads, as its host sets them: the credential's `env` option,
   * so `process.env` is never touched), the `endpoint` (not for workload identity, whose authority host is in
   * `env`) and Arc's `tokenFolder`. Add options of your own by spreading it.
   * @example `new ServiceFabricCredential(emulator.credentialOptions("servicefabric"))`
   * @throws `TypeError` when the source is not served by this emulator.
   */
  credentialOptions(source: EmulatedSourceName): EmulatorCredentialOptions;
  /** Service Fabric's self-signed certificate, PEM (`env.servicefabric.IDENTITY_SERVER_THUMBPRINT` is its SHA-1 thumbprint). `undefined` when Service Fabric is not served. */
  serviceFabricCertificate: string | undefined;
  /**
   * Stops every endpoint, ends hung requests, and removes what the emulator wrote: its private folder in the
   * temp directory (the challenge files, the federated token file), and a `tokenFolder` (or the part of it) it made.
   * The folder also goes when the process exits or gets SIGINT, SIGTERM or SIGHUP without `close()`, and a folder
   * left by a process killed outright is removed by the next emulator that starts.
   */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"]);
/** Addresses that listen on every interface. */
const WILDCARD = new Set(["0.0.0.0", "::"]);

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
 * const credential = new ImdsCredential(emulator.credentialOptions("imds"));
 * const token = await credential.getToken("https://vault.azure.net/.default");
 * await emulator.close();
 * ```
 * @throws `TypeError` when `host` is not a loopback address; the listen error when a given port is taken.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  if (!LOOPBACK_HOSTS.has(host))
    throw new TypeError(`The emulator listens on loopback only (127.0.0.1, ::1, localhost), not '${host}'.`);
  const azureCli = options.tokensFrom === "azure-cli";
  if (options.tokensFrom !== undefined && options.tokensFrom !== "emulator" && !azureCli)
    throw new TypeError(`tokensFrom is "emulator" or "azure-cli", not '${String(options.tokensFrom)}'.`);
  const listen = options.listen ?? host;
  const loopbackUrlHost = host.includes(":") ? `[${host}]` : host;
  if (!LOOPBACK_HOSTS.has(listen) && isIP(listen) === 0)
    throw new TypeError(`listen is an IP address to listen on (0.0.0.0, 172.17.0.1, ::), not '${listen}'.`);
  // The Azure CLI mode serves the protocols every Azure SDK reads, and only them.
  const table: readonly EmulatedSource[] = EMULATED_SOURCE_TABLE;
  const offered = azureCli ? table.filter((source) => source.azureCli) : table;
  const served: EmulatedSource[] = [];
  for (const name of new Set(options.sources ?? offered.map((source) => source.name))) {
    const source = emulatedSource(name);
    if (source === undefined)
      throw new TypeError(`Unknown source '${name}'; the emulator serves ${EMULATED_SOURCES.join(", ")}.`);
    if (azureCli && !source.azureCli)
      throw new TypeError(
        `With tokens from the Azure CLI the emulator serves ${offered.map((s) => s.title).join(" and ")} only, not ${source.title}.`,
      );
    served.push(source);
  }
  // In the table's (the registry's) order, whatever the order asked for.
  served.sort((a, b) => EMULATED_SOURCES.indexOf(a.name) - EMULATED_SOURCES.indexOf(b.name));

  // The RSA key is generated off the main thread while the (fast, EC) certificates are made here.
  const signing = TokenSigner.create();
  const certificate = createSelfSignedCertificate();
  const signer = await signing;
  const identities = defaultIdentities(options.identities);
  const issuer = new TokenIssuer(signer, identities, options.tokenLifetimeSeconds ?? 24 * 60 * 60);
  const tokens: TokenSource = azureCli ? new AzureCliIssuer(new AzureCliTokens(options.azureCli)) : issuer;
  const resources = new ResourceCheck(tokens.identities.tenantId, options.unknownResources);
  const secrets = options.secrets ?? { "demo-secret": "Hello from the emulated Key Vault" };

  const folder = await createWorkFolder();
  const runs = new Map<EmulatedSourceName, EmulatedSourceRun>();
  const certificates = new Map<EmulatedSourceName, SelfSignedCertificate>();
  const servers = new Map<EmulatorEndpointName, EmulatedServer>();
  const closeAll = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((server) => server.close()));
    await Promise.all([...runs.values()].map((run) => run.close?.()));
    await folder.remove();
  };
  try {
    for (const source of served) {
      // A source's own certificate (Service Fabric's cluster certificate is pinned by thumbprint, not trusted as a CA).
      const ownCertificate = source.tls ? createSelfSignedCertificate() : undefined;
      if (ownCertificate) certificates.set(source.name, ownCertificate);
      runs.set(
        source.name,
        await source.start({
          issuer,
          tokens,
          signer,
          resources,
          options,
          folder: folder.path,
          certificate: ownCertificate,
        }),
      );
    }
  } catch (error) {
    // Nothing is left behind by a start that fails: what the sources before wrote goes too.
    await closeAll();
    throw error;
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
  const endpoints: { behaviour: EndpointBehaviour; tls?: SelfSignedCertificate; address: string }[] = [
    {
      behaviour: keyVaultEndpoint({ signer, tenantId: identities.tenantId, vaultUrl: () => vaultUrl, secrets }),
      tls: certificate,
      address: host,
    },
    ...served.map((source) => ({
      behaviour: runs.get(source.name)!.behaviour,
      tls: certificates.get(source.name),
      // Only an endpoint whose every request carries a secret may listen beyond loopback.
      address: source.mayListenBeyondLoopback ? listen : host,
    })),
  ];
  const started = await Promise.allSettled(
    endpoints.map(({ behaviour, tls, address }) =>
      startEmulatedServer(behaviour, {
        host: address,
        port: options.ports?.[behaviour.name] ?? 0,
        faults: injector(behaviour.name),
        // A token endpoint's faults are for token requests: a detection probe or a platform metadata GET is
        // answered as the real endpoint would, and consumes no step. The Key Vault's apply to every request.
        faultsApplyTo: behaviour.name === "keyvault" ? undefined : isTokenRequest,
        tls,
        onRequest,
        onError: options.onError ?? reportEmulatorError,
      }),
    ),
  );
  started.forEach((result, i) => {
    if (result.status === "fulfilled") servers.set(endpoints[i]!.behaviour.name, result.value);
  });
  const failed = started.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) {
    await closeAll();
    throw failed.reason;
  }

  vaultUrl = `${servers.get("keyvault")!.origin}/`;
  const urls: EmulatorEndpoints = { keyvault: vaultUrl };
  const env: EmulatorEnvironment = {};
  for (const source of served) {
    // An endpoint on every address (0.0.0.0, ::) is reached from here through loopback.
    const server = servers.get(source.name)!;
    const origin =
      WILDCARD.has(listen) && source.mayListenBeyondLoopback
        ? server.origin.replace(/\/\/.*:(\d+)$/, `//${loopbackUrlHost}:$1`)
        : server.origin;
    const url = `${origin}${source.tokenPath}`;
    urls[source.name] = url;
    env[source.name] = runs.get(source.name)!.environment(url);
  }
  const tokenFolder = runs.get("arc")?.tokenFolder;
  let closing: Promise<void> | undefined;

  return {
    endpoints: urls,
    env,
    tokenFolder,
    keyVaultUrl: vaultUrl,
    ca: certificate.cert,
    serviceFabricCertificate: certificates.get("servicefabric")?.cert,
    identities,
    tokenSigningKey: signer.publicKeyPem,
    requests,
    setFaults(faults, endpoint) {
      for (const [name, faultInjector] of injectors) {
        if (endpoint === name || (endpoint === undefined && name !== "keyvault")) faultInjector.configure(faults);
      }
    },
    credentialOptions(name) {
      const run = runs.get(name);
      const url = urls[name];
      if (run === undefined || url === undefined)
        throw new TypeError(
          `This emulator does not serve '${String(name)}'; it serves ${[...runs.keys()].join(", ") || "no source"}.`,
        );
      // Only the keys the source's credential takes: our credentials refuse an option they do not know.
      return { ...(run.credentialOptions?.(url) ?? { endpoint: url }), env: { ...env[name] } };
    },
    describe: () => {
      const text = describeEmulator({
        // In port order, as they have always been printed (IMDS first; the later sources after the Key Vault's port).
        sources: [...served]
          .sort((a, b) => a.portOffset - b.portOffset)
          .map((source) => ({
            title: source.title,
            url: urls[source.name]!,
            env: env[source.name]!,
            ...(runs.get(source.name)!.note !== undefined && { note: runs.get(source.name)!.note }),
          })),
        keyVaultUrl: vaultUrl,
        secretNames: Object.keys(secrets),
      });
      if (!azureCli || urls.appservice === undefined) return text;
      // Real tokens: what to hand a container, and what listening beyond loopback exposes.
      const notes = [
        "Tokens: the Azure CLI's signed-in identity (az account get-access-token); a user-assigned identity is refused.",
        containerInstructions({
          appServiceUrl: urls.appservice,
          identityHeader: env.appservice!["IDENTITY_HEADER"]!,
          listen,
        }),
      ];
      if (!isLoopbackAddress(listen)) notes.push(exposureWarning(listen, servers.get("appservice")!.port));
      return [text, ...notes].join("\n\n");
    },
    close: () => (closing ??= closeAll()),
  };
}
