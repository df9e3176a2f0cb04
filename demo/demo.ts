import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { SecretClient } from "@azure/keyvault-secrets";
import {
  emulatedKeyVaultClientOptions,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from "../src/emulator/index.js";
import {
  AppServiceCredential,
  ArcCredential,
  AzureMLCredential,
  CloudShellCredential,
  detectManagedIdentity,
  ImdsCredential,
  ManagedIdentityChainCredential,
  type ManagedIdentitySourceName,
  ServiceFabricCredential,
  WorkloadIdentityCredential,
} from "../src/index.js";
import { SOURCE_NAMES, SOURCE_VARIABLES as SOURCE_VARIABLE_LIST } from "../src/sources/index.js";
import { Reporter } from "./reporter.js";

/** Options of {@link runDemo}. @internal */
export interface DemoOptions {
  /** Against this machine's real endpoints, without the emulator. */
  real?: boolean;
  /** `--real`: the vault to read from (default: `KEY_VAULT_URL`); without one, only tokens are fetched. */
  vaultUrl?: string;
  /** The secret to read. Default: `demo-secret` (`SECRET_NAME` with `--real`). */
  secretName?: string;
  /** Where the lines go. Default: stdout. */
  write?: (line: string) => void;
  /** Options of the emulator (tests inject faults with them). */
  emulatorOptions?: EmulatorOptions;
}

const SCOPE = "https://vault.azure.net/.default";
const DEMO_SECRET = "demo-secret";

/** Every variable that selects a managed identity source (the registry's): cleared around the emulated scenarios. */
const SOURCE_VARIABLES = SOURCE_VARIABLE_LIST.map((variable) => variable.name);

interface Scenario {
  credentialName: string;
  /** The host it stands for. */
  host: string;
  /** The source the credential serves; the chain serves whichever is found. */
  source: ManagedIdentitySourceName | "any";
  /** Emulated: the environment that host sets. */
  env?: Record<string, string>;
  create(): TokenCredential;
}

function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A `TokenCredential` may answer `null`; ours never do, but the demo takes any credential. */
async function tokenOf(pending: Promise<AccessToken | null>): Promise<AccessToken> {
  const token = await pending;
  if (token === null) throw new Error("the credential gave no token");
  return token;
}

/** A detection reason, cut to its first clause when it lists everything that was checked. */
function brief(reason: string): string {
  const cut = reason.indexOf("; ");
  return reason.length > 120 && cut > 0 ? `${reason.slice(0, cut)}; …` : reason;
}

const short = (id: unknown): string => (typeof id === "string" && id.length > 13 ? `${id.slice(0, 8)}…` : String(id));

/** Sets exactly `vars` among the source variables, and returns how to put the old values back. */
function useEnvironment(vars: Record<string, string>): () => void {
  const saved = SOURCE_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of SOURCE_VARIABLES) delete process.env[name];
  Object.assign(process.env, vars);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** One credential per source: a source the registry gains without a line here fails the typecheck. */
const SOURCE_CREDENTIALS: Record<
  ManagedIdentitySourceName,
  { credentialName: string; host: string; create(tokenFolder: string | undefined): TokenCredential }
> = {
  imds: { credentialName: "ImdsCredential", host: "an Azure VM", create: () => new ImdsCredential() },
  arc: {
    credentialName: "ArcCredential",
    host: "an Azure Arc-enabled server",
    create: (tokenFolder) => new ArcCredential({ tokenFolder }),
  },
  cloudshell: {
    credentialName: "CloudShellCredential",
    host: "Azure Cloud Shell",
    create: () => new CloudShellCredential(),
  },
  appservice: {
    credentialName: "AppServiceCredential",
    host: "Azure App Service",
    create: () => new AppServiceCredential(),
  },
  servicefabric: {
    credentialName: "ServiceFabricCredential",
    host: "a Service Fabric application",
    create: () => new ServiceFabricCredential(),
  },
  azureml: {
    credentialName: "AzureMLCredential",
    host: "Azure Machine Learning compute",
    create: () => new AzureMLCredential(),
  },
  workloadidentity: {
    credentialName: "WorkloadIdentityCredential",
    host: "an AKS pod with workload identity",
    create: () => new WorkloadIdentityCredential(),
  },
};

/** Every credential the demo goes through, four to a line. */
const DEMO_CREDENTIALS = [
  ...SOURCE_NAMES.map((name) => SOURCE_CREDENTIALS[name].credentialName),
  "ManagedIdentityChainCredential",
]
  .map((name, i, all) => `${name}${i < all.length - 1 ? "," : ""}${i % 4 === 3 ? "\n  " : " "}`)
  .join("")
  .trimEnd();

/** `npm start -- --help`: the credentials it goes through, from the table above (so never fewer than the registry's). */
export const DEMO_HELP = `Usage: npm start [-- --real [--vault-url URL] [--secret NAME]]

Starts the managed identity emulator in this process, then, with each of the ${SOURCE_NAMES.length} sources'
credentials and the chain:
  ${DEMO_CREDENTIALS}
detects the source, gets a token, and reads a secret with @azure/keyvault-secrets' SecretClient.

  --real            no emulator: use this machine's real endpoints (on an Azure host)
  --vault-url URL   with --real, the vault to read (default: KEY_VAULT_URL)
  --secret NAME     the secret to read (default: demo-secret, or SECRET_NAME with --real)
  --help            this text
`;

/** The order the demo goes through the sources: the classic hosts first, then the registry's others. */
const DEMO_ORDER: readonly ManagedIdentitySourceName[] = [
  "imds",
  "arc",
  "cloudshell",
  ...SOURCE_NAMES.filter((name) => !["imds", "arc", "cloudshell"].includes(name)),
];

function emulatedScenarios(emulator: Emulator, arcAgentPath: string): Scenario[] {
  const tokenFolder = emulator.tokenFolder;
  return [
    ...DEMO_ORDER.filter((source) => emulator.env[source] !== undefined).map((source) => ({
      ...SOURCE_CREDENTIALS[source],
      source,
      env: emulator.env[source],
      create: () => SOURCE_CREDENTIALS[source].create(tokenFolder),
    })),
    {
      credentialName: "ManagedIdentityChainCredential",
      host: "whatever it detects: here the Azure Arc-enabled server",
      source: "any",
      env: emulator.env.arc,
      create: () => new ManagedIdentityChainCredential({ tokenFolder, arcAgentPath }),
    },
  ];
}

function realScenarios(): Scenario[] {
  return [
    ...DEMO_ORDER.map((source) => ({
      ...SOURCE_CREDENTIALS[source],
      source,
      create: () => SOURCE_CREDENTIALS[source].create(undefined),
    })),
    {
      credentialName: "ManagedIdentityChainCredential",
      host: "whatever it detects",
      source: "any",
      create: () => new ManagedIdentityChainCredential(),
    },
  ];
}

/**
 * The end-to-end demo: starts the emulator in this process (unless `real`), then, for each source's credential
 * (IMDS, Arc, Cloud Shell, App Service, Service Fabric, Azure ML, workload identity) and
 * `ManagedIdentityChainCredential`,
 * detects the source, gets a token, gets it again from the cache, and reads a secret with the real
 * `@azure/keyvault-secrets` `SecretClient`, printing every step and the time it took.
 *
 * @returns the exit code: 0 when every step that ran succeeded (with `real`: and at least one credential got a token).
 * @internal
 */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const report = new Reporter(options.write);
  const started = performance.now();
  const real = options.real === true;
  const secretName = options.secretName ?? (real ? process.env["SECRET_NAME"] || DEMO_SECRET : DEMO_SECRET);

  let emulator: Emulator | undefined;
  let vaultUrl: string | undefined;
  let clientOptions: ReturnType<typeof emulatedKeyVaultClientOptions> | Record<string, never> = {};
  let scenarios: Scenario[];
  // The emulated hosts are not Arc servers, whatever this machine is: detection must not find a real agent.
  const noAgent = path.join(os.tmpdir(), "azure-managed-identity-demo-no-himds");

  if (real) {
    report.line("azure-managed-identity demo against this machine's real managed identity endpoints (--real)");
    report.line();
    vaultUrl = options.vaultUrl ?? process.env["KEY_VAULT_URL"];
    if (!vaultUrl) report.line("  (no --vault-url or KEY_VAULT_URL: tokens only, no secret read)");
    scenarios = realScenarios();
  } else {
    report.line(
      "azure-managed-identity demo on the local emulator (npm start -- --real runs it against this machine's real endpoints)",
    );
    report.line();
    emulator = await report.step(
      "start the emulator",
      () => startEmulator(options.emulatorOptions),
      (e) =>
        `IMDS, Azure Arc, Cloud Shell, App Service, Service Fabric, Azure ML, workload identity's Entra and an HTTPS Key Vault on 127.0.0.1 (vault ${e.keyVaultUrl})`,
    );
    if (emulator === undefined) return 1;
    vaultUrl = emulator.keyVaultUrl;
    clientOptions = emulatedKeyVaultClientOptions(emulator.ca);
    scenarios = emulatedScenarios(emulator, noAgent);
  }

  let detected: ManagedIdentitySourceName | "none" | undefined;
  let succeeded = 0;
  try {
    for (const scenario of scenarios) {
      report.line();
      const envText = scenario.env ? ` (${Object.keys(scenario.env).join(", ")} set by the emulator)` : "";
      report.line(`${scenario.credentialName} — ${scenario.host}${envText}`);
      const restore = scenario.env ? useEnvironment(scenario.env) : () => undefined;
      try {
        if (scenario.env || detected === undefined) {
          const detection = await report.step(
            "detect",
            () => detectManagedIdentity(scenario.env ? { arcAgentPath: noAgent } : {}),
            (d) => `${d.source} — ${brief(d.reason)}`,
          );
          detected = detection?.source;
        }
        if (real && scenario.source !== "any" && detected !== scenario.source) {
          report.line(
            `  – skipped: this machine offers ${detected ?? "nothing that was detected"}, not ${scenario.source}`,
          );
          continue;
        }
        const credential = scenario.create();
        const token = await report.step(
          `getToken("${SCOPE}")`,
          () => tokenOf(credential.getToken(SCOPE, { abortSignal: AbortSignal.timeout(120_000) })),
          (t) => {
            const claims = claimsOf(t.token);
            return `aud ${String(claims["aud"])}, oid ${short(claims["oid"])}, expires ${new Date(t.expiresOnTimestamp).toISOString()}`;
          },
        );
        if (token === undefined) continue;
        await report.step(
          "getToken again",
          () => tokenOf(credential.getToken(SCOPE)),
          (t) => (t.token === token.token ? "the same token, from the cache" : "a new token"),
        );
        if (vaultUrl === undefined) {
          succeeded++;
          continue;
        }
        const client = new SecretClient(vaultUrl, credential, clientOptions);
        const secret = await report.step(
          `SecretClient.getSecret("${secretName}")`,
          () => client.getSecret(secretName),
          (s) =>
            real
              ? `version ${short(s.properties.version)}, ${s.value?.length ?? 0} characters` // never print a real secret
              : `"${s.value ?? ""}" (version ${short(s.properties.version)})`,
        );
        if (secret !== undefined) succeeded++;
      } finally {
        restore();
      }
    }
  } finally {
    if (emulator)
      await report.step(
        "stop the emulator",
        () => emulator.close(),
        () => "challenge files, federated token file and their folders removed",
      );
  }

  report.line();
  const total = Reporter.ms(performance.now() - started).trim();
  const what = vaultUrl === undefined ? "got a token" : "read the secret";
  if (report.failures === 0 && succeeded > 0) {
    report.line(`Done: ${succeeded} of ${scenarios.length} credentials ${what}, in ${total}.`);
    return 0;
  }
  report.line(
    `Failed: ${report.failures} step(s) failed; ${succeeded} of ${scenarios.length} credentials ${what}, in ${total}.`,
  );
  return 1;
}
