import { randomBytes, X509Certificate } from "node:crypto";
import path from "node:path";
import { APP_SERVICE_TOKEN_PATH, appServiceEndpoint } from "./appServiceEndpoint.js";
import { ArcChallenges } from "./arcChallenges.js";
import { arcEndpoint } from "./arcEndpoint.js";
import { AZURE_ML_TOKEN_PATH, azureMlEndpoint } from "./azureMlEndpoint.js";
import { CLOUD_SHELL_TOKEN_PATH, cloudShellEndpoint } from "./cloudShellEndpoint.js";
import type { EndpointBehaviour } from "./emulatedServer.js";
import { entraTokenEndpoint } from "./entraTokenEndpoint.js";
import { writeFederatedTokenFile } from "./federatedTokenFile.js";
import { IMDS_TOKEN_PATH, imdsEndpoint } from "./imdsEndpoint.js";
import type { EmulatedSourceName, EmulatorOptions } from "./options.js";
import type { ResourceCheck } from "./resourceCheck.js";
import type { SelfSignedCertificate } from "./selfSignedCertificate.js";
import { SERVICE_FABRIC_TOKEN_PATH, serviceFabricEndpoint } from "./serviceFabricEndpoint.js";
import type { TokenIssuer, TokenSource } from "./tokenIssuer.js";
import type { TokenSigner } from "./tokenSigner.js";

/** What a source's entry gets to set itself up. @internal */
export interface EmulatedSourceContext {
  /** The emulator's own signed tokens. */
  issuer: TokenIssuer;
  /** Where the sources that can serve the Azure CLI's tokens get theirs: `issuer`, or the Azure CLI in that mode. */
  tokens: TokenSource;
  signer: TokenSigner;
  resources: ResourceCheck;
  options: EmulatorOptions;
  /** The emulator's own private folder, for the files a source writes; removed when the emulator closes. */
  folder: string;
  /** The source's own certificate, when its entry says `tls`. */
  certificate: SelfSignedCertificate | undefined;
}

/** One source, set up for one emulator run. @internal */
export interface EmulatedSourceRun {
  behaviour: EndpointBehaviour;
  /** The variables Azure sets on such a host, given the URL the endpoint got. */
  environment(url: string): Record<string, string>;
  /** What a credential takes beyond `env`: by default `{ endpoint: url }`; the source's own options too. */
  credentialOptions?(url: string): { endpoint?: string; tokenFolder?: string };
  /** Arc's challenge folder. */
  tokenFolder?: string;
  /** What `describe()` adds to the source's title: what a credential needs beyond the variables. */
  note?: string;
  /** Removes what the source wrote. */
  close?(): Promise<void>;
}

/** One emulated source: the emulator is a loop over {@link EMULATED_SOURCE_TABLE}. @internal */
export interface EmulatedSource {
  name: EmulatedSourceName;
  /** Its title, for `describe()` and the help. */
  title: string;
  /** The token path under the endpoint's origin; `""` when the URL is an authority host (Microsoft Entra). */
  tokenPath: string;
  /** Served over HTTPS with a self-signed certificate of its own (pinned by thumbprint, not trusted as a CA). */
  tls: boolean;
  /** Its port's offset from `--port-base`; the Key Vault has {@link KEY_VAULT_PORT_OFFSET}. Never reused. */
  portOffset: number;
  /** Served in the Azure CLI mode (`tokensFrom: "azure-cli"`): the protocols every Azure SDK reads. */
  azureCli?: boolean;
  /** May listen beyond loopback (`listen`): App Service, whose every request carries a secret. */
  mayListenBeyondLoopback?: boolean;
  /** Makes its secrets and files, and the behaviour of its endpoint. */
  start(context: EmulatedSourceContext): Promise<EmulatedSourceRun> | EmulatedSourceRun;
}

/** The Key Vault's offset from `--port-base` (the sources after it came later, so earlier ports stay). @internal */
export const KEY_VAULT_PORT_OFFSET = 4;

const secret = (given: string | undefined): string => given ?? randomBytes(16).toString("hex");

/**
 * Every source the emulator serves, in the order of the library's registry (`src/sources/index.ts`; the emulator
 * imports nothing from the library, a test ties the names and token paths together). A new source is one entry.
 * @internal
 */
export const EMULATED_SOURCE_TABLE = [
  {
    name: "servicefabric",
    title: "Service Fabric",
    tokenPath: SERVICE_FABRIC_TOKEN_PATH,
    tls: true,
    portOffset: 5,
    start({ issuer, resources, options, certificate }) {
      const header = secret(options.serviceFabric?.identityHeader);
      // Hex without colons, as a cluster sets it (the library also accepts SHA-256, colons and any case).
      const thumbprint = new X509Certificate(certificate!.cert).fingerprint.replace(/:/g, "");
      return {
        behaviour: serviceFabricEndpoint(issuer, header, resources),
        environment: (url) => ({
          IDENTITY_ENDPOINT: url,
          IDENTITY_HEADER: header,
          IDENTITY_SERVER_THUMBPRINT: thumbprint,
        }),
      };
    },
  },
  {
    name: "appservice",
    title: "App Service",
    tokenPath: APP_SERVICE_TOKEN_PATH,
    tls: false,
    portOffset: 3,
    azureCli: true,
    mayListenBeyondLoopback: true,
    start({ tokens, resources, options }) {
      const header = secret(options.appService?.identityHeader);
      return {
        behaviour: appServiceEndpoint(tokens, header, resources),
        environment: (url) => ({ IDENTITY_ENDPOINT: url, IDENTITY_HEADER: header }),
      };
    },
  },
  {
    name: "azureml",
    title: "Azure ML",
    tokenPath: AZURE_ML_TOKEN_PATH,
    tls: false,
    portOffset: 6,
    start({ issuer, resources, options }) {
      const msiSecret = secret(options.azureMl?.secret);
      return {
        behaviour: azureMlEndpoint(issuer, msiSecret, resources),
        environment: (url) => ({ MSI_ENDPOINT: url, MSI_SECRET: msiSecret }),
      };
    },
  },
  {
    name: "cloudshell",
    title: "Cloud Shell",
    tokenPath: CLOUD_SHELL_TOKEN_PATH,
    tls: false,
    portOffset: 2,
    start: ({ issuer, resources }) => ({
      behaviour: cloudShellEndpoint(issuer, resources),
      environment: (url) => ({ MSI_ENDPOINT: url }),
    }),
  },
  {
    name: "arc",
    title: "Azure Arc",
    tokenPath: IMDS_TOKEN_PATH,
    tls: false,
    portOffset: 1,
    async start({ issuer, resources, options, folder }) {
      const challenges = await ArcChallenges.create({
        tokenFolder: options.arc?.tokenFolder ?? path.join(folder, "arc"),
        realmFolder: options.arc?.realmFolder,
        ttlMs: options.arc?.challengeTtlMs ?? 60_000,
        maxPending: options.arc?.maxPendingChallenges,
      });
      return {
        behaviour: arcEndpoint(issuer, challenges, resources, {
          ignoresUserAssignedIdentity: options.arc?.ignoresUserAssignedIdentity,
        }),
        environment: (url) => ({ IDENTITY_ENDPOINT: url, IMDS_ENDPOINT: new URL(url).origin }),
        credentialOptions: (url) => ({ endpoint: url, tokenFolder: challenges.tokenFolder }),
        tokenFolder: challenges.tokenFolder,
        note: `ArcCredential needs { tokenFolder: ${JSON.stringify(challenges.tokenFolder)} }`,
        close: () => challenges.close(),
      };
    },
  },
  {
    name: "workloadidentity",
    title: "Workload identity",
    tokenPath: "",
    tls: false,
    portOffset: 7,
    async start({ issuer, resources, signer, folder }) {
      const { tenantId } = issuer.identities;
      // The federated credential is on a user-assigned identity (the system-assigned one without any).
      const identity = issuer.identities.userAssigned[0] ?? issuer.identities.systemAssigned ?? undefined;
      if (identity === undefined)
        throw new TypeError(
          "Workload identity needs an identity: give identities.userAssigned or identities.systemAssigned.",
        );
      const now = Math.floor(Date.now() / 1000);
      // A service account token as the cluster's OIDC issuer signs it, for the audience Entra expects.
      const tokenFile = await writeFederatedTokenFile(
        folder,
        signer.sign({
          aud: "api://AzureADTokenExchange",
          iss: "https://oidc.emulator.invalid/",
          iat: now,
          nbf: now,
          exp: now + 3600,
          tid: tenantId,
          oid: identity.objectId,
          sub: "system:serviceaccount:default:workload-identity-sa",
        }),
      );
      return {
        behaviour: entraTokenEndpoint(issuer, resources, { identity, federatedToken: tokenFile.token }),
        environment: (url) => ({
          AZURE_AUTHORITY_HOST: url,
          AZURE_TENANT_ID: tenantId,
          AZURE_CLIENT_ID: identity.clientId,
          AZURE_FEDERATED_TOKEN_FILE: tokenFile.path,
        }),
        // The URL is the authority host, which the environment carries; `endpoint` would be the full token URL.
        credentialOptions: () => ({}),
        close: () => tokenFile.close(),
      };
    },
  },
  {
    name: "imds",
    title: "IMDS",
    tokenPath: IMDS_TOKEN_PATH,
    tls: false,
    portOffset: 0,
    azureCli: true,
    start: ({ tokens, resources }) => ({
      behaviour: imdsEndpoint(tokens, resources),
      environment: (url) => ({ AZURE_POD_IDENTITY_AUTHORITY_HOST: new URL(url).origin }),
    }),
  },
] as const satisfies readonly EmulatedSource[];

type TableName = (typeof EMULATED_SOURCE_TABLE)[number]["name"];
// Every name of the public union has an entry, and no entry another name: one of them alone fails the typecheck.
const everyName: [EmulatedSourceName] extends [TableName]
  ? [TableName] extends [EmulatedSourceName]
    ? true
    : never
  : never = true;
void everyName;

/** The names of every emulated source, in the table's (the registry's) order. @internal */
export const EMULATED_SOURCES: readonly EmulatedSourceName[] = EMULATED_SOURCE_TABLE.map((source) => source.name);

/** The entry of that name, or `undefined`. @internal */
export function emulatedSource(name: string): EmulatedSource | undefined {
  return (EMULATED_SOURCE_TABLE as readonly EmulatedSource[]).find((source) => source.name === name);
}
