import { SDK_VERSION } from "../constants.js";
import { SOURCE_NAMES } from "../sources/index.js";

/** The program's name, as `npx` runs it. */
export const PROGRAM = "azure-managed-identity";

const EXIT_CODES = `Exit codes:
  0  success
  1  no token: the source was not found or failed (the message says why); the emulator could not start
  2  usage error: unknown command or option, bad value, options that cannot go together
  3  doctor found no managed identity source on this machine`;

const SOURCES = ["auto", ...SOURCE_NAMES].join("|");

/** The top-level help. @internal */
export const MAIN_HELP = `${PROGRAM} ${SDK_VERSION} — Azure managed identity tokens from the command line

Usage:
  ${PROGRAM} <command> [options]
  ${PROGRAM} <command> --help

Commands:
  token     get a token from this machine's managed identity and print it
  doctor    report what this machine offers: variables, detected source, endpoints, a token's claims, fixes
  emulate   run local IMDS, Azure Arc, Cloud Shell and App Service endpoints and a Key Vault, for development

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
  --source S            ${SOURCES} (default: auto, detected as the
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
  --source S            try this source for the token instead of the detected one (${SOURCES})
  --scope S, --resource R   what the token attempt asks for (default Azure Resource Manager)
  --client-id ID, --object-id ID, --resource-id ID   a user-assigned identity for the attempt
  --token-folder DIR    Azure Arc: the agent's token folder (default /var/opt/azcmagent/tokens)
  --timeout MS          how long the token attempt may take (default 10000)
  -h, --help            this help

${EXIT_CODES}
`;

/** `emulate --help`. @internal */
export const EMULATE_HELP = `Usage: ${PROGRAM} emulate [options]

Runs, in the foreground and on loopback only, faithful copies of the IMDS, Azure Arc (with its file
challenge), Cloud Shell and App Service token endpoints and an HTTPS Key Vault that accepts their
tokens, then prints the environment variables that point a credential at each. Every request is
logged on stderr. Ctrl+C (SIGINT), SIGTERM or SIGHUP (a closed terminal) stops it cleanly.

Options:
  --sources LIST        which endpoints: servicefabric,appservice,azureml,cloudshell,arc,
                        workloadidentity,imds (default: all)
  --fail LIST           answers to successive token requests, then normal ones: e.g. 410,410,200;
                        an HTTP status, 'hang' or 'reset' per request
  --retry-after S       a Retry-After header (seconds) on every injected 410, 429 and 5xx
  --latency MS          wait this long before every token answer (not the Key Vault's)
  --hang                accept every token request and never answer it
  --throttle-after N    answer 429 to every token request after the first N
  --port-base N         listen on fixed ports: IMDS N, Arc N+1, Cloud Shell N+2, App Service N+3,
                        Key Vault N+4, Service Fabric N+5, Azure ML N+6, workload identity N+7
                        (default: free ports chosen by the system)
  --token-folder DIR    Azure Arc: write challenge files here (default: a new private folder)
  --json                print the settings as one line of JSON (endpoints, env, tokenFolder,
                        keyVaultUrl, ca, identities) instead of the text
  -h, --help            this help

Example:
  ${PROGRAM} emulate --sources imds --fail 410,410,200 --retry-after 1

${EXIT_CODES}
`;
