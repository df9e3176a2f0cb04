import { appServiceSource } from "./appService.js";
import { arcSource } from "./arc/arcSource.js";
import { azureMlSource } from "./azureMl.js";
import { cloudShellSource } from "./cloudShell.js";
import { imdsSource } from "./imds.js";
import { serviceFabricSource } from "./serviceFabric.js";
import type { ManagedIdentitySource, ManagedIdentitySourceName, SourceVariable } from "./source.js";
import { workloadIdentitySource } from "./workloadIdentity.js";

/**
 * The registry: every managed identity source, in the order detection checks them. The more specific
 * come first (Service Fabric sets App Service's variables too; Azure ML sets Cloud Shell's); IMDS, the
 * fallback when nothing else matches, comes last. Detection, the command line, the doctor, the demo and
 * the tests read this list; no other file lists sources.
 *
 * A new source is one file in this folder, one line here, one thin class in `src/credentials/`, and
 * its name in {@link ManagedIdentitySourceName}.
 * @internal
 */
export const MANAGED_IDENTITY_SOURCES = [
  serviceFabricSource,
  appServiceSource,
  azureMlSource,
  cloudShellSource,
  arcSource,
  workloadIdentitySource,
  imdsSource,
] as const;

type RegistryName = (typeof MANAGED_IDENTITY_SOURCES)[number]["name"];
// The public name union and the registry list the same sources: adding one to only one of them fails the typecheck.
const sameNames: [RegistryName] extends [ManagedIdentitySourceName]
  ? [ManagedIdentitySourceName] extends [RegistryName]
    ? true
    : never
  : never = true;
void sameNames;

/**
 * The registry as the shared machinery sees it: each source with the options every credential takes (a source's
 * own options are all optional, so none given is valid for each).
 * @internal
 */
export const SOURCES: readonly ManagedIdentitySource[] = MANAGED_IDENTITY_SOURCES;

/**
 * The names of every source, in detection order: the values of the command line's `--source`.
 * @internal
 */
export const SOURCE_NAMES: readonly ManagedIdentitySourceName[] = SOURCES.map((source) => source.name);

const byName = new Map(SOURCES.map((source) => [source.name, source]));

/**
 * The source of that name.
 * @internal
 */
export function sourceByName(name: ManagedIdentitySourceName): ManagedIdentitySource {
  return byName.get(name)!;
}

/**
 * The token endpoint a source uses when the environment alone configures it (no options), as its credential
 * would: what detection reports and the doctor checks.
 * @throws what the source's `configure` throws: `CredentialUnavailableError` when the environment names no
 * such source, `TypeError` when a variable is malformed.
 * @internal
 */
export function environmentEndpoint(source: ManagedIdentitySource, env: NodeJS.ProcessEnv): URL {
  return source.configure({}, env).endpoint;
}

/**
 * Every environment variable some source reads, each once, in registry order; `secret` when any
 * source treats it as one.
 * @internal
 */
export const SOURCE_VARIABLES: readonly SourceVariable[] = (() => {
  const variables = new Map<string, SourceVariable>();
  for (const source of SOURCES) {
    for (const variable of source.variables) {
      const known = variables.get(variable.name);
      if (known === undefined || variable.kind === "secret") variables.set(variable.name, { ...variable });
    }
  }
  return [...variables.values()];
})();
