/**
 * The tsconfig.json options that change what compiled code *does* or where its imports lead,
 * read with get-tsconfig (as tsx does): `extends` from packages and arrays of them, JSON with
 * comments, `paths` relative to `baseUrl` or the file that declares them. Read once, by
 * `tsprof run` itself, never with TypeScript loaded (the project may be on TypeScript 7, whose
 * compiler has no JS API); the result reaches every process of the program in its environment.
 * Everything else in tsconfig.json is about checking or layout: `tsprof run` compiles one file
 * at a time (isolatedModules semantics) and ignores it.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Options passed on to `ts.transpileModule` as they are. */
const SEMANTIC = [
  "target", "experimentalDecorators", "emitDecoratorMetadata", "useDefineForClassFields", "verbatimModuleSyntax",
  "alwaysStrict", "strict", "esModuleInterop", "jsx", "jsxFactory", "jsxFragmentFactory", "jsxImportSource",
] as const;

/** The nearest tsconfig.json at or above `dir` (a few stats: cheaper than loading a parser). */
export function findTsconfig(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const f = path.join(d, "tsconfig.json");
    if (fs.existsSync(f)) return f;
    if (path.dirname(d) === d) return undefined;
  }
}

/** `paths` with every target made absolute: what the resolver needs, without tsconfig at hand. */
export interface PathAliases {
  [pattern: string]: string[];
}

export interface ProjectSettings {
  file?: string;
  options: Record<string, unknown>;
  paths?: PathAliases;
}

/**
 * The settings of the project around `dir`. Throws with a message naming the file when its
 * `extends` names a file or package that is not there (TypeScript's own TS6053).
 */
export function projectSettings(dir: string): ProjectSettings {
  const file = findTsconfig(dir);
  if (!file) return { options: {} };
  // Loaded only for a project that has a tsconfig.json: ~4 ms to load, ~1.5 ms to read (node 20).
  const { parseTsconfig } = require("get-tsconfig") as typeof import("get-tsconfig");
  let config: ReturnType<typeof parseTsconfig>;
  try {
    config = parseTsconfig(file);
  } catch (e) {
    const message = (e as Error).message.replace(/\.$/, "");
    throw new Error(`${file}: ${message} (in "extends"); install the package it names or fix the path`);
  }
  const all = (config.compilerOptions ?? {}) as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const k of SEMANTIC) if (all[k] !== undefined) options[k] = all[k];
  return { file, options, paths: aliases({ path: file, config }) };
}

/**
 * Absolute `paths` targets, `baseUrl` alone as the pattern `*`. Asked of get-tsconfig's own
 * matcher, with a marker for the wildcard: it knows which directory each inherited `paths` is
 * relative to (the file that declares it, when there is no `baseUrl`), which its result does not show.
 */
function aliases(tsconfig: { path: string; config: { compilerOptions?: Record<string, unknown> } }): PathAliases | undefined {
  const { createPathsMatcher } = require("get-tsconfig") as typeof import("get-tsconfig");
  const options = tsconfig.config.compilerOptions ?? {};
  const matcher = createPathsMatcher(tsconfig as Parameters<typeof createPathsMatcher>[0]);
  if (!matcher) return undefined;
  const patterns = Object.keys((options.paths as Record<string, unknown> | undefined) ?? {});
  if (typeof options.baseUrl === "string" && !patterns.includes("*")) patterns.push("*");
  const MARK = "\u0000";
  const out: PathAliases = {};
  for (const pattern of patterns) {
    const targets = matcher(pattern.replace("*", MARK)).map((t) => t.replace(MARK, "*"));
    if (targets.length) out[pattern] = targets;
  }
  return Object.keys(out).length ? out : undefined;
}
