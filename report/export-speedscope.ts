/*
 * `tsprof export --to speedscope`: speedscope's file format (sampled profiles with weights).
 * Each function is a profile whose stacks are `function > line`, weighted by the line's time;
 * a first profile holds every function, so the whole run is one flame graph.
 */
import type { LprofFile } from "../runtime/lprof";
import { relativeTo, runCwd } from "./export-common";
import type { Profile } from "./profile";

export interface SpeedscopeFrame {
  name: string;
  file?: string;
  line?: number;
}

export interface SpeedscopeProfile {
  type: "sampled";
  name: string;
  unit: "nanoseconds";
  startValue: number;
  endValue: number;
  samples: number[][];
  weights: number[];
}

export interface SpeedscopeFile {
  $schema: string;
  shared: { frames: SpeedscopeFrame[] };
  profiles: SpeedscopeProfile[];
  name: string;
  activeProfileIndex: number;
  exporter: string;
}

export const SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json";

export function exportSpeedscope(profile: Profile, files: LprofFile[], name: string, exporter: string): SpeedscopeFile {
  const cwd = runCwd(files);
  const frames: SpeedscopeFrame[] = [];
  const toNs = profile.unit / 1e-9;
  const all: SpeedscopeProfile = { type: "sampled", name: "all functions", unit: "nanoseconds", startValue: 0, endValue: 0, samples: [], weights: [] };
  const perFunction: SpeedscopeProfile[] = [];
  for (const fn of profile.functions) {
    const shown = relativeTo(fn.file, cwd);
    const fnFrame = frames.push({ name: `${fn.name} (${shown}:${fn.line})`, file: fn.file, line: fn.line }) - 1;
    const own: SpeedscopeProfile = { type: "sampled", name: `${fn.name} ${shown}:${fn.line}`, unit: "nanoseconds", startValue: 0, endValue: 0, samples: [], weights: [] };
    for (const [line, t] of [...fn.lines].sort(([a], [b]) => a - b)) {
      if (t.time <= 0) continue;
      const text = (fn.source[line - fn.line] ?? "").trim();
      const lineFrame = frames.push({ name: `${shown}:${line}  ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`, file: fn.file, line }) - 1;
      const weight = Math.round(t.time * toNs);
      own.samples.push([fnFrame, lineFrame]);
      own.weights.push(weight);
      all.samples.push([fnFrame, lineFrame]);
      all.weights.push(weight);
    }
    own.endValue = own.weights.reduce((a, b) => a + b, 0);
    perFunction.push(own);
  }
  all.endValue = all.weights.reduce((a, b) => a + b, 0);
  return { $schema: SPEEDSCOPE_SCHEMA, shared: { frames }, profiles: [all, ...perFunction], name, activeProfileIndex: 0, exporter };
}
