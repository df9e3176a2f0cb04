import type { EmulatedAzureCliOptions } from "./azureCliTokens.js";
import type { EmulatorEndpointName, EmulatorRequestRecord } from "./emulatedServer.js";
import type { FaultOptions } from "./faults.js";
import type { EmulatedIdentities } from "./identities.js";

/**
 * The managed identity sources the emulator can serve: those of the library's registry
 * (spelled out for the API report; the emulator's table must have exactly these).
 */
export type EmulatedSourceName =
  "imds" | "arc" | "cloudshell" | "appservice" | "servicefabric" | "azureml" | "workloadidentity";

/** Options of the emulated Arc agent. */
export interface EmulatedArcOptions {
  /**
   * The folder the challenge files are written to; give the same folder to `ArcCredential` as its
   * `tokenFolder`. Default: a new private temporary folder, removed when the emulator closes. A folder
   * that does not exist is made (mode 0700), and what the emulator made is removed when it closes.
   */
  tokenFolder?: string;
  /**
   * The folder named in the challenge, when the client sees the files under another path than
   * `tokenFolder` (a container with the folder bind-mounted at `/var/opt/azcmagent/tokens`).
   * Default: `tokenFolder`.
   */
  realmFolder?: string;
  /** How long an unanswered challenge file lives, in milliseconds. Default: 60 s. */
  challengeTtlMs?: number | undefined;
  /**
   * How many unanswered challenge files may wait at once; beyond it the oldest is removed (and its secret no
   * longer accepted), so a flood of unauthenticated requests cannot fill the disk. Default: 256.
   */
  maxPendingChallenges?: number | undefined;
  /** Behave like an agent too old for user-assigned identities: ignore them, answer with the system-assigned one. */
  ignoresUserAssignedIdentity?: boolean;
}

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** The sources to serve. Default: all of them. The Key Vault is always served. */
  sources?: EmulatedSourceName[];
  /** The loopback address to listen on: `127.0.0.1` (default), `::1` or `localhost`. Nothing else is accepted. */
  host?: string;
  /**
   * The address App Service's endpoint listens on, when a container or another machine must reach it
   * (`0.0.0.0`, the Docker bridge's `172.17.0.1`): anyone who can reach it and presents `IDENTITY_HEADER` gets its
   * tokens, so `describe()` says so. The other endpoints stay on `host`. Default: `host`.
   */
  listen?: string;
  /**
   * Where the tokens come from: `"emulator"` (default), tokens the emulator signs for its made-up identities; or
   * `"azure-cli"`, real tokens of the developer's signed-in Azure CLI identity (`az account get-access-token`),
   * served by App Service's and IMDS's protocols only (the ones every Azure SDK reads). See {@link EmulatedAzureCliOptions}.
   */
  tokensFrom?: "emulator" | "azure-cli";
  /** How the Azure CLI is run, with `tokensFrom: "azure-cli"`. */
  azureCli?: EmulatedAzureCliOptions;
  /** A port per endpoint; `0` or absent lets the system choose a free one. */
  ports?: Partial<Record<EmulatorEndpointName, number>>;
  /** Faults injected by every token endpoint (not the Key Vault). */
  faults?: FaultOptions;
  /** Faults for one endpoint, in place of {@link EmulatorOptions.faults}. */
  endpointFaults?: Partial<Record<EmulatorEndpointName, FaultOptions>>;
  /** The tenant and identities. Default: fresh ids, a system-assigned identity and one user-assigned identity. */
  identities?: Partial<EmulatedIdentities>;
  /** The lifetime of every token, in seconds. Default: 24 hours, as Azure's managed identity tokens. */
  tokenLifetimeSeconds?: number;
  /** The Key Vault's secrets, name → value. Default: one secret, `demo-secret`. */
  secrets?: Record<string, string>;
  /** The Arc agent. */
  arc?: EmulatedArcOptions;
  /** The App Service endpoint. */
  appService?: {
    /** The `IDENTITY_HEADER` secret. Default: random. */
    identityHeader?: string;
  };
  /** The Service Fabric token service. */
  serviceFabric?: {
    /** The `IDENTITY_HEADER` secret (sent as the `secret` header). Default: random. */
    identityHeader?: string;
  };
  /** The Azure ML identity endpoint. */
  azureMl?: {
    /** The `MSI_SECRET` secret (sent as the `secret` header). Default: random. */
    secret?: string;
  };
  /**
   * Resources Microsoft Entra ID does not know in the emulated tenant: every token endpoint answers them
   * `400 invalid_resource` with Entra's `AADSTS500011` description, as it answers a resource that is not
   * an absolute URI (`vault`) or an app ID. Compared without regard to case or a trailing slash. Use it to
   * test a client's fallback (Cosmos DB retries `https://cosmos.azure.com` when its account's resource is refused).
   */
  unknownResources?: string[];
  /** Called for every request answered (never with a header, a body or a secret). */
  onRequest?: (record: EmulatorRequestRecord) => void;
  /**
   * Called when the emulator itself fails while answering (a bug, or its token folder deleted under it);
   * the request is answered `500` with the error code `emulator_error`. Default: the error is written to stderr.
   */
  onError?: (error: unknown, endpoint: EmulatorEndpointName) => void;
}

/**
 * What the credential of one source needs to use the emulator, from `emulator.credentialOptions(source)`: pass it
 * to the credential's constructor whole (it has only the keys that credential takes).
 */
export interface EmulatorCredentialOptions {
  /** The token endpoint. Absent for workload identity: its authority host is `env.AZURE_AUTHORITY_HOST`. */
  endpoint?: string;
  /** The variables the source reads, as its host sets them: the credential's `env` option, in place of `process.env`. */
  env: Record<string, string>;
  /** Azure Arc only: the emulator's challenge folder, `ArcCredential`'s `tokenFolder` option. */
  tokenFolder?: string;
}

/** The URL of each running endpoint. */
export interface EmulatorEndpoints {
  /** IMDS's token URL. */
  imds?: string;
  /** The Arc agent's token URL. */
  arc?: string;
  /** Cloud Shell's token URL. */
  cloudshell?: string;
  /** The App Service identity endpoint. */
  appservice?: string;
  /** The Service Fabric token service (HTTPS, its own self-signed certificate). */
  servicefabric?: string;
  /** The Azure ML identity endpoint. */
  azureml?: string;
  /** The Microsoft Entra authority host that workload identity exchanges its federated token at. */
  workloadidentity?: string;
  /** The Key Vault's URL (HTTPS). */
  keyvault: string;
}
