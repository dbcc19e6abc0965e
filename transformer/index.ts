import type * as TS from "typescript";
import { emitInstrumented } from "./emit";
import { planFile, type PlanOptions } from "./plan";
import { plainTexts } from "./plain-text";
import { relayoutEmitted, type PlainLines } from "./relayout";

/**
 * The plain build's line of each source position, per instrumented file (by its name), from the
 * transpile that gives `toString()` its texts; taken when the file's printed output is moved onto
 * those lines (`alignLines`).
 */
const plainLayouts = new Map<string, PlainLines>();

/**
 * The printed output of an instrumented file with each line on the plain build's line
 * (relayout.ts), and its map carried over: `map` is the `.map` file's text, or undefined when
 * the map is inline in `code`. Undefined when the file was not instrumented in this process,
 * has no map, or its text stays as printed.
 */
export function alignLines(ts: typeof TS, fileName: string, code: string, map?: string): { code: string; map?: string } | undefined {
  // TypeScript names source files with forward slashes.
  const name = fileName.replace(/\\/g, "/");
  const lines = plainLayouts.get(name);
  if (!lines) return undefined;
  plainLayouts.delete(name);
  return relayoutEmitted(ts, code, map, lines);
}

/** Options of the tsprof transformer, as written in `compilerOptions.plugins` next to `"transform"`. */
export interface TsprofPluginOptions {
  /** Where the profiled program writes its profile (relative to its working directory). Default `out.lprof`. */
  output?: string;
  /**
   * How line times are taken: `"exact"` (a clock read per line), `"sampled"` (a sampler thread) or
   * `"v8"` (V8's CPU profiler on the thread, hits from counters; docs/v8-mode.md).
   */
  timing?: "exact" | "sampled" | "v8";
  /** Sampler rate in Hz, for `"sampled"` and `"v8"` timing. */
  rate?: number;
  /** Also measure memory per line (in use after each line, bytes allocated by it). */
  memory?: boolean;
}

/** Options for callers that run the transform themselves (`tsprof run`, tests). */
export interface TransformOptions extends TsprofPluginOptions, PlanOptions {
  /** Module specifier of the runtime in emitted code. Default `tsprof/runtime`. */
  runtime?: string;
}

/** Keys ts-patch itself reads from a plugin entry; they are not tsprof's to judge. */
const TS_PATCH_KEYS = new Set([
  "transform", "type", "import", "after", "afterDeclarations", "transformProgram", "resolvePathAliases", "tsConfig", "isEsm", "name",
]);
const OPTION_KEYS: Record<keyof TsprofPluginOptions, "string" | "number" | "boolean"> = {
  output: "string", timing: "string", rate: "number", memory: "boolean",
};
const TIMINGS = ["exact", "sampled", "v8"];

/** Checks plugin options; returns one message per problem (unknown key, wrong type). */
export function validatePluginOptions(config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (TS_PATCH_KEYS.has(key)) continue;
    const expected = OPTION_KEYS[key as keyof TsprofPluginOptions];
    if (!expected) {
      problems.push(`tsprof: unknown plugin option "${key}" in compilerOptions.plugins; known options: ${Object.keys(OPTION_KEYS).join(", ")}`);
    } else if (typeof value !== expected) {
      problems.push(`tsprof: plugin option "${key}" must be a ${expected}, got ${JSON.stringify(value)}`);
    } else if (key === "timing" && !TIMINGS.includes(value as string)) {
      problems.push(`tsprof: plugin option "timing" must be one of ${TIMINGS.map((t) => `"${t}"`).join(", ")}, got ${JSON.stringify(value)}`);
    } else if (key === "rate" && !((value as number) > 0)) {
      problems.push(`tsprof: plugin option "rate" must be a positive number of samples per second, got ${JSON.stringify(value)}`);
    }
  }
  return problems;
}

/**
 * Why this TypeScript cannot run the transformer, or undefined when it can. TypeScript 7 (the Go
 * compiler) exports only its version from `typescript`: no AST, no factory, no transformers.
 */
export function unsupportedCompiler(ts: { version?: string; versionMajorMinor?: string; factory?: unknown; visitEachChild?: unknown }): string | undefined {
  const major = Number((ts.versionMajorMinor ?? ts.version ?? "").split(".")[0]);
  if (major < 7 && ts.factory && typeof ts.visitEachChild === "function") return undefined;
  return `tsprof: TypeScript ${ts.version ?? "(unknown version)"} has no compiler transformer API, so tsprof/transformer cannot instrument this build; `
    + "run the program with `npx tsprof run app.ts`, add the bundler plugin (tsprof/vite, tsprof/esbuild, tsprof/rollup, tsprof/rolldown, tsprof/webpack, tsprof/rspack), "
    + "or build with tspc on TypeScript 6 (npm i -D typescript@6)";
}

/** A `before` transformer that instruments `@profile`-marked functions. Usable with any TS 6 API surface. */
export function createTransformer(ts: typeof TS, options: TransformOptions = {}): TS.TransformerFactory<TS.SourceFile> {
  const unsupported = unsupportedCompiler(ts);
  if (unsupported) throw new Error(unsupported);
  const runtimeOptions: Record<string, string | number | boolean> = {};
  if (options.output !== undefined) runtimeOptions.output = options.output;
  if (options.timing !== undefined) runtimeOptions.timing = options.timing;
  if (options.rate !== undefined) runtimeOptions.rate = options.rate;
  if (options.memory !== undefined) runtimeOptions.memory = options.memory;
  return (context) => (sf) => {
    // A file's map turned on for the previous file's layout is off again before this one is judged.
    restoreMapOption();
    if (sf.isDeclarationFile) return sf;
    // Cheap filter: a file that never says "profile" has nothing marked (unless everything is).
    if (!options.all && !options.names && !sf.text.includes("profile")) return sf;
    const plan = planFile(ts, sf, options);
    if (plan.functions.length === 0) return sf;
    const compilerOptions = context.getCompilerOptions();
    // The layout reads the printed file's map; a command-line build without one prints one
    // inline for this file, which the write hook takes off again (`mapForLayout`).
    const mapped = compilerOptions.sourceMap || compilerOptions.inlineSourceMap || mapForLayout(ts, compilerOptions);
    const texts = plainTexts(ts, sf, compilerOptions, plan, mapped ? (lines) => plainLayouts.set(sf.fileName, lines) : undefined);
    return emitInstrumented(ts, context, sf, plan, { runtime: options.runtime, runtimeOptions, texts });
  };
}

interface PluginExtras {
  ts: typeof TS;
  addDiagnostic?: (diag: TS.Diagnostic) => number;
}

/**
 * ts-patch entry (`{ "transform": "tsprof/transformer" }`, program type): instruments marked
 * functions before TypeScript's own transforms, so probes are downlevelled with the code.
 */
export default function tsprofPlugin(
  _program: TS.Program | undefined,
  config: Record<string, unknown> = {},
  extras?: PluginExtras,
): { before: TS.TransformerFactory<TS.SourceFile> } {
  // Nodes must come from the compiler that prints them: ts-patch hands us its instance.
  const ts = extras?.ts ?? (require("typescript") as typeof TS);
  // A host that loads plugins on a compiler without transformers gets one line saying what to do.
  const unsupported = unsupportedCompiler(ts);
  if (unsupported) {
    if (extras?.addDiagnostic && ts.DiagnosticCategory) {
      extras.addDiagnostic({ category: ts.DiagnosticCategory.Error, code: 90002, file: undefined, start: undefined, length: undefined, messageText: unsupported });
      return { before: () => (sf) => sf };
    }
    throw new Error(unsupported);
  }
  alignWrites(ts);
  const problems = validatePluginOptions(config);
  for (const messageText of problems) {
    extras?.addDiagnostic?.({
      category: ts.DiagnosticCategory.Error, code: 90001, file: undefined, start: undefined, length: undefined, messageText,
    });
  }
  // A build with option errors fails; until it is fixed, the options are not applied.
  const pick = <K extends keyof TsprofPluginOptions>(key: K) => (problems.length ? undefined : (config[key] as TsprofPluginOptions[K]));
  return { before: createTransformer(ts, { output: pick("output"), timing: pick("timing"), rate: pick("rate"), memory: pick("memory") }) };
}

const hooked = new WeakSet<object>();

/**
 * The compiler options whose `inlineSourceMap` the transformer turned on for the file being
 * emitted, and the value they had: TypeScript reads the option for the printer after the
 * transformers ran, so that file alone is printed with an inline map, which the layout reads and
 * the write hook then removes; the option is restored at that write, or before the next file.
 */
let forcedMap: { options: TS.CompilerOptions; value: boolean | undefined } | undefined;

/** The command-line compilers whose output goes through the hooked `ts.sys.writeFile`: ts-patch's `tspc`, or a patched `tsc`. */
const COMMAND_LINE = /[\\/](tspc|tsc)(\.js)?$/;

/**
 * Turns on an inline map for the file about to be printed when nothing else would give the layout
 * one: a build without `sourceMap`/`inlineSourceMap` run by tspc (whose writes the hook sees, so
 * the map never reaches disk). A bundle (`outFile`) and hosts with their own `writeFile` (a
 * language service, a loader) keep their output as printed. True when the map is on.
 */
function mapForLayout(ts: typeof TS, options: TS.CompilerOptions): boolean {
  if (options.outFile || options.noEmit || !ts.sys || !hooked.has(ts.sys)) return false;
  if (!COMMAND_LINE.test(require.main?.filename ?? "")) return false;
  forcedMap = { options, value: options.inlineSourceMap };
  options.inlineSourceMap = true;
  return true;
}

/** Puts back the `inlineSourceMap` option `mapForLayout` changed; true when it had changed it. */
function restoreMapOption(): boolean {
  if (!forcedMap) return false;
  forcedMap.options.inlineSourceMap = forcedMap.value;
  if (forcedMap.value === undefined) delete forcedMap.options.inlineSourceMap;
  forcedMap = undefined;
  return true;
}
const JS_OUTPUT = /\.[cm]?jsx?$/;
const MAP_URL = /\/\/# sourceMappingURL=([^\s]+)\s*$/;

/**
 * tspc writes its output through `ts.sys.writeFile` (the command line's compiler host, watch and
 * build modes alike): there each instrumented file's JavaScript and map are moved onto the plain
 * build's lines (`alignLines`) on their way to disk. A `.map` file, which TypeScript writes just
 * before its JavaScript, waits for it; everything else is written as it comes.
 */
function alignWrites(ts: typeof TS): void {
  const sys = ts.sys as (TS.System & { writeFile?: TS.System["writeFile"] }) | undefined;
  if (!sys || typeof sys.writeFile !== "function" || hooked.has(sys)) return;
  hooked.add(sys);
  const write = sys.writeFile.bind(sys);
  const path = require("node:path") as typeof import("node:path");
  const held = new Map<string, [string, boolean | undefined]>();
  const flush = () => {
    for (const [file, [data, bom]] of held) write(file, data, bom);
    held.clear();
  };
  // A map whose JavaScript never comes is still written, at the compiler's exit at the latest.
  process.once("exit", flush);
  const sourceOf = (mapText: string, dir: string): string | undefined => {
    try {
      const json = JSON.parse(mapText) as { sources?: string[]; sourceRoot?: string };
      if (json.sources?.length !== 1) return undefined;
      return path.resolve(dir, json.sourceRoot ?? "", json.sources[0]).replace(/\\/g, "/");
    } catch {
      return undefined;
    }
  };
  const known = (file: string | undefined) => file !== undefined && plainLayouts.has(file);
  sys.writeFile = (file: string, data: string, bom?: boolean) => {
    if (plainLayouts.size > 0 && file.endsWith(".map") && known(sourceOf(data, path.dirname(file)))) {
      flush();
      held.set(path.resolve(file), [data, bom]);
      return;
    }
    const js = JS_OUTPUT.test(file);
    const forced = js && restoreMapOption();
    if (plainLayouts.size > 0 && js) {
      const url = MAP_URL.exec(data)?.[1];
      try {
        if (url?.startsWith("data:")) {
          const comma = url.indexOf(",");
          const source = sourceOf(Buffer.from(url.slice(comma + 1), "base64").toString("utf8"), path.dirname(file));
          const done = known(source) ? alignLines(ts, source!, data) : undefined;
          if (done) data = done.code;
        } else if (url) {
          const mapFile = path.resolve(path.dirname(file), decodeURI(url));
          const map = held.get(mapFile);
          if (map) {
            // Held until written: if the layout throws, the flush below writes the map as printed.
            const done = alignLines(ts, sourceOf(map[0], path.dirname(mapFile))!, data, map[0]);
            held.delete(mapFile);
            write(mapFile, done?.map ?? map[0], map[1]);
            if (done) data = done.code;
          }
        }
      } catch {
        // A map that cannot be read leaves the output as printed.
      }
    }
    // The map tsprof asked for goes; the text ends as the build without a map prints it.
    if (forced) data = data.replace(MAP_URL, "");
    flush();
    write(file, data, bom);
  };
}
