// `npm start`: the end-to-end demo (see runDemo). `npm start -- --real` runs it on an Azure host.
import { parseArgs } from "node:util";
import { DEMO_HELP, runDemo } from "./demo.js";

const HELP = DEMO_HELP;

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
