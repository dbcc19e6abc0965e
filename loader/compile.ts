/**
 * One file in, the JavaScript Node runs out: TypeScript types stripped (Node 20 cannot run
 * TypeScript), marked or selected functions instrumented by the same transformer and probe plan
 * as the tspc path, an inline source map so stack traces and the debugger show the original
 * lines. Cached by content and options; TypeScript itself is loaded only on a cache miss.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type * as TS from "typescript";
import { cacheGet, cacheKey, cachePut } from "./cache";
import { loaderConfig, TSPROF_ROOT, typescriptDir } from "./config";
import { inNodeModules, isTsprofFile, isTypeScript, type ModuleFormat } from "./format";
import { createMatcher, type FileSelection } from "./match";

let matcher: ((file: string) => FileSelection | undefined) | undefined;

/** What `--all`, `-p` and the file's own marks ask to profile in it; undefined: nothing. */
export function selectionFor(file: string, source: string): FileSelection | undefined {
  const config = loaderConfig();
  matcher ??= createMatcher(config.patterns, config.all, config.cwd);
  const selected = matcher(file);
  // Marks are the user's own code's: a library's `@profile` comments do not count unless asked.
  if (selected || inNodeModules(file) || !source.includes("profile")) return selected;
  return { all: false };
}

/** A syntax error in a TypeScript file: one line, `tsprof run: file:line:col: message`. */
export function syntaxError(ts: typeof TS, file: string, d: TS.Diagnostic): SyntaxError {
  const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
  const rel = path.relative(process.cwd(), file);
  const shown = rel && !rel.startsWith("..") ? rel : file;
  const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
  return new SyntaxError(`tsprof run: ${shown}:${line + 1}:${character + 1}: ${message}`);
}

/**
 * The code to run for `file` with contents `source` in module `format`, or undefined when the
 * file runs as it is (JavaScript with nothing to profile, and tsprof's own files).
 */
export function compileFile(file: string, source: string, format: ModuleFormat): string | undefined {
  if (isTsprofFile(file)) return undefined;
  const typescript = isTypeScript(file);
  const config = loaderConfig();
  if (config.calls) return compileForCalls(file, source, format);
  const selection = selectionFor(file, source);
  if (!typescript && !selection) return undefined;
  // ES modules import the runtime by URL (a bare absolute path is not portable there).
  const runtime = format === "module" ? pathToFileURL(config.runtime).href : config.runtime;
  const transform = selection && { runtime, all: selection.all, names: selection.names && [...selection.names].sort() };
  const key = cacheKey(source, [config.fingerprint, file, format, JSON.stringify([transform, config.compilerOptions])]);
  const hit = cacheGet(config.cacheDir, key);
  // An empty entry: JavaScript in which the transformer found nothing to profile.
  if (hit !== undefined) return hit === "" ? undefined : hit;
  const code = transpile(file, source, format, transform && { ...transform, names: transform.names && new Set(transform.names) });
  if (code !== null) cachePut(config.cacheDir, key, code ?? "");
  return code ?? undefined;
}

let ownDeps: string[] | undefined;
/** Where tsprof's own dependencies are: its nested node_modules, and the TypeScript it resolves (hoisted by npm, often). */
function isTsprofDependency(file: string): boolean {
  ownDeps ??= [path.join(TSPROF_ROOT, "node_modules") + path.sep, typescriptDir() + path.sep];
  return ownDeps.some((d) => file.startsWith(d));
}

/** `tsprof prof`: the user's own files get the function-profile transform; node_modules too with `--node-modules`. */
function compileForCalls(file: string, source: string, format: ModuleFormat): string | undefined {
  const config = loaderConfig();
  // tsprof's own dependencies (the TypeScript it compiles with) are never profiled: compiling them
  // would need them loaded first.
  const own = !inNodeModules(file) || (config.callsNodeModules === true && !isTsprofDependency(file));
  if (!own && !isTypeScript(file)) return undefined;
  const key = cacheKey(source, [config.fingerprint, file, format, JSON.stringify([{ calls: own }, config.compilerOptions])]);
  const hit = cacheGet(config.cacheDir, key);
  if (hit !== undefined) return hit === "" ? undefined : hit;
  const code = transpile(file, source, format, undefined, own);
  if (code !== null) cachePut(config.cacheDir, key, code ?? "");
  return code ?? undefined;
}

/** Compiled code; undefined: run the file as it is; null: as it is, and do not remember that (a warning was shown). */
function transpile(file: string, source: string, format: ModuleFormat, transform: { runtime: string; all: boolean; names?: Set<string> } | undefined, calls = false): string | undefined | null {
  const ts = require("typescript") as typeof TS;
  const typescript = isTypeScript(file);
  let changed = false;
  const before: TS.TransformerFactory<TS.SourceFile>[] = [];
  if (transform) {
    const { createTransformer } = require("../transformer/index") as typeof import("../transformer/index");
    const factory = createTransformer(ts, transform);
    before.push((context) => {
      const inner = factory(context);
      return (sf) => {
        const out = inner(sf);
        changed ||= out !== sf;
        return out;
      };
    });
  }
  if (calls) {
    const { createCallsTransformer } = require("../transformer/calls") as typeof import("../transformer/calls");
    before.push(createCallsTransformer(ts));
    changed = true;
  }
  const result = ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: {
      ...loaderConfig().compilerOptions,
      // The newest syntax: Node runs it, and nothing is rewritten that needn't be.
      target: ts.ScriptTarget.ESNext,
      module: format === "module" ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      inlineSourceMap: true,
      ignoreDeprecations: "6.0",
      // JavaScript keeps its own strictness: TypeScript 6 would add "use strict" to every file.
      ...(typescript ? {} : { allowJs: true, alwaysStrict: false }),
    },
    transformers: { before },
  });
  const error = result.diagnostics?.find((d) => d.file && d.category === ts.DiagnosticCategory.Error);
  if (error && typescript) throw syntaxError(ts, file, error);
  if (!typescript) {
    if (error) {
      // V8 accepts some JavaScript TypeScript rejects (sloppy-mode octals, say): run it as written.
      process.stderr.write(`tsprof: not profiling ${file}: ${syntaxError(ts, file, error).message.slice("tsprof run: ".length)}\n`);
      return null;
    }
    if (!changed) return undefined;
  }
  return result.outputText;
}
