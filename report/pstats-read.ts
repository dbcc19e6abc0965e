/**
 * Reading, validating and writing `.prof` files (docs/prof-format.md). Errors are one line naming
 * the file, the problem and the fix, like `tsprof view`'s for `.lprof`.
 */
import * as fs from "node:fs";
import { PROF_FORMAT, PROF_VERSION, type ProfCaller, type ProfFile, type ProfFunction, type ProfRun, type ProfStackNode } from "../runtime/prof-format";
import { jsonErrorOffset } from "./json-error";
import { ctime, funcKey, stackChild, Stats, type CallStat, type FuncStat, type StackNode } from "./pstats";
import { LprofError, readProfileBytes } from "./read";

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Reads and validates a `.prof` file. */
export function readProf(file: string): ProfFile {
  // The same bounded read as .lprof files: a FIFO or a device is refused, not read forever.
  const raw = readProfileBytes(file, ".prof", `write one with tsprof prof -o ${file} SCRIPT`);
  if (raw.length === 0) throw new LprofError(`tsprof: ${file} is empty; the program may still be running, or was killed before it could write`);
  if (raw[0] !== 0x7b && raw[0] !== 0x20 && raw[0] !== 0x0a) {
    throw new LprofError(`tsprof: ${file} is not a tsprof profile (not JSON; Python's cProfile output is read by python -m pstats); pass a file written by tsprof prof -o`);
  }
  const text = raw.toString("utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const at = jsonErrorOffset(text);
    const where = at >= text.length ? `truncated JSON at byte ${Buffer.byteLength(text)}` : `invalid JSON at byte ${Buffer.byteLength(text.slice(0, at))}`;
    throw new LprofError(`tsprof: ${file} is not a tsprof profile (${where}); re-run the program or pass another file`);
  }
  return validate(file, data);
}

function validate(file: string, data: unknown): ProfFile {
  const bad = (where: string, what: string) => new LprofError(`tsprof: ${file} is malformed: ${where} ${what}; re-run the program to write it again`);
  if (!isObj(data) || data.format !== PROF_FORMAT) {
    const hint = isObj(data) && data.format === "tsprof-lprof" ? "it is a line profile: read it with tsprof view" : "pass a file written by tsprof prof -o";
    throw new LprofError(`tsprof: ${file} is not a function profile (no "format": "${PROF_FORMAT}"); ${hint}`);
  }
  if (!isNum(data.version) || data.version < 1) throw bad("version", "is not a positive number");
  if (data.version > PROF_VERSION) {
    throw new LprofError(`tsprof: ${file} was written by a newer tsprof (format version ${data.version}; this tsprof reads up to ${PROF_VERSION}); upgrade tsprof to read it`);
  }
  if (!Array.isArray(data.runs)) throw bad("runs", "is not a list");
  data.runs.forEach((run, i) => validateRun(run, `runs[${i}]`, bad));
  return data as unknown as ProfFile;
}

function validateRun(run: unknown, where: string, bad: (where: string, what: string) => LprofError): asserts run is ProfRun {
  if (!isObj(run)) throw bad(where, "is not an object");
  for (const key of ["id", "start", "end", "mode"] as const) if (typeof run[key] !== "string") throw bad(`${where}.${key}`, "is not a string");
  if (!isNum(run.duration)) throw bad(`${where}.duration`, "is not a number");
  if (run.interval !== undefined && !(isNum(run.interval) && (run.interval as number) > 0)) throw bad(`${where}.interval`, "is not a positive number");
  if (!Array.isArray(run.functions)) throw bad(`${where}.functions`, "is not a list");
  const n = run.functions.length;
  run.functions.forEach((fn: unknown, j: number) => {
    const w = `${where}.functions[${j}]`;
    if (!isObj(fn)) throw bad(w, "is not an object");
    if (typeof fn.file !== "string" || typeof fn.name !== "string") throw bad(w, "lacks a file or name");
    if (!isCount(fn.line)) throw bad(`${w}.line`, "is not a line number");
    if (!isCount(fn.ncalls) || !isCount(fn.pcalls) || (fn.pcalls as number) > (fn.ncalls as number)) throw bad(w, "has ncalls/pcalls that are not counts with pcalls <= ncalls");
    if (!isNum(fn.tottime) || !isNum(fn.cumtime)) throw bad(w, "has a tottime or cumtime that is not a number");
    if (fn.wait !== undefined && !isNum(fn.wait)) throw bad(`${w}.wait`, "is not a number");
    if (fn.sampled !== undefined && fn.sampled !== true) throw bad(`${w}.sampled`, "is not true");
    if (fn.sampled && (fn.ncalls !== 0 || fn.pcalls !== 0)) throw bad(w, "is sampled (not counted) but has ncalls or pcalls");
    if (!Array.isArray(fn.callers)) throw bad(`${w}.callers`, "is not a list");
    fn.callers.forEach((c: unknown, k: number) => {
      if (!Array.isArray(c) || c.length !== 5 || !c.every(isNum) || !Number.isInteger(c[0]) || c[0] < -1 || c[0] >= n) {
        throw bad(`${w}.callers[${k}]`, `is not [caller index (-1..${n - 1}), ncalls, pcalls, tottime, cumtime]`);
      }
    });
  });
  if (run.stacks === undefined) return;
  if (!Array.isArray(run.stacks)) throw bad(`${where}.stacks`, "is not a list");
  run.stacks.forEach((node: unknown, k: number) => {
    if (!Array.isArray(node) || node.length !== 3 || !node.every(isNum) || !Number.isInteger(node[0]) || node[0] < -1 || node[0] >= k
      || !Number.isInteger(node[1]) || node[1] < 0 || node[1] >= n || node[2] < 0) {
      throw bad(`${where}.stacks[${k}]`, `is not [parent node (-1..${k - 1}), function index (0..${n - 1}), self seconds >= 0]`);
    }
  });
}

/** The runs of a file as pstats figures (callers with index -1 — no profiled caller — are not listed). */
export function statsFromProf(prof: ProfFile, header?: string): Stats {
  const stats = new Stats();
  if (header) stats.files.push(header);
  const modes = new Set(prof.runs.map((r) => r.mode));
  if (modes.size) stats.mode = modes.size === 1 ? [...modes][0] : "mixed";
  for (const run of prof.runs) {
    const keys = run.functions.map((f) => funcKey(f));
    if (run.stacks) {
      const nodes: StackNode[] = [];
      for (const [parent, fn, self] of run.stacks) {
        const f = run.functions[fn];
        const node = stackChild(parent < 0 ? stats.stacks : nodes[parent], { file: f.file, line: f.line, name: f.name });
        node.self += self;
        nodes.push(node);
      }
    } else if (run.functions.some((f) => f.tottime > 0 || f.cumtime > 0)) {
      stats.stacksComplete = false;
    }
    for (const f of run.functions) {
      if (f.ncalls === 0 && f.tottime === 0 && f.cumtime === 0) continue;
      const callers = new Map<string, CallStat>();
      for (const [c, nc, cc, tt, ct] of f.callers) if (c >= 0) callers.set(keys[c], [nc, cc, tt, ct]);
      const s: FuncStat = { func: { file: f.file, line: f.line, name: f.name }, cc: f.pcalls, nc: f.ncalls, tt: f.tottime, ct: f.cumtime, wait: f.wait ?? 0, callers, ...(f.sampled ? { sampled: true } : {}) };
      stats.addFunction(s);
    }
  }
  return stats;
}

/** pstats' `Stats(file)`: read, validate, and head the report with the file's time and name. */
export function loadStats(file: string): Stats {
  const prof = readProf(file);
  let header = file;
  try {
    header = `${ctime(fs.statSync(file).mtime)}    ${file}`;
  } catch {
    // The header is a courtesy.
  }
  return statsFromProf(prof, header);
}

/** The figures of `stats` as a one-run `.prof` file (`dump_stats`). */
export function profFromStats(stats: Stats, argv: string[] = process.argv.slice()): ProfFile {
  const entries = [...stats.stats.values()];
  const index = new Map(entries.map((s, i) => [funcKey(s.func), i]));
  const extra: ProfFunction[] = [];
  const indexOf = (key: string): number => {
    let i = index.get(key);
    if (i === undefined) {
      const [file, line, name] = key.split("\0");
      i = entries.length + extra.length;
      index.set(key, i);
      extra.push({ file, line: Number(line), name, ncalls: 0, pcalls: 0, tottime: 0, cumtime: 0, callers: [] });
    }
    return i;
  };
  const functions: ProfFunction[] = entries.map((s) => ({
    file: s.func.file, line: s.func.line, name: s.func.name,
    ncalls: s.nc, pcalls: s.cc, tottime: s.tt, cumtime: s.ct,
    ...(s.wait ? { wait: s.wait } : {}),
    ...(s.sampled ? { sampled: true as const } : {}),
    callers: [...s.callers].map(([k, [nc, cc, tt, ct]]) => [indexOf(k), nc, cc, tt, ct] as ProfCaller),
  }));
  const stacks: ProfStackNode[] = [];
  if (stats.hasStacks()) {
    const walk = (node: StackNode, parent: number) => {
      for (const child of node.children.values()) {
        const at = stacks.length;
        stacks.push([parent, indexOf(funcKey(child.func)), child.self]);
        walk(child, at);
      }
    };
    walk(stats.stacks, -1);
  }
  const now = new Date().toISOString();
  return {
    format: PROF_FORMAT,
    version: PROF_VERSION,
    runs: [{
      id: `merged-${process.pid}-${Date.now()}`, session: "merged", pid: process.pid, threadId: 0, argv, cwd: process.cwd(),
      node: process.version, start: now, end: now, duration: stats.totalTt, mode: stats.mode ?? "deterministic", functions: [...functions, ...extra],
      ...(stacks.length ? { stacks } : {}),
    }],
  };
}

/** Writes `stats` to `file` (atomically). */
export function dumpStats(stats: Stats, file: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(profFromStats(stats)));
  fs.renameSync(tmp, file);
}
