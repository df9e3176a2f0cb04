// `npm start`: the end-to-end demo (see runDemo). `npm start -- --real` runs it on an Azure host.
import { parseArgs } from "node:util";
import { runDemo } from "./demo.js";

const HELP = `Usage: npm start [-- --real [--vault-url URL] [--secret NAME]]

Starts the managed identity emulator in this process, then, with each of ImdsCredential,
ArcCredential, CloudShellCredential and ManagedIdentityChainCredential: detects the source,
gets a token, and reads a secret with @azure/keyvault-secrets' SecretClient.

  --real            no emulator: use this machine's real endpoints (on an Azure host)
  --vault-url URL   with --real, the vault to read (default: KEY_VAULT_URL)
  --secret NAME     the secret to read (default: demo-secret, or SECRET_NAME with --real)
  --help            this text
`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        real: { type: "boolean", default: false },
        "vault-url": { type: "string" },
        secret: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.real && values["vault-url"] !== undefined) {
    process.stderr.write("--vault-url goes with --real: the emulator has its own vault.\n");
    return 2;
  }
  return runDemo({ real: values.real, vaultUrl: values["vault-url"], secretName: values.secret });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
