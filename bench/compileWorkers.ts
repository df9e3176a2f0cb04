import { promises as fs } from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * Transpiles bench/worker/*.ts to plain ESM JavaScript, so that worker processes run on bare
 * `node`: a TypeScript loader would add its own start-up time and memory to the import and
 * cold-start figures of both libraries.
 * @returns the folder holding the compiled workers
 */
export async function compileWorkers(sourceFolder: string, outFolder: string): Promise<string> {
  await fs.rm(outFolder, { recursive: true, force: true });
  await fs.mkdir(outFolder, { recursive: true });
  await fs.writeFile(path.join(outFolder, "package.json"), JSON.stringify({ type: "module" }) + "\n");
  for (const name of await fs.readdir(sourceFolder)) {
    if (!name.endsWith(".ts")) continue;
    const source = await fs.readFile(path.join(sourceFolder, name), "utf8");
    const { outputText } = ts.transpileModule(source, {
      fileName: name,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    });
    await fs.writeFile(path.join(outFolder, name.replace(/\.ts$/, ".js")), outputText);
  }
  return outFolder;
}
