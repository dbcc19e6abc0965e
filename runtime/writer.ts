import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import { threadId } from "node:worker_threads";
import { calibrate, type Calibration } from "./calibrate";
import { LPROF_FORMAT, LPROF_VERSION, type LprofColumn, type LprofFile, type LprofLine, type LprofRun } from "./lprof";
import type { Session } from "./session";
import { chunks, CHUNK } from "./sampler";
import { memory } from "./memory";
import type { FunctionStats } from "./stats";

const MS_TO_NS = 1e6;
let calibration: Calibration | undefined;

const EXACT_COLUMNS: LprofColumn[] = ["line", "hits", "time", "wait", "nested", "calls"];
const SAMPLED_COLUMNS: LprofColumn[] = ["line", "hits", "time", "wait", "samples"];
const MEMORY_COLUMNS: LprofColumn[] = ["memory", "allocated"];

/** A line's row: exact counters, or (sampled mode) the sampler's time and ticks for its global slot. */
function rowOf(f: FunctionStats, slot: number): LprofLine | undefined {
  const hits = f.hits[slot], wait = Math.round(f.wait[slot] * MS_TO_NS);
  if (f.mode === "sampled") {
    const g = f.base + slot;
    const chunk = chunks[Math.floor(g / CHUNK)];
    const samples = chunk ? chunk.samples[g % CHUNK] : 0;
    const time = chunk ? Math.round(chunk.time[g % CHUNK] * MS_TO_NS) : 0;
    return hits || time || wait ? [f.lines[slot], hits, time, wait, samples, ...memoryCells(f, slot)] : undefined;
  }
  const time = Math.round(f.time[slot] * MS_TO_NS);
  return hits || time || wait ? [f.lines[slot], hits, time, wait, f.nested[slot], f.calls[slot], ...memoryCells(f, slot)] : undefined;
}

/** Memory mode's cells: most memory in use after the line, bytes it allocated. */
function memoryCells(f: FunctionStats, slot: number): number[] {
  return f.memory ? [f.memMax[slot], Math.round(f.allocated[slot])] : [];
}

function linesOf(f: FunctionStats): LprofLine[] {
  const out: LprofLine[] = [];
  for (let slot = 1; slot < f.lines.length; slot++) {
    const row = rowOf(f, slot);
    if (row) out.push(row);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** This thread's profile so far, as one run of the file. */
export function snapshotRun(s: Session, complete: boolean): LprofRun {
  const sampled = s.mode === "sampled";
  // Sampled times carry no probe cost to remove: the probes never read the clock.
  if (!sampled) calibration ??= calibrate();
  const now = performance.now();
  return {
    id: `${process.pid}-${threadId}-${Math.round(s.startWall)}${s.part ? `-${s.part}` : ""}`,
    session: s.id,
    pid: process.pid,
    threadId,
    argv: process.argv.slice(),
    cwd: s.cwd,
    node: process.version,
    start: new Date(s.startWall).toISOString(),
    end: new Date(s.startWall + now).toISOString(),
    duration: now / 1000,
    mode: sampled ? "sampled" : "exact",
    ...(sampled ? { rate: s.rate } : {}),
    columns: [...(sampled ? SAMPLED_COLUMNS : EXACT_COLUMNS), ...(memory.on ? MEMORY_COLUMNS : [])],
    complete,
    calibration: sampled || !calibration ? { probe: 0, call: 0 } : {
      probe: Math.round(calibration.probe * MS_TO_NS * 100) / 100,
      call: Math.round(calibration.call * MS_TO_NS * 100) / 100,
    },
    functions: s.functions.map((f) => ({
      file: f.file,
      name: f.name,
      line: f.firstLine,
      kind: f.kind,
      source: f.source.slice(),
      lines: linesOf(f),
    })),
  };
}

/**
 * Runs already in the file that belong with ours: the same session (this process tree: children
 * and workers inherit `TSPROF_SESSION`), or any other process still running when we started
 * (parallel runs). Runs that ended before we started are a previous execution's and are
 * replaced, as kernprof replaces its output.
 */
function runsToKeep(file: string, run: LprofRun, startWall: number): LprofRun[] {
  let existing: LprofFile;
  try {
    existing = JSON.parse(fs.readFileSync(file, "utf8")) as LprofFile;
  } catch {
    return [];
  }
  if (!existing || existing.format !== LPROF_FORMAT || existing.version !== LPROF_VERSION || !Array.isArray(existing.runs)) return [];
  return existing.runs.filter((r) => r && r.id !== run.id && (r.session === run.session || Date.parse(r.end) >= startWall));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

function isStale(lock: string): boolean {
  try {
    const pid = Number(fs.readFileSync(lock, "utf8"));
    const age = Date.now() - fs.statSync(lock).mtimeMs;
    if (age > 10_000) return true;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Runs `fn` holding `<file>.lock`, so concurrent writers merge instead of overwriting each other. */
export function withLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (isStale(lock)) fs.rmSync(lock, { force: true });
      else if (Date.now() > deadline) return fn(); // a stuck writer must not cost us our data
      else sleep(5);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Writes (merging, atomically: temp file + rename) this thread's run into `file`. */
export function writeRun(file: string, run: LprofRun, startWall: number): void {
  withLock(file, () => {
    const data: LprofFile = {
      format: LPROF_FORMAT,
      version: LPROF_VERSION,
      unit: 1e-9,
      runs: [...runsToKeep(file, run, startWall), run],
    };
    const tmp = `${file}.${process.pid}-${threadId}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data));
    fs.renameSync(tmp, file);
  });
}
