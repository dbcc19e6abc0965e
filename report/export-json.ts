/*
 * `tsprof export --to json`: one flat table, a row per line that ran, for scripts (jq, pandas).
 * The columns are documented in docs/export-formats.md.
 */
import type { LprofFile } from "../runtime/lprof";
import { relativeTo, runCwd } from "./export-common";
import { totalTime, type Profile } from "./profile";

export const TABLE_FORMAT = "tsprof-table";
export const TABLE_VERSION = 1;

export interface TableRow {
  file: string;
  path: string;
  function: string;
  functionLine: number;
  kind: string;
  line: number;
  hits: number;
  time: number;
  wait: number;
  samples: number;
  memory: number;
  allocated: number;
  percent: number;
  source: string;
}

export interface Table {
  format: typeof TABLE_FORMAT;
  version: number;
  unit: number;
  cwd: string | null;
  modes: string[];
  memory: boolean;
  rows: TableRow[];
}

/** Every line that ran, in report order: hits, calibrated time and wait in `unit`s, memory in bytes. */
export function exportTable(profile: Profile, files: LprofFile[]): Table {
  const cwd = runCwd(files);
  const rows: TableRow[] = [];
  for (const fn of profile.functions) {
    const total = totalTime(fn);
    for (const [line, t] of [...fn.lines].sort(([a], [b]) => a - b)) {
      rows.push({
        file: fn.file, path: relativeTo(fn.file, cwd), function: fn.name, functionLine: fn.line, kind: fn.kind,
        line, hits: t.hits, time: t.time, wait: t.wait, samples: t.samples, memory: t.memory, allocated: t.allocated,
        percent: total === 0 ? 0 : (100 * t.time) / total,
        source: fn.source[line - fn.line] ?? "",
      });
    }
  }
  return { format: TABLE_FORMAT, version: TABLE_VERSION, unit: profile.unit, cwd: cwd ?? null, modes: [...profile.modes].sort(), memory: profile.memory, rows };
}
