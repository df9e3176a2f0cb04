import type { Library, Source } from "./spec.js";

/** The part of `TokenCredential` the benchmarks use; both libraries implement it. */
export interface Credential {
  getToken(
    scopes: string | string[],
    options?: { abortSignal?: AbortSignal; requestOptions?: { timeout?: number } },
  ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

type CredentialClass = new (options?: Record<string, unknown>) => Credential;

/** A loaded library module: credential classes by export name. */
export type LibraryModule = Record<string, CredentialClass | undefined>;

/** Imports a library from its built entry point (an absolute path). */
export async function loadLibrary(entry: string): Promise<LibraryModule> {
  return (await import(entry)) as LibraryModule;
}

const OUR_CLASSES: Record<Source, string> = {
  imds: "ImdsCredential",
  arc: "ArcCredential",
  cloudshell: "CloudShellCredential",
};

function required(module: LibraryModule, name: string): CredentialClass {
  const constructor = module[name];
  if (constructor === undefined) throw new Error(`the library exports no ${name}`);
  return constructor;
}

/**
 * The explicit credential for a source. Both libraries find their endpoint in the same environment
 * variables, set by the harness; `tokenFolder` is given to ours only when the Arc fake cannot write
 * to the agent's real folder (then theirs has no Arc figures).
 */
export function explicitCredential(
  library: Library,
  module: LibraryModule,
  source: Source,
  tokenFolder?: string,
): Credential {
  if (library === "theirs") return new (required(module, "ManagedIdentityCredential"))();
  const options = source === "arc" && tokenFolder !== undefined ? { tokenFolder } : {};
  return new (required(module, OUR_CLASSES[source]))(options);
}

/**
 * The chain-style credential: ours `ManagedIdentityChainCredential` (when the package has it), theirs
 * `DefaultAzureCredential` (the harness sets `AZURE_TOKEN_CREDENTIALS=prod`: environment, workload
 * identity, managed identity; no developer tools).
 * @returns `undefined` when the library has no such credential.
 */
export function chainCredential(library: Library, module: LibraryModule): Credential | undefined {
  const name = library === "ours" ? "ManagedIdentityChainCredential" : "DefaultAzureCredential";
  const constructor = module[name];
  return constructor === undefined ? undefined : new constructor();
}

/** The scope every benchmark asks for first. */
export const SCOPE = "https://vault.azure.net/.default";

/** The n-th scope of a series of distinct resources. */
export function nthScope(n: number): string {
  return `https://resource-${n}.example.com/.default`;
}
