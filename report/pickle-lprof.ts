/*
 * kernprof's `.lprof`: a pickled `LineStats { timings: {(file, first_line, name): [(line, hits,
 * time)]}, unit }`. tsprof writes one that `python -m line_profiler` prints, and reads kernprof's
 * own so Python and TypeScript profiles are viewed (and merged) by one tool.
 */
import * as fs from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile, type LprofFunction } from "../runtime/lprof";
import { parsePickle, PickleError, PyDict, PyObject, PyTuple, type PyValue } from "./pickle";
import { PickleWriter, type PickleValue } from "./pickle-write";
import type { FunctionProfile, Profile } from "./profile";
import { LprofError } from "./read";

/** Where line_profiler defines `LineStats`: the Cython module (4.x and 5.x), and the Python one of some releases. */
const LINE_STATS_CLASSES = new Set(["line_profiler._line_profiler.LineStats", "line_profiler.line_profiler.LineStats"]);
const WRITTEN_CLASS = { module: "line_profiler._line_profiler", name: "LineStats" };

/**
 * A pickle of the profile's hits and times (calibrated, in its unit), as kernprof's `dump_stats`
 * writes one. `fileName` maps each source file to the name the pickle gives it.
 */
export function lineStatsPickle(profile: Profile, fileName: (fn: FunctionProfile) => string = (fn) => fn.file): Buffer {
  const timings: [PickleValue, PickleValue][] = profile.functions.map((fn) => {
    const rows = [...fn.lines].sort(([a], [b]) => a - b).map(([line, t]) => ({ tuple: [line, t.hits, t.time] }));
    return [{ tuple: [fileName(fn), fn.line, fn.name] }, rows];
  });
  return PickleWriter.dump({ object: WRITTEN_CLASS, state: { dict: [["timings", { dict: timings }], ["unit", { float: profile.unit }]] } });
}

/** Text for Python's viewer to read as a function's source file; `undefined` when it cannot. */
export interface Snapshot {
  fn: FunctionProfile;
  text: string | undefined;
}

/**
 * Python's viewer re-reads each function's source file and finds where the function ends with
 * Python's tokenizer (`inspect.getblock`). On TypeScript it stops at the last line holding an
 * `@` outside brackets, so a JSDoc-marked method shows its first line only, and it crashes when
 * brackets never balance (a class's closing brace, seen from a method). So each function gets a
 * file of its own: blank up to its first line, its snapshot, then `@end`, where Python's block
 * ends. A snapshot whose brackets Python would not see balanced gets no file: the viewer then
 * prints the numbers without the source, as it does for a file that is gone.
 */
export function snapshotSources(profile: Profile): Snapshot[] {
  return profile.functions.map((fn) => ({
    fn,
    text: balancedForPython(fn.source) ? `${"\n".repeat(fn.line - 1)}${fn.source.join("\n")}\n@end\n` : undefined,
  }));
}

/** Whether Python's tokenizer sees the lines' brackets balanced, never closing more than it opened. */
export function balancedForPython(lines: string[]): boolean {
  let depth = 0;
  for (const line of lines) {
    if (/'''|"""|\\$/.test(line)) return false;
    const code = line.replace(/'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*"/g, "").replace(/#.*/, "");
    if (/['"]/.test(code)) return false;
    for (const c of code) {
      if ("([{".includes(c)) depth++;
      else if (")]}".includes(c) && --depth < 0) return false;
    }
  }
  return depth === 0;
}

/** True when `bytes` starts as a pickle of protocol 2 or later does. */
export function looksLikePickle(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
}

/**
 * A kernprof `.lprof` as a tsprof profile: one exact run. A pickle carries no source, so the
 * source is read from the file now, as kernprof's viewer does (blank lines when it is gone).
 */
export function readLineStats(file: string, bytes: Uint8Array): LprofFile {
  let value: PyValue;
  try {
    value = parsePickle(bytes, LINE_STATS_CLASSES);
  } catch (e) {
    if (!(e instanceof PickleError)) throw e;
    throw new LprofError(`tsprof: ${file} is a pickle tsprof will not read (${e.message}; opcode at byte ${e.offset}); tsprof reads line_profiler's .lprof files, as data only`);
  }
  const bad = (what: string) => new LprofError(`tsprof: ${file} is a pickle but not line_profiler's LineStats (${what}); pass a .lprof written by kernprof`);
  const state = value instanceof PyObject ? value.state : undefined;
  if (!(state instanceof PyDict)) throw bad("no object with fields");
  const timings = state.get("timings");
  const unit = state.get("unit");
  if (!(timings instanceof PyDict)) throw bad("no timings dict");
  if (typeof unit !== "number" || !(unit > 0)) throw bad("no positive unit");
  const sources = new Map<string, string[] | undefined>();
  const functions: LprofFunction[] = timings.entries.map(([key, rows], i) => {
    const [path, first, name] = key instanceof PyTuple ? key.items : [];
    if (typeof path !== "string" || typeof first !== "number" || typeof name !== "string") throw bad(`timings key ${i} is not (file, line, name)`);
    if (!Array.isArray(rows)) throw bad(`timings of ${name} are not a list`);
    const lines = rows.map((row) => {
      const cells = row instanceof PyTuple ? row.items.map((c) => (typeof c === "bigint" ? Number(c) : c)) : [];
      if (cells.length !== 3 || !cells.every((c) => typeof c === "number" && Number.isFinite(c))) throw bad(`a timing of ${name} is not (line, hits, time)`);
      return cells as number[];
    });
    lines.sort((a, b) => a[0] - b[0]);
    // A relative name is kernprof's "as given": found from here, or else from the pickle's folder.
    if (!sources.has(path)) sources.set(path, readSourceLines(path) ?? (isAbsolute(path) ? undefined : readSourceLines(join(dirname(file), path))));
    const last = lines.length ? lines[lines.length - 1][0] : first;
    return { file: path, name, line: first, kind: "sync", source: functionBlock(sources.get(path), first, last), lines };
  });
  return {
    format: LPROF_FORMAT,
    version: LPROF_VERSION,
    unit,
    runs: [{
      id: `line_profiler:${file}`, session: "", pid: 0, threadId: 0, argv: [], cwd: "", node: "",
      start: "", end: "", duration: 0, mode: "exact", complete: true,
      columns: ["line", "hits", "time"], calibration: { probe: 0, call: 0 }, functions,
    }],
  };
}

function readSourceLines(path: string): string[] | undefined {
  try {
    return fs.readFileSync(path, "utf8").split(/\r?\n/);
  } catch {
    return undefined;
  }
}

const indent = (s: string) => s.length - s.trimStart().length;

/**
 * The lines of the function starting at `first`, as `inspect.getblock` finds a Python block:
 * decorators and the `def` line, then every line indented deeper, through `last` at least.
 * A closing `}` at the function's own indentation is kept, for profiles of braced languages.
 */
export function functionBlock(all: string[] | undefined, first: number, last: number): string[] {
  if (!all) return Array.from({ length: last - first + 1 }, () => "");
  const base = indent(all[first - 1] ?? "");
  let end = first; // exclusive, 1-based
  let inBody = false;
  for (let n = first + 1; n <= all.length; n++) {
    const text = all[n - 1];
    if (text.trim() === "") continue;
    if (indent(text) > base) inBody = true;
    else if (inBody) {
      if (/^[}\])]/.test(text.trimStart())) end = n;
      break;
    }
    end = n;
  }
  end = Math.max(end, last);
  return Array.from({ length: end - first + 1 }, (_, i) => all[first - 1 + i] ?? "");
}
