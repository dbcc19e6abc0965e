import type { LprofFile } from "../runtime/lprof";

/** One line's totals after calibration, in nanoseconds. */
export interface LineTotals {
  hits: number;
  time: number;
  wait: number;
  /** Sampler ticks that saw the line (sampled runs). */
  samples: number;
  /** Memory mode: most memory in use after the line (bytes, max over runs), bytes it allocated. */
  memory: number;
  allocated: number;
}

/** A function's merged measurements: what one block of the report shows. */
export interface FunctionProfile {
  file: string;
  name: string;
  line: number;
  kind: string;
  source: string[];
  lines: Map<number, LineTotals>;
}

/** Everything the files say, merged: kernprof sums hits and times per function and line. */
export interface Profile {
  /** Seconds per unit of `time` and `wait` (always 1e-9 here). */
  unit: number;
  functions: FunctionProfile[];
  /** Runs (processes and threads) merged in. */
  runCount: number;
  /** Modes the runs were measured in. */
  modes: Set<string>;
  /** Whether any run measured memory. */
  memory: boolean;
  /** V8 mode's sampling interval in microseconds (the smallest of its runs'), when one was. */
  v8Interval?: number;
}

export interface MergeOptions {
  /** Keep the probes' own cost in the times (no calibration). */
  raw?: boolean;
}

const NS = 1e-9;

/**
 * Merges runs from one or more files. Each run's times are first corrected by its own measured
 * probe costs: `time − probe × (hits + nested) − call × calls`, never below zero (docs/calibration.md).
 */
export function mergeProfiles(files: LprofFile[], options: MergeOptions = {}): Profile {
  const byKey = new Map<string, FunctionProfile>();
  const modes = new Set<string>();
  let runCount = 0;
  let hasMemory = false;
  let v8Interval: number | undefined;
  for (const file of files) {
    const toNs = file.unit / NS;
    for (const run of file.runs) {
      runCount++;
      modes.add(run.mode);
      if (run.mode === "v8" && run.rate && run.rate > 0) v8Interval = Math.min(v8Interval ?? Infinity, 1e6 / run.rate);
      const probe = options.raw ? 0 : run.calibration.probe * toNs;
      const call = options.raw ? 0 : run.calibration.call * toNs;
      const col = (name: string) => run.columns.indexOf(name as never);
      const [iWait, iNested, iCalls, iSamples, iMemory, iAllocated] = ["wait", "nested", "calls", "samples", "memory", "allocated"].map(col);
      if (iMemory >= 0) hasMemory = true;
      for (const fn of run.functions) {
        // The probe's cost measured inside the function, where the run has it (docs/calibration.md).
        const own = options.raw || fn.probe === undefined || run.calibration.probe === 0 ? 1 : fn.probe / run.calibration.probe;
        const fnProbe = probe * own, fnCall = call * own;
        const key = `${fn.file}\0${fn.line}\0${fn.name}`;
        let target = byKey.get(key);
        if (!target) {
          target = { file: fn.file, name: fn.name, line: fn.line, kind: fn.kind, source: fn.source, lines: new Map() };
          byKey.set(key, target);
        }
        const lines = target.lines;
        for (const row of fn.lines) {
          const line = row[0], hits = row[1], time = row[2];
          let t = lines.get(line);
          if (t === undefined) {
            t = { hits: 0, time: 0, wait: 0, samples: 0, memory: 0, allocated: 0 };
            lines.set(line, t);
          }
          const nested = iNested < 0 ? 0 : row[iNested], calls = iCalls < 0 ? 0 : row[iCalls];
          t.hits += hits;
          t.time += Math.max(0, time * toNs - fnProbe * (hits + nested) - fnCall * calls);
          t.wait += (iWait < 0 ? 0 : row[iWait]) * toNs;
          t.samples += iSamples < 0 ? 0 : row[iSamples];
          t.memory = Math.max(t.memory, iMemory < 0 ? 0 : row[iMemory]);
          t.allocated += iAllocated < 0 ? 0 : row[iAllocated];
        }
      }
    }
  }
  const functions = [...byKey.values()];
  for (const fn of functions) for (const t of fn.lines.values()) t.time = Math.round(t.time);
  functions.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  return { unit: NS, functions, runCount, modes, memory: hasMemory, ...(v8Interval !== undefined ? { v8Interval: Math.round(v8Interval * 100) / 100 } : {}) };
}

/** Sum of a function's line times, in the profile's unit. */
export function totalTime(fn: FunctionProfile): number {
  let total = 0;
  for (const t of fn.lines.values()) total += t.time;
  return total;
}

export function totalHits(fn: FunctionProfile): number {
  let total = 0;
  for (const t of fn.lines.values()) total += t.hits;
  return total;
}

export function totalWait(fn: FunctionProfile): number {
  let total = 0;
  for (const t of fn.lines.values()) total += t.wait;
  return total;
}
