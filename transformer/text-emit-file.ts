import type * as TS from "typescript";
import { planFile, type FilePlan, type PlanOptions } from "./plan";
import { emitText, type TextEmitOptions, type TextEmitResult } from "./text-emit";
import type { TsprofPluginOptions } from "./index";

export interface InstrumentTextOptions extends TsprofPluginOptions, PlanOptions, Pick<TextEmitOptions, "runtime" | "format"> {
  /** The TypeScript that parses the file (default: the one `require("typescript")` finds). */
  ts?: typeof TS;
  /** What `toString()` returns for the instrumented functions (emit.ts `texts`), from the parsed file and its plan. */
  texts?: (sf: TS.SourceFile, plan: FilePlan) => string[] | undefined;
}

const SCRIPT_KINDS: Record<string, keyof typeof TS.ScriptKind> = {
  ".ts": "TS", ".mts": "TS", ".cts": "TS", ".tsx": "TSX", ".js": "JS", ".mjs": "JS", ".cjs": "JS", ".jsx": "JSX",
};

/** Files the text path instruments: TypeScript and JavaScript sources, by extension. */
export const SOURCE_FILE = /\.[cm]?[jt]sx?$/;

/**
 * Instruments one source file's text (TypeScript or JavaScript, before any compiler touched it),
 * or returns undefined when it has nothing to profile. Parsed with tsprof's own TypeScript 6,
 * whatever compiler the project builds with (TypeScript 7, esbuild, oxc, Babel).
 */
export function instrumentText(code: string, fileName: string, options: InstrumentTextOptions = {}): TextEmitResult | undefined {
  // Cheap filter, as the compiler plugin's: a file that never says "profile" has nothing marked.
  if (!options.all && !options.names && !code.includes("profile")) return undefined;
  const ts = options.ts ?? (require("typescript") as typeof TS);
  const ext = /\.[cm]?[jt]sx?$/.exec(fileName)?.[0] ?? ".ts";
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind[SCRIPT_KINDS[ext] ?? "TS"]);
  const plan = planFile(ts, sf, options);
  if (plan.functions.length === 0) return undefined;
  const runtimeOptions: Record<string, string | number | boolean> = {};
  for (const key of ["output", "timing", "rate", "memory"] as const) {
    if (options[key] !== undefined) runtimeOptions[key] = options[key]!;
  }
  return emitText(ts, sf, plan, { runtime: options.runtime, format: options.format, runtimeOptions, texts: options.texts?.(sf, plan) });
}
