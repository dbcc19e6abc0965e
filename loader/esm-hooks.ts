/**
 * ES-module hooks for Node without `module.registerHooks` (registered with `module.register`;
 * they run in Node's hooks thread). ES modules are compiled here; CommonJS is left to Node's
 * CommonJS loader, where require-hooks.ts compiles it in the program's own thread.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileFile } from "./compile";
import { exportNames } from "./exports";
import { isJavaScript, isTsprofFile, isTypeScript, moduleFormat } from "./format";
import { alternatives, isNotFound, localFile, resolveFile } from "./resolve";
import { distrustLoadedScripts } from "../runtime/scripts";

// No profile is taken in this thread: keep no record of the code it compiles.
distrustLoadedScripts();

interface ResolveContext { parentURL?: string; conditions: string[] }
interface LoadContext { format?: string | null; conditions: string[]; importAttributes?: Record<string, string> }
interface Resolved { url: string; format?: string | null; shortCircuit?: boolean }
interface Loaded { format: string; source?: string | null; shortCircuit?: boolean }

/** Entry points (of the main thread or a worker): imported with no parent. */
const entries = new Set<string>();

export async function resolve(specifier: string, context: ResolveContext, next: (s: string, c: ResolveContext) => Promise<Resolved>): Promise<Resolved> {
  const parent = context.parentURL?.startsWith("file:") ? fileURLToPath(context.parentURL) : undefined;
  const local = localFile(specifier, parent, true);
  const alts = local || specifier.startsWith(".") ? [] : alternatives(specifier);
  const resolved = alts.length ? await withAlternatives(specifier, alts, context, next) : await next(local ? pathToFileURL(local).href : specifier, context);
  if (context.parentURL === undefined) entries.add(resolved.url);
  return resolved;
}

/** Node's lookup, then TypeScript's alternatives (for absolute paths and URLs) when it finds nothing. */
async function withAlternatives(specifier: string, alts: string[], context: ResolveContext, next: (s: string, c: ResolveContext) => Promise<Resolved>): Promise<Resolved> {
  try {
    return await next(specifier, context);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    for (const alt of alts) {
      try {
        return await next(alt, context);
      } catch (e2) {
        if (!isNotFound(e2)) throw e2;
      }
    }
    throw e;
  }
}

/** The code Node runs for a file (for following re-exports). */
function codeOf(file: string): string {
  const source = readFileSync(file, "utf8");
  return isTypeScript(file) ? compileFile(file, source, moduleFormat(file, source)) ?? source : source;
}

/**
 * An ES module standing for a CommonJS TypeScript file: it `require`s the file through Node's
 * CommonJS loader (one instance, shared with every `require` of it) and re-exports its names,
 * as Node does for CommonJS it can read (it reads the file from disk: TypeScript, to it).
 */
function facade(file: string): string {
  const names = [...exportNames(file, codeOf, resolveFile)].filter((n) => n !== "default");
  const lines = [
    `import { createRequire } from "node:module";`,
    `const m = createRequire(import.meta.url)(${JSON.stringify(file)});`,
    `export default m;`,
  ];
  names.forEach((n, i) => lines.push(`const e${i} = m[${JSON.stringify(n)}];`, `export { e${i} as ${JSON.stringify(n)} };`));
  return lines.join("\n");
}

export async function load(url: string, context: LoadContext, next: (u: string, c: LoadContext) => Promise<Loaded>): Promise<Loaded> {
  if (!url.startsWith("file:")) return next(url, context);
  const file = fileURLToPath(url);
  const typescript = isTypeScript(file);
  if ((!typescript && !isJavaScript(file)) || isTsprofFile(file)) return next(url, context);
  // A TypeScript file's format does not depend on its text, and a warm start need not read it.
  const source = typescript ? undefined : readFileSync(file, "utf8");
  if (moduleFormat(file, source) === "commonjs") {
    // JavaScript: Node's CommonJS loader runs it (and our require hook instruments it).
    if (!typescript) return next(url, context);
    // An entry point has no importer to serve, but `require.main` must be it: Node's loader it is.
    if (entries.has(url)) return { format: "commonjs", source: null, shortCircuit: true };
    return { format: "module", source: facade(file), shortCircuit: true };
  }
  const code = compileFile(file, source, "module");
  if (code === undefined) return next(url, context);
  return { format: "module", source: code, shortCircuit: true };
}
