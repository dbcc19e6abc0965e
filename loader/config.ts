/**
 * What `tsprof run` tells the loader in every process and thread of the program: one JSON value
 * in `TSPROF_LOADER`. Environment, not arguments, because it has to reach places tsprof does not
 * start itself: children spawned by the program (they inherit the environment) and workers
 * (they share it).
 */
import * as path from "node:path";

export const LOADER_ENV = "TSPROF_LOADER";

export interface LoaderConfig {
  /** Absolute path of `dist/runtime/index.js`: instrumented code loads the runtime from there. */
  runtime: string;
  /** `--all`: every function of the user's own files. */
  all: boolean;
  /** `-p` patterns, as typed (see match.ts). */
  patterns: string[];
  /** Directory `-p` patterns are relative to (where `tsprof run` was started). */
  cwd: string;
  /** Compile cache directory; empty: no cache. */
  cacheDir: string;
  /** Semantic compiler options from the project's tsconfig.json (see tsconfig.ts). */
  compilerOptions: Record<string, unknown>;
  /** `paths` (and `baseUrl`) of the project's tsconfig.json, targets absolute (see tsconfig.ts). */
  paths?: Record<string, string[]>;
  /** tsprof and TypeScript versions: part of every cache key. */
  fingerprint: string;
  /** `tsprof prof`: every function of the user's own files gets call counters and a clock (transformer/calls.ts). */
  calls?: boolean;
  /** `tsprof prof --node-modules`: the JavaScript of node_modules too. */
  callsNodeModules?: boolean;
}

let cached: LoaderConfig | undefined;

/** This process's configuration (read once); a usable default when started without `tsprof run`. */
export function loaderConfig(): LoaderConfig {
  if (cached) return cached;
  const raw = process.env[LOADER_ENV];
  const parsed = raw ? (JSON.parse(raw) as Partial<LoaderConfig>) : {};
  cached = {
    runtime: parsed.runtime ?? path.join(__dirname, "..", "runtime", "index.js"),
    all: parsed.all ?? false,
    patterns: parsed.patterns ?? [],
    cwd: parsed.cwd ?? process.cwd(),
    cacheDir: parsed.cacheDir ?? "",
    compilerOptions: parsed.compilerOptions ?? {},
    paths: parsed.paths,
    fingerprint: parsed.fingerprint ?? fingerprint(),
    calls: parsed.calls ?? false,
    callsNodeModules: parsed.callsNodeModules ?? false,
  };
  return cached;
}

/** The root of this tsprof installation (its own files are never instrumented). */
export const TSPROF_ROOT = path.resolve(__dirname, "..", "..");

/** Where the `typescript` that tsprof transpiles with lives: tsprof's own, never the project's. */
export function typescriptDir(): string {
  return path.dirname(require.resolve("typescript/package.json", { paths: [TSPROF_ROOT] }));
}

/**
 * `tsprof@x typescript@y build@t`: compiled code is only reused by the same versions and the same
 * build of the transformer (`t`, its newest file's mtime, so a rebuilt checkout never reuses
 * stale output). Reads two small JSON files and stats a few more; never loads TypeScript.
 */
export function fingerprint(): string {
  const fs = require("node:fs") as typeof import("node:fs");
  const version = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
  const built = [path.join(__dirname, "..", "transformer"), __dirname].flatMap((dir) =>
    fs.readdirSync(dir).filter((f) => f.endsWith(".js")).map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
  return `tsprof@${version(TSPROF_ROOT)} typescript@${version(typescriptDir())} build@${Math.max(...built)}`;
}
