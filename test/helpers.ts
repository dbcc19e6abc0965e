import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { alignLines, createTransformer, type TransformOptions } from "../transformer/index";
import { decodeMappings } from "../transformer/relayout";
import { mergeProfiles, type Profile } from "../report/profile";
import { readLprof } from "../report/read";

/** The repository root (tests run from dist/test). */
export const ROOT = path.resolve(__dirname, "..", "..");
export const CLI = path.join(ROOT, "bin", "tsprof.js");

/** A fresh directory where `tsprof` resolves to this repository, as if installed. */
export function makeProject(prefix = "tsprof-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(ROOT, path.join(dir, "node_modules", "tsprof"), "dir");
  return dir;
}

export interface CompileOptions extends TransformOptions {
  /** Emit ES modules instead of CommonJS. */
  esm?: boolean;
  target?: ts.ScriptTarget;
  /** Skip the transformer: the program as it would run unprofiled. */
  plain?: boolean;
  sourceMap?: boolean;
  compilerOptions?: ts.CompilerOptions;
}

/** Transpiles TypeScript as `tsprof run` does: one file, TypeScript 6, the tsprof `before` transformer. */
export function compile(source: string, fileName: string, options: CompileOptions = {}): string {
  const result = ts.transpileModule(source, {
    fileName,
    compilerOptions: {
      target: options.target ?? ts.ScriptTarget.ES2022,
      module: options.esm ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS,
      sourceMap: options.sourceMap,
      experimentalDecorators: false,
      ...options.compilerOptions,
    },
    transformers: options.plain ? undefined : { before: [createTransformer(ts, options)] },
  });
  // As tspc and tsprof run write it: lines on the plain build's, when the map is inline.
  if (!options.plain) return alignLines(ts, fileName.replace(/\\/g, "/"), result.outputText)?.code ?? result.outputText;
  return result.outputText;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A hung child is killed after 5 minutes: a guard against hangs, never a speed check (measured:
 * a heap-snapshot program of test/objgraph.test.ts took over 60 s at a load average of 20 on two cores).
 */
export const CHILD_TIMEOUT_MS = 300_000;

export function runNode(args: string[], options: SpawnSyncOptions = {}): RunResult {
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: CHILD_TIMEOUT_MS, ...options });
  return { stdout: String(r.stdout), stderr: String(r.stderr), status: r.status, signal: r.signal };
}

/** This environment without a tsprof session or NODE_OPTIONS to inherit (no `TSPROF*`), plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("TSPROF")) delete env[key];
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

/** Environment for a profiled child: no inherited session, output where we say. */
export function profEnv(output: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({ TSPROF_OUTPUT: output, ...extra });
}

export interface ProfiledRun {
  plain: RunResult;
  profiled: RunResult;
  profile: Profile;
  dir: string;
  output: string;
}

/**
 * Runs `source` twice: compiled without the transform, and instrumented. Returns both results
 * and the merged profile (raw times, so tests see what was measured).
 */
export function runProfiled(
  source: string,
  options: CompileOptions & { name?: string; env?: Record<string, string>; nodeArgs?: string[]; args?: string[] } = {},
): ProfiledRun {
  const dir = makeProject();
  const ext = options.esm ? ".mjs" : ".js";
  const src = path.join(dir, `${options.name ?? "prog"}.ts`);
  fs.writeFileSync(src, source);
  const plainJs = path.join(dir, `plain${ext}`);
  const profJs = path.join(dir, `prog${ext}`);
  fs.writeFileSync(plainJs, compile(source, src, { ...options, plain: true }));
  fs.writeFileSync(profJs, compile(source, src, options));
  const output = path.join(dir, "out.lprof");
  const node = options.nodeArgs ?? [], args = options.args ?? [];
  const plain = runNode([...node, plainJs, ...args], { cwd: dir, env: profEnv(output, options.env) });
  const profiled = runNode([...node, profJs, ...args], { cwd: dir, env: profEnv(output, options.env) });
  const profile = fs.existsSync(output) ? mergeProfiles([readLprof(output)], { raw: true }) : emptyProfile();
  return { plain, profiled, profile, dir, output };
}

function emptyProfile(): Profile {
  return { unit: 1e-9, functions: [], runCount: 0, modes: new Set(), memory: false };
}

/** line → hits over every function of the profile (each line belongs to one function). */
export function hitsByLine(profile: Profile): Record<number, number> {
  const out: Record<number, number> = {};
  for (const fn of profile.functions) {
    for (const [line, t] of fn.lines) if (t.hits > 0) out[line] = (out[line] ?? 0) + t.hits;
  }
  return out;
}

/** Expected hits written in the source as trailing `// hits: N` comments. */
export function expectedHits(source: string): Record<number, number> {
  const out: Record<number, number> = {};
  source.split("\n").forEach((text, i) => {
    const m = /\/\/ hits: (\d+)\s*$/.exec(text);
    if (m) out[i + 1] = Number(m[1]);
  });
  return out;
}

/** A function of the profile by name (fails loudly when absent). */
export function fnNamed(profile: Profile, name: string) {
  const fn = profile.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`no function ${name} in profile: ${profile.functions.map((f) => f.name).join(", ")}`);
  return fn;
}

/** Runs the tsprof CLI. */
export function tsprof(args: string[], options: SpawnSyncOptions = {}): RunResult {
  return runNode([CLI, ...args], options);
}

/**
 * Resolves once the profiled process `pid` is watching for signals (its watchdog thread is up:
 * SIGHUP, the last one it takes, shows as caught in /proc/PID/status). Where /proc is missing,
 * resolves at once.
 */
export async function signalsWatched(pid: number, timeoutMs = CHILD_TIMEOUT_MS): Promise<void> {
  const status = `/proc/${pid}/status`;
  if (!fs.existsSync("/proc/self/status")) return;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    let text: string;
    try {
      text = fs.readFileSync(status, "utf8");
    } catch {
      return; // gone: the caller sees how it ended
    }
    const caught = /^SigCgt:\s*([0-9a-f]+)/m.exec(text)?.[1];
    if (caught && (parseInt(caught.slice(-1), 16) & 1) === 1) return;
  }
  throw new Error(`process ${pid} never started watching for signals`);
}

/**
 * Source positions that the plain build (`plainJs`, with an inline map) prints on a line where
 * the instrumented build (`profJs`) does not print them: `plainLine:sourceLine:sourceColumn`,
 * 1-based; positions where a word, number or string starts (where calls and functions start; a
 * closing `}` or `)` of tsprof's blocks may share a line). Empty when every such position of the
 * plain build is on its line instrumented.
 */
export function lineDrift(plainJs: string, profJs: string): string[] {
  const mapOf = (js: string) => {
    const m = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(js);
    if (!m) throw new Error("no inline source map");
    return decodeMappings((JSON.parse(Buffer.from(m[1], "base64").toString("utf8")) as { mappings: string }).mappings);
  };
  const prof = new Set<string>();
  mapOf(profJs).forEach((segs, line) => { for (const s of segs) if (s.length >= 4) prof.add(`${line}:${s[2]}:${s[3]}`); });
  const out: string[] = [];
  const plainLines = plainJs.split("\n");
  mapOf(plainJs).forEach((segs, line) => {
    for (const s of segs) if (s.length >= 4 && /^[\w$"'`]/.test(plainLines[line]?.slice(s[0]) ?? "") && !prof.has(`${line}:${s[2]}:${s[3]}`)) out.push(`${line + 1}:${s[2] + 1}:${s[3] + 1}`);
  });
  return out;
}
