/**
 * One file in, the JavaScript Node runs out: TypeScript types stripped (Node 20 cannot run
 * TypeScript), marked or selected functions instrumented by the same transformer and probe plan
 * as the tspc path, an inline source map so stack traces and the debugger show the original
 * lines. Cached by content and options; TypeScript itself is loaded only on a cache miss.
 */
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type * as TS from "typescript";
import { readFileSync } from "node:fs";
import { cacheGet, cacheKey, cacheLink, cachePut, identityKey } from "./cache";
import { loaderConfig, TSPROF_ROOT, typescriptDir } from "./config";
import { inNodeModules, isTsprofFile, isTypeScript, type ModuleFormat } from "./format";
import { createMatcher, type FileSelection } from "./match";
import { compiled } from "./progress";
import { strippableOptions, stripTypes, transformTypes } from "./strip";
import { loadTypeScript, typescriptUsed } from "./typescript";
import { noteLoadedScript } from "../runtime/scripts";

let matcher: ((file: string) => FileSelection | undefined) | undefined;
let runtimeUrl: string | undefined;

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
 * The code to run for `file` in module `format`, or undefined when the file runs as it is
 * (JavaScript with nothing to profile, and tsprof's own files). `source`: the file's contents,
 * read here when not given — and on a warm start not at all (a cache hit by the file's identity).
 */
export function compileFile(file: string, source: string | undefined, format: ModuleFormat): string | undefined {
  if (isTsprofFile(file)) return undefined;
  const code = compileUnnoted(file, source, format);
  // The code V8 will hold for the file, so V8 timing need not ask V8's debugger for it.
  noteLoadedScript(file, code);
  return code;
}

function compileUnnoted(file: string, source: string | undefined, format: ModuleFormat): string | undefined {
  const typescript = isTypeScript(file);
  const config = loaderConfig();
  if (config.calls) return compileForCalls(file, source ?? readFileSync(file, "utf8"), format);
  matcher ??= createMatcher(config.patterns, config.all, config.cwd);
  // JavaScript is compiled only when something in it is profiled: the check needs its text.
  if (!typescript) {
    source ??= readFileSync(file, "utf8");
    if (!selectionFor(file, source)) return undefined;
  }
  // ES modules import the runtime by URL (a bare absolute path is not portable there); made once:
  // 241 calls of node 20.20's pathToFileURL took 4.2 ms, on the hooks thread every import waits for.
  const runtime = format === "module" ? (runtimeUrl ??= pathToFileURL(config.runtime).href) : config.runtime;
  const chosen = matcher(file);
  const parts = [config.fingerprint, file, format, JSON.stringify([runtime, chosen?.all ?? null, chosen?.names && [...chosen.names].sort(), config.compilerOptions])];
  const byIdentity = config.cacheDir ? identityKey(file, parts) : undefined;
  if (byIdentity !== undefined) {
    const hit = cacheGet(config.cacheDir, byIdentity);
    if (hit !== undefined) return hit === "" ? undefined : hit;
  }
  source ??= readFileSync(file, "utf8");
  const selection = selectionFor(file, source);
  if (!typescript && !selection) return undefined;
  const transform = selection && { runtime, all: selection.all, names: selection.names && [...selection.names].sort() };
  const key = cacheKey(source, [config.fingerprint, file, format, JSON.stringify([transform, config.compilerOptions])]);
  let code = cacheGet(config.cacheDir, key);
  if (code === undefined) {
    const started = performance.now();
    const verbatim = config.compilerOptions.verbatimModuleSyntax === true;
    const strippable = format === "module" && STRIPPABLE.test(file) && strippableOptions(config.compilerOptions);
    const names = transform?.names && new Set(transform.names);
    const stripped = !strippable ? undefined
      : transform ? instrumentStripped(file, source, { ...transform, names }, verbatim)
      : stripTypes(source, verbatim) ?? transformTypes(source, verbatim, file);
    const compiledCode = stripped ?? transpile(file, source, format, transform && { ...transform, names });
    compiled(performance.now() - started);
    if (stripped === undefined || transform) typescriptUsed();
    // null: run as it is, and do not remember that (a warning was shown).
    if (compiledCode === null) return undefined;
    // An empty entry: JavaScript in which the transformer found nothing to profile.
    code = compiledCode ?? "";
    cachePut(config.cacheDir, key, code);
  }
  if (byIdentity !== undefined) cacheLink(config.cacheDir, key, byIdentity, code);
  return code === "" ? undefined : code;
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

const DECLARATION = /\.d\.[cm]?ts$/;
/** What Node's type stripping takes: `.ts` and `.mts`, not declarations (their enums are rewritten) nor `.tsx`. */
const STRIPPABLE = /(?<!\.d)\.m?ts$/;

/**
 * The project's `target`, lowered to ES2025 at most. Node runs no ES2025 syntax TypeScript would
 * rewrite, but TypeScript emits three proposals as written only for ESNext, and Node cannot
 * parse them: decorators (no Node; measured on 20.20, 22.23, 24.22), `accessor` and `using`
 * (Node 20 and 22). Below ESNext TypeScript lowers all three. An older project target is
 * honoured as it is: its class fields and helpers are what the program's own build runs.
 */
function runnableTarget(ts: typeof TS, target: unknown): TS.ScriptTarget {
  const named = typeof target === "string"
    ? Object.entries(ts.ScriptTarget).find(([k]) => k.toLowerCase() === target.toLowerCase())?.[1]
    : undefined;
  const wanted = typeof named === "number" && named !== ts.ScriptTarget.JSON ? named : ts.ScriptTarget.ESNext;
  return Math.min(wanted, ts.ScriptTarget.ES2025);
}

/**
 * `jsx` from tsconfig.json, by name; unset or `preserve`/`react-native` (which leave JSX in the
 * output, for another tool to compile): `React.createElement`, as esbuild and tsx do.
 */
function jsxEmit(ts: typeof TS, jsx: unknown): TS.JsxEmit {
  const byName: Record<string, TS.JsxEmit> = { "react": ts.JsxEmit.React, "react-jsx": ts.JsxEmit.ReactJSX, "react-jsxdev": ts.JsxEmit.ReactJSXDev };
  return (typeof jsx === "string" && byName[jsx.toLowerCase()]) || ts.JsxEmit.React;
}

/**
 * The exported enums of a declaration file, as TypeScript code: `export declare const enum`
 * becomes `export enum` with the same members. A file compiled alone cannot inline a const enum
 * another file declares (isolatedModules), so its import is kept and must find these values.
 */
function enumsOf(ts: typeof TS, file: string, source: string): string {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.ESNext, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const s of sf.statements) {
    if (!ts.isEnumDeclaration(s) || !s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    const members = s.members.map((m) => m.getText(sf)).join(", ");
    out.push(`export enum ${s.name.text} { ${members} }`);
  }
  return out.join("\n") || "export {};";
}

/**
 * A profiled ES module by the text emitter and type stripping, as a bundler's pipeline builds
 * it: the probe plan written into the TypeScript text (every line where it was), then its types
 * stripped (every column where it was), so neither `transpileModule` nor the layout runs.
 * `toString()` of each instrumented function is its text in the stripped plain file, which is
 * what the program's other modules run as. Undefined where stripping cannot take the file (or
 * its instrumented text): TypeScript compiles it, as before.
 */
function instrumentStripped(file: string, source: string, transform: { runtime: string; all: boolean; names?: Set<string> }, verbatim: boolean): string | undefined {
  const plain = stripTypes(source, verbatim);
  if (plain === undefined) return undefined;
  const ts = loadTypeScript();
  const { instrumentText } = require("../transformer/text-emit-file") as typeof import("../transformer/text-emit-file");
  const { strippedTexts } = require("../transformer/plain-text") as typeof import("../transformer/plain-text");
  const out = instrumentText(source, file, {
    ts, runtime: transform.runtime, all: transform.all, names: transform.names, format: "esm",
    texts: (sf, plan) => strippedTexts(ts, sf, plan, plain),
  });
  if (!out) return plain;
  const code = stripTypes(out.code, verbatim);
  if (code === undefined) return undefined;
  // As TypeScript's inline map names the file: relative to the output, no sources inline.
  const map = { ...out.map, file: path.basename(file).replace(/\.(m?)ts$/, ".$1js"), sources: [path.basename(file)], sourcesContent: undefined };
  return `${code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}`;
}

/** Compiled code; undefined: run the file as it is; null: as it is, and do not remember that (a warning was shown). */
function transpile(file: string, source: string, format: ModuleFormat, transform: { runtime: string; all: boolean; names?: Set<string> } | undefined, calls = false): string | undefined | null {
  const ts = loadTypeScript();
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
  const project = loaderConfig().compilerOptions;
  const declarations = DECLARATION.test(file);
  const fileName = declarations ? file.replace(DECLARATION, ".ts") : file;
  const result = ts.transpileModule(declarations ? enumsOf(ts, file, source) : source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      ...project,
      target: runnableTarget(ts, project.target),
      module: format === "module" ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      jsx: jsxEmit(ts, project.jsx),
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
  if (transform && changed) {
    // Lines where the plain build has them, so raw call sites read its line numbers.
    const { alignLines } = require("../transformer/index") as typeof import("../transformer/index");
    const aligned = alignLines(ts, fileName, result.outputText);
    if (aligned) return aligned.code;
  }
  return result.outputText;
}
