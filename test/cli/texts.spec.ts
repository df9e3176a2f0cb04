// Issue 21 §4: the help texts and the README named the four sources of the first beta long after there were seven.
// Lists of sources are generated from the registry (or the emulator's table); these tests fail when a text names
// fewer sources than the registry has, and when columns of the emulator's summary do not line up.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEMO_HELP } from "../../demo/demo.js";
import { DOCTOR_HELP, EMULATE_HELP, MAIN_HELP, TOKEN_HELP } from "../../src/cli/help.js";
import { startEmulator } from "../../src/emulator/index.js";
import * as library from "../../src/index.js";
import { SOURCES } from "../../src/sources/index.js";

/** The text with its line breaks and indentation folded into single spaces. */
const flat = (text: string): string => text.replace(/\s+/g, " ");
const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** The README's section under that heading, up to the next heading of the same level or above. */
function section(heading: string): string {
  const start = README.indexOf(`${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(heading)![0];
  const rest = README.slice(start + heading.length);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The README table row of an option. */
const row = (text: string, option: string): string =>
  text.split("\n").find((line) => line.startsWith(`| \`${option}`))!;

const CREDENTIAL_CLASSES = Object.keys(library).filter((name) => /^[A-Z]\w*Credential$/.test(name));

describe("texts that list sources list every one of the registry", () => {
  it("the top-level help names every source's title", () => {
    for (const source of SOURCES) expect(flat(MAIN_HELP)).toContain(source.displayName);
  });

  it("emulate --help: every source in the description, --sources and --port-base", () => {
    const help = flat(EMULATE_HELP);
    for (const source of SOURCES) expect(help).toContain(source.displayName);
    const sources = /--sources LIST .*? \(default: all\): (\S+)/.exec(help)![1]!.split(",");
    expect(sources).toEqual(SOURCES.map((source) => source.name));
    const ports = /--port-base N listen on fixed ports: (.*?) \(default/.exec(help)![1]!;
    for (const source of SOURCES) expect(ports).toContain(`${source.displayName} N`);
  });

  it("token --help and doctor --help offer every source for --source", () => {
    for (const help of [TOKEN_HELP, DOCTOR_HELP]) {
      for (const source of SOURCES) expect(flat(help)).toMatch(new RegExp(`[|(]${source.name}(?=[|) ])`));
    }
  });

  it("npm start -- --help names every credential the package exports, the chain included", () => {
    expect(CREDENTIAL_CLASSES).toHaveLength(SOURCES.length + 1);
    for (const name of CREDENTIAL_CLASSES) expect(flat(DEMO_HELP)).toContain(name);
  });

  it("the README's emulate options name every source in --sources and --port-base", () => {
    const emulate = section("### `emulate`: the local emulator in the foreground");
    const sources = /`([a-z,]+)`/.exec(row(emulate, "--sources"))![1]!.split(",");
    expect(sources).toEqual(SOURCES.map((source) => source.name));
    for (const source of SOURCES) expect(row(emulate, "--port-base")).toContain(`${source.displayName} N`);
  });

  it("the README's emulator and npm start paragraphs name every source and credential", () => {
    const emulator = flat(section("## The local emulator"));
    for (const name of CREDENTIAL_CLASSES) expect(emulator).toContain(name);
    const sources = /\*\*Sources\*\*: (.*?)\. `emulator\.env`/.exec(emulator)![1]!;
    for (const source of SOURCES) expect(sources.toLowerCase()).toContain(source.displayName.toLowerCase());
  });

  it("the README's doctor sample shows the IMDSv2 line beside the IMDS probe", () => {
    const doctor = section("### `doctor`: what this machine offers, and what to fix");
    expect(doctor).toMatch(/\n {4}IMDS probe {4}/);
    expect(doctor).toMatch(/\n {4}IMDSv2 {8}/);
  });
});

describe("the emulator's summary", () => {
  it("lines its URLs up in one column, the long titles (Workload identity, Service Fabric) included", async () => {
    const emulator = await startEmulator();
    try {
      const lines = emulator
        .describe()
        .split("\n")
        .filter((line) => / (https?:\/\/\S+)/.test(line) && !line.includes("export "));
      expect(lines).toHaveLength(SOURCES.length + 1); // and the Key Vault
      const columns = new Set(lines.map((line) => line.search(/https?:\/\//)));
      expect(columns.size).toBe(1);
      for (const line of lines) expect(line).toMatch(/^ {2}\S.*\S {2,}https?:\/\//);
    } finally {
      await emulator.close();
    }
  });
});
