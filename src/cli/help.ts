import { SDK_VERSION } from "../constants.js";
import { EMULATED_SOURCE_TABLE, KEY_VAULT_PORT_OFFSET } from "../emulator/emulatedSources.js";
import { SOURCE_NAMES, SOURCES } from "../sources/index.js";

/** The program's name, as `npx` runs it. */
export const PROGRAM = "azure-managed-identity";

const EXIT_CODES = `Exit codes:
  0  success
  1  no token: the source was not found or failed (the message says why); the emulator could not start
  2  usage error: unknown command or option, bad value, options that cannot go together
  3  doctor found no managed identity source on this machine`;

const SOURCE_CHOICES = ["auto", ...SOURCE_NAMES].join("|");

/** Words joined into lines of at most `width` characters, every line after the first indented by `indent` spaces. */
function wrap(words: string[], indent: number, joiner = " ", width = 98): string {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && line.length + joiner.length + word.length > width - indent) {
      lines.push(`${line}${joiner.trimEnd()}`);
      line = word;
    } else line = line === "" ? word : `${line}${joiner}${word}`;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

/** "A, B and C". */
function listed(items: string[]): string {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)!}`;
}

/** Every source's title, in the registry's order. */
const SOURCE_TITLES = listed(SOURCES.map((source) => source.displayName));
const EMULATED_TITLES = listed(EMULATED_SOURCE_TABLE.map((source) => source.title));
const EMULATED_NAMES = EMULATED_SOURCE_TABLE.map((source) => source.name);
/** `--port-base`'s ports, in port order. */
const PORT_LIST = [
  ...EMULATED_SOURCE_TABLE.map((source) => ({ title: source.title, offset: source.portOffset })),
  { title: "Key Vault", offset: KEY_VAULT_PORT_OFFSET },
]
  .sort((a, b) => a.offset - b.offset)
  .map(({ title, offset }) => `${title} N${offset === 0 ? "" : `+${offset}`}`);

/** The top-level help. @internal */
export const MAIN_HELP = `${PROGRAM} ${SDK_VERSION} — Azure managed identity tokens from the command line

Usage:
  ${PROGRAM} <command> [options]
  ${PROGRAM} <command> --help

Commands:
  token     get a token from this machine's managed identity and print it
  doctor    report what this machine offers: variables, detected source, endpoints, a token's claims, fixes
  emulate   run local copies of every source's token endpoint and a Key Vault, for development:
            ${wrap(SOURCE_TITLES.split(" "), 12)}

Options:
  -h, --help     this help
  -v, --version  the version

${EXIT_CODES}

Nothing is ever sent through HTTP(S)_PROXY to a managed identity endpoint: they are on this machine.
`;

/** `token --help`. @internal */
export const TOKEN_HELP = `Usage: ${PROGRAM} token [options]

Gets an access token from this machine's managed identity and prints it, like
'az account get-access-token'. The token goes to stdout alone (or as JSON with --json);
messages go to stderr.

Options:
  --scope S             the scope, e.g. https://vault.azure.net/.default
  --resource R          or the resource, e.g. https://vault.azure.net
                        (default: https://management.azure.com/.default)
  --source S            ${SOURCE_CHOICES} (default: auto, detected as the
                        chain credential does: the environment first, and only when it names
                        no source, IMDS, probed last with --probe-timeout)
  --client-id ID        a user-assigned identity by client id,
  --object-id ID          or by object (principal) id,
  --resource-id ID        or by Azure resource id; at most one
  --endpoint URL        the token endpoint, in place of the environment's (needs --source)
  --token-folder DIR    Azure Arc: the agent's token folder (default /var/opt/azcmagent/tokens)
  --probe-timeout MS    how long the IMDS detection probe waits (default 1000)
  --timeout MS          give up after this long, retries included (default: the credential's retries)
  --json                print {"token", "expiresOn", "refreshAfter", "tokenType", "source", "scope"}
  -h, --help            this help

Examples:
  ${PROGRAM} token --resource https://vault.azure.net
  ${PROGRAM} token --source arc --scope https://storage.azure.com/.default --json
  curl -H "Authorization: Bearer $(${PROGRAM} token --resource https://vault.azure.net)" …

${EXIT_CODES}
`;

/** `doctor --help`. @internal */
export const DOCTOR_HELP = `Usage: ${PROGRAM} doctor [options]

Reports what this machine offers for managed identity: the environment variables seen (secrets
hidden), the source detected and why, each candidate endpoint's reachability with timings, whether
IMDS offers IMDSv2 (mTLS proof of possession), a token attempt and the token's decoded claims (never
the token itself), and for each failure the likely cause and the fix. Off Azure it finishes in about the probe timeout.

Options:
  --probe-timeout MS    how long to wait for each endpoint, IMDS probe included (default 1000)
  --json                the report as JSON, for scripts
  --source S            try this source for the token instead of the detected one (${SOURCE_CHOICES})
  --scope S, --resource R   what the token attempt asks for (default Azure Resource Manager)
  --client-id ID, --object-id ID, --resource-id ID   a user-assigned identity for the attempt
  --token-folder DIR    Azure Arc: the agent's token folder (default /var/opt/azcmagent/tokens)
  --timeout MS          how long the token attempt may take (default 10000)
  -h, --help            this help

${EXIT_CODES}
`;

/** `emulate --help`. @internal */
export const EMULATE_HELP = `Usage: ${PROGRAM} emulate [options]

${wrap(
  `Runs, in the foreground and on loopback only, faithful copies of the token endpoints of ${EMULATED_TITLES} (each on its own port), and an HTTPS Key Vault that accepts their tokens, then prints the environment variables that point a credential at each. Every request is logged on stderr. Ctrl+C (SIGINT), SIGTERM or SIGHUP (a closed terminal) stops it cleanly and removes the files it wrote.`.split(
    " ",
  ),
  0,
)}

Options:
  --sources LIST        which endpoints, comma-separated (default: all):
                        ${wrap(EMULATED_NAMES, 24, ",")}
  --fail LIST           answers to successive token requests, then normal ones: an HTTP status,
                        'hang' or 'reset' per request (a detection probe is never one of them);
                        503,503,200 is retried through by every source; 410 by IMDS only (the
                        other sources fail on it); an Arc challenge and its answer are two requests
  --retry-after S       a Retry-After header (seconds) on every injected 410, 429 and 5xx
  --latency MS          wait this long before every token answer (not the Key Vault's)
  --hang                accept every token request and never answer it
  --throttle-after N    answer 429 to every token request after the first N
  --port-base N         listen on fixed ports:
                        ${wrap(PORT_LIST, 24, ", ")}
                        (default: free ports chosen by the system)
  --token-folder DIR    Azure Arc: write challenge files here (default: a folder in the emulator's
                        private folder in the temp directory)
  --tokens-from SOURCE  'emulator' (default: tokens it signs for made-up identities) or 'azure-cli':
                        real tokens of your signed-in Azure CLI identity (az account
                        get-access-token), served by App Service and IMDS only; it prints the
                        lines that hand App Service's variables to a container
  --listen ADDRESS      App Service's endpoint listens on ADDRESS (0.0.0.0, 172.17.0.1) so that a
                        container can reach it; anyone who can reach it and has IDENTITY_HEADER
                        gets its tokens (default: loopback; the other endpoints stay there)
  --json                print the settings as one line of JSON (endpoints, env, tokenFolder,
                        keyVaultUrl, ca, identities) instead of the text
  -h, --help            this help

Examples:
  ${PROGRAM} emulate --fail 503,503,200 --retry-after 1
  ${PROGRAM} emulate --sources imds --fail 410,410,200 --retry-after 1
  ${PROGRAM} emulate --tokens-from azure-cli --listen 0.0.0.0

${EXIT_CODES}
`;
