import type { LprofFile } from "../runtime/lprof";
import { relativeTo, runCwd } from "./export-common";
import type { Profile } from "./profile";

/**
 * What the HTML page embeds, in arrays rather than objects: 10,000 functions stay a few MB and
 * parse in one `JSON.parse`.
 */
export interface ReportData {
  title: string;
  /** Seconds per displayed time unit, and its label. */
  outputUnit: number;
  unitLabel: string;
  /** Seconds per unit of the times below. */
  unit: number;
  memory: boolean;
  modes: string[];
  runs: RunMeta[];
  cwd: string | null;
  generated: string;
  /** Display paths, indexed by `FunctionData[1]`. */
  files: string[];
  functions: FunctionData[];
}

export interface RunMeta {
  command: string;
  cwd: string;
  node: string;
  pid: number;
  threadId: number;
  start: string;
  duration: number;
  mode: string;
  rate?: number;
  complete: boolean;
}

/** `[name, file index, first line, kind, sampled (0/1), source lines, rows]` */
export type FunctionData = [string, number, number, string, number, string[], LineData[]];
/** `[line, hits, time, wait, samples, memory, allocated]`: times in `unit`s, memory in bytes. */
export type LineData = [number, number, number, number, number, number, number];

const UNIT_LABELS: [number, string][] = [[1e-9, "ns"], [1e-6, "µs"], [1e-3, "ms"], [1, "s"]];

export function reportData(profile: Profile, files: LprofFile[], options: { title: string; outputUnit?: number; now?: Date }): ReportData {
  const cwd = runCwd(files);
  const outputUnit = options.outputUnit ?? 1e-6;
  const sampled = new Set<string>();
  const runs: RunMeta[] = [];
  for (const file of files) {
    for (const run of file.runs) {
      if (run.argv.length) {
        runs.push({
          command: run.argv.join(" "), cwd: run.cwd, node: run.node, pid: run.pid, threadId: run.threadId,
          start: run.start, duration: run.duration, mode: run.mode, rate: run.rate, complete: run.complete,
        });
      }
      if (run.mode !== "sampled") continue;
      for (const fn of run.functions) sampled.add(`${fn.file}\0${fn.line}\0${fn.name}`);
    }
  }
  const fileIndex = new Map<string, number>();
  const functions = profile.functions.map((fn): FunctionData => {
    let index = fileIndex.get(fn.file);
    if (index === undefined) fileIndex.set(fn.file, (index = fileIndex.size));
    const rows = [...fn.lines].sort(([a], [b]) => a - b)
      .map(([line, t]): LineData => [line, t.hits, t.time, t.wait, t.samples, t.memory, t.allocated]);
    return [fn.name, index, fn.line, fn.kind, sampled.has(`${fn.file}\0${fn.line}\0${fn.name}`) ? 1 : 0, fn.source, rows];
  });
  return {
    title: options.title,
    outputUnit,
    unitLabel: UNIT_LABELS.find(([u]) => u === outputUnit)?.[1] ?? `× ${outputUnit} s`,
    unit: profile.unit,
    memory: profile.memory,
    modes: [...profile.modes].sort(),
    runs,
    cwd: cwd ?? null,
    generated: (options.now ?? new Date()).toISOString(),
    files: [...fileIndex.keys()].map((f) => relativeTo(f, cwd)),
    functions,
  };
}
