import type { EmulatorEndpoints, EmulatedSourceName } from "./options.js";

/** The environment variables that point a credential at one emulated source. */
export type EmulatorEnvironment = Partial<Record<EmulatedSourceName, Record<string, string>>>;

/**
 * The variables each source reads, as Azure sets them on its hosts (each set on its own: Arc and
 * App Service both use `IDENTITY_ENDPOINT`).
 * @internal
 */
export function emulatorEnvironment(endpoints: EmulatorEndpoints, identityHeader: string): EmulatorEnvironment {
  const env: EmulatorEnvironment = {};
  if (endpoints.imds) env.imds = { AZURE_POD_IDENTITY_AUTHORITY_HOST: new URL(endpoints.imds).origin };
  if (endpoints.arc) env.arc = { IDENTITY_ENDPOINT: endpoints.arc, IMDS_ENDPOINT: new URL(endpoints.arc).origin };
  if (endpoints.cloudshell) env.cloudshell = { MSI_ENDPOINT: endpoints.cloudshell };
  if (endpoints.appservice)
    env.appservice = { IDENTITY_ENDPOINT: endpoints.appservice, IDENTITY_HEADER: identityHeader };
  return env;
}

const TITLES: Record<EmulatedSourceName, string> = {
  imds: "IMDS",
  arc: "Azure Arc",
  cloudshell: "Cloud Shell",
  appservice: "App Service",
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
