import type * as TS from "typescript";
import { emitInstrumented } from "./emit";
import { planFile, type PlanOptions } from "./plan";
import { plainTexts } from "./plain-text";

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
    if (sf.isDeclarationFile) return sf;
    // Cheap filter: a file that never says "profile" has nothing marked (unless everything is).
    if (!options.all && !options.names && !sf.text.includes("profile")) return sf;
    const plan = planFile(ts, sf, options);
    if (plan.functions.length === 0) return sf;
    const texts = plainTexts(ts, sf, context.getCompilerOptions(), plan);
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
