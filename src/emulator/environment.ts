import type { EmulatorEndpoints, EmulatedSourceName } from "./options.js";

/** The environment variables that point a credential at one emulated source. */
export type EmulatorEnvironment = Partial<Record<EmulatedSourceName, Record<string, string>>>;

/** The secrets and names the emulated hosts set beside their endpoints. @internal */
export interface EmulatorSecrets {
  /** App Service's `IDENTITY_HEADER`. */
  appServiceHeader: string;
  /** Service Fabric's `IDENTITY_HEADER`. */
  serviceFabricHeader: string;
  /** Service Fabric's certificate thumbprint (SHA-1, hex, as a cluster sets it). */
  serviceFabricThumbprint: string;
  /** Azure ML's `MSI_SECRET`. */
  azureMlSecret: string;
  /** Workload identity: the tenant, the identity's client id and the federated token file. */
  workloadIdentity?: { tenantId: string; clientId: string; tokenFile: string };
}

/**
 * The variables each source reads, as Azure sets them on its hosts (each set on its own: Arc, App Service and
 * Service Fabric all use `IDENTITY_ENDPOINT`).
 * @internal
 */
export function emulatorEnvironment(endpoints: EmulatorEndpoints, secrets: EmulatorSecrets): EmulatorEnvironment {
  const env: EmulatorEnvironment = {};
  if (endpoints.imds) env.imds = { AZURE_POD_IDENTITY_AUTHORITY_HOST: new URL(endpoints.imds).origin };
  if (endpoints.arc) env.arc = { IDENTITY_ENDPOINT: endpoints.arc, IMDS_ENDPOINT: new URL(endpoints.arc).origin };
  if (endpoints.cloudshell) env.cloudshell = { MSI_ENDPOINT: endpoints.cloudshell };
  if (endpoints.appservice)
    env.appservice = { IDENTITY_ENDPOINT: endpoints.appservice, IDENTITY_HEADER: secrets.appServiceHeader };
  if (endpoints.servicefabric) {
    env.servicefabric = {
      IDENTITY_ENDPOINT: endpoints.servicefabric,
      IDENTITY_HEADER: secrets.serviceFabricHeader,
      IDENTITY_SERVER_THUMBPRINT: secrets.serviceFabricThumbprint,
    };
  }
  if (endpoints.azureml) env.azureml = { MSI_ENDPOINT: endpoints.azureml, MSI_SECRET: secrets.azureMlSecret };
  if (endpoints.workloadidentity && secrets.workloadIdentity) {
    env.workloadidentity = {
      AZURE_AUTHORITY_HOST: endpoints.workloadidentity,
      AZURE_TENANT_ID: secrets.workloadIdentity.tenantId,
      AZURE_CLIENT_ID: secrets.workloadIdentity.clientId,
      AZURE_FEDERATED_TOKEN_FILE: secrets.workloadIdentity.tokenFile,
    };
  }
  return env;
}

const TITLES: Record<EmulatedSourceName, string> = {
  imds: "IMDS",
  arc: "Azure Arc",
  cloudshell: "Cloud Shell",
  appservice: "App Service",
  servicefabric: "Service Fabric",
  azureml: "Azure ML",
  workloadidentity: "Workload identity",
};

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

/** What {@link describeEmulator} needs. @internal */
export interface EmulatorDescription {
  endpoints: EmulatorEndpoints;
  env: EmulatorEnvironment;
  tokenFolder: string | undefined;
  secretNames: string[];
}

/**
 * A human-readable summary: each endpoint, and the shell lines that point a credential at each
 * source (one source at a time), with `ArcCredential`'s `tokenFolder` option.
 */
export function describeEmulator({ endpoints, env, tokenFolder, secretNames }: EmulatorDescription): string {
  const lines = ["Azure managed identity emulator", ""];
  for (const source of Object.keys(TITLES) as EmulatedSourceName[]) {
    const url = endpoints[source];
    if (url) lines.push(`  ${TITLES[source].padEnd(12)} ${url}`);
  }
  lines.push(
    `  ${"Key Vault".padEnd(12)} ${endpoints.keyvault}  (secrets: ${secretNames.join(", ") || "none"}; self-signed certificate)`,
  );
  lines.push("", "Point a credential at one source:");
  for (const source of Object.keys(TITLES) as EmulatedSourceName[]) {
    const vars = env[source];
    if (!vars) continue;
    const note =
      source === "arc" && tokenFolder ? ` — ArcCredential needs { tokenFolder: ${JSON.stringify(tokenFolder)} }` : "";
    lines.push(`  # ${TITLES[source]}${note}`);
    for (const [name, value] of Object.entries(vars)) lines.push(`  export ${name}=${quote(value)}`);
  }
  return lines.join("\n");
}
