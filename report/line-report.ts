import * as path from "node:path";
import { formatF, formatG, formatWG } from "./printf";
import { totalHits, totalTime, totalWait, type FunctionProfile, type LineTotals, type Profile } from "./profile";

export interface ReportOptions {
  /** Seconds per displayed time unit (kernprof `-u`). Default 1e-6. */
  outputUnit?: number;
  /** Hide functions never called (`-z`). */
  skipZero?: boolean;
  /** Order functions by ascending total time (`-t`), so the heaviest ends up last, nearest the prompt. */
  sort?: boolean;
  /** Append one line per function: `%6.2f seconds - file:line - name` (`-m`). */
  summarize?: boolean;
  /** Add a per-line `Wait` column: time suspended at `await`/`yield`. */
  wait?: boolean;
  /** Add a per-line `Samples` column: sampler ticks behind each time (sampled runs). */
  samples?: boolean;
  /** Add `Mem usage` and `Allocated` columns (profiles taken in memory mode). */
  memory?: boolean;
  /** Decimals of MiB figures in the memory report. Default 1. */
  precision?: number;
  /** ANSI colors (only ever on a TTY). */
  color?: boolean;
  /** Directory file names are shown relative to. Default: the working directory. */
  cwd?: string;
}

// kernprof's minimum column widths (line_profiler.toml `show.column_widths`); they widen to fit.
const MIN_WIDTHS = { line: 6, hits: 9, time: 12, perhit: 8, percent: 8 };

const ansi = (on: boolean) => {
  const wrap = (code: string) => (s: string) => (on && s.trim() ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { bold: wrap("1"), dim: wrap("2"), red: wrap("31"), yellow: wrap("33"), cyan: wrap("36") };
};

/** A file name as the report shows it: relative to `cwd` when inside it, as kernprof's short paths. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

function orderedFunctions(profile: Profile, options: ReportOptions): FunctionProfile[] {
  const fns = profile.functions.slice();
  if (options.sort) fns.sort((a, b) => totalTime(a) - totalTime(b));
  return fns;
}

/** A column after kernprof's five, shown on request: not part of kernprof's layout. */
export interface ExtraColumn {
  header: string;
  minWidth: number;
  cell(t: LineTotals, scalar: number): string;
}

const MIB = 1024 * 1024;
/** memory_profiler's cell: `{:5.1f} MiB` (width precision + 4). */
export const mib = (bytes: number, precision = 1) => `${formatF(bytes / MIB, precision + 4, precision)} MiB`;

export const EXTRA_COLUMNS = {
  wait: { header: "Wait", minWidth: 12, cell: (t, scalar) => (t.wait > 0 ? formatF(t.wait * scalar, 5, 1) : "") },
  samples: { header: "Samples", minWidth: 8, cell: (t) => (t.samples > 0 ? String(t.samples) : "") },
  memory: { header: "Mem usage", minWidth: 12, cell: (t) => (t.memory > 0 ? mib(t.memory) : "") },
  allocated: { header: "Allocated", minWidth: 12, cell: (t) => (t.hits > 0 ? mib(t.allocated) : "") },
} satisfies Record<string, ExtraColumn>;

/** The extra columns `options` ask for, in the order they stand after kernprof's. */
export function extraColumns(options: ReportOptions): ExtraColumn[] {
  const c = EXTRA_COLUMNS;
  return [
    ...(options.wait ? [c.wait] : []),
    ...(options.samples ? [c.samples] : []),
    ...(options.memory ? [c.memory, c.allocated] : []),
  ];
}

/** A line's five cells (and the extra ones), before padding. */
interface Cells {
  hits: string;
  time: string;
  perhit: string;
  percent: string;
  extra: readonly string[];
  share: number;
}

/** One function's block, exactly as line_profiler's `show_func` lays it out (plus requested extra columns). */
export function formatFunction(fn: FunctionProfile, profile: Profile, options: ReportOptions = {}): string {
  const c = ansi(!!options.color);
  const outputUnit = options.outputUnit ?? 1e-6;
  const unit = profile.unit;
  const scalar = unit / outputUnit;
  const total = totalTime(fn);
  const wait = totalWait(fn);
  const extras = extraColumns(options);
  const out: string[] = [c.bold(`Total time: ${formatG(total * unit)} s`), `File: ${displayPath(fn.file, options.cwd)}`, c.bold(`Function: ${fn.name} at line ${fn.line}`)];
  if (wait > 0) out.push(`Wait time: ${formatG(wait * unit)} s (suspended at await/yield; not in Total time)`);
  const untimed = untimedReason(fn, profile);
  if (untimed) out.push(untimed);

  // Cells by source line; lines outside the source (none in tsprof's files) still widen columns.
  const first = fn.line, count = fn.source.length;
  const bySource: (Cells | undefined)[] = new Array(count);
  const extraWidths = extras.map((x) => Math.max(x.minWidth, x.header.length));
  let wHits = MIN_WIDTHS.hits, wTime = MIN_WIDTHS.time, wPerhit = MIN_WIDTHS.perhit;
  for (const [line, t] of fn.lines) {
    // The same arithmetic, in the same order, as kernprof: identical doubles, identical text.
    const scaled = t.time * scalar;
    let time = formatF(scaled, 5, 1);
    if (time.length > MIN_WIDTHS.time) time = formatWG(scaled, 5, 3);
    let perhit = t.hits > 0 ? formatF(scaled / t.hits, 5, 1) : "";
    if (perhit.length > MIN_WIDTHS.perhit) perhit = formatWG(scaled / t.hits, 5, 3);
    let hits = String(t.hits);
    if (hits.length > MIN_WIDTHS.hits) hits = formatG(t.hits);
    const percent = total === 0 ? "" : formatF((100 * t.time) / total, 5, 1);
    const extra = extras.length === 0 ? NO_CELLS : extras.map((x) => x.cell(t, scalar));
    if (hits.length > wHits) wHits = hits.length;
    if (time.length > wTime) wTime = time.length;
    if (perhit.length > wPerhit) wPerhit = perhit.length;
    for (let i = 0; i < extra.length; i++) if (extra[i].length > extraWidths[i]) extraWidths[i] = extra[i].length;
    const at = line - first;
    if (at >= 0 && at < count) bySource[at] = { hits, time, perhit, percent, extra, share: total === 0 ? 0 : t.time / total };
  }
  const wLine = MIN_WIDTHS.line, wPercent = MIN_WIDTHS.percent;
  // Cells are padded before coloring, so ANSI codes never move a column.
  const row = (line: string, hits: string, time: string, perhit: string, percent: string, extra: readonly string[], paint?: (x: string) => string) => {
    let r = `${line.padStart(wLine)} ${hits.padStart(wHits)} ${time.padStart(wTime)} ${perhit.padStart(wPerhit)} `;
    r += paint ? paint(percent.padStart(wPercent)) : percent.padStart(wPercent);
    for (let i = 0; i < extra.length; i++) r += ` ${extra[i].padStart(extraWidths[i])}`;
    return r;
  };
  const header = `${row("Line #", "Hits", "Time", "Per Hit", "% Time", extras.map((x) => x.header))}  Line Contents`;
  out.push("", header, "=".repeat(header.length));
  const blank = extras.length === 0 ? NO_CELLS : extras.map(() => "");
  const blankRow = row("", "", "", "", "", blank);
  for (let i = 0; i < count; i++) {
    const d = bySource[i];
    const line = String(first + i);
    if (!d) {
      out.push(`${line.length <= wLine ? line.padStart(wLine) + blankRow.slice(wLine) : row(line, "", "", "", "", blank)}  ${fn.source[i]}`);
      continue;
    }
    const paint = !options.color ? undefined : d.share >= 0.25 ? c.red : d.share >= 0.1 ? c.yellow : undefined;
    out.push(`${row(line, d.hits, d.time, d.perhit, d.percent, d.extra, paint)}  ${fn.source[i]}`);
  }
  out.push("");
  return out.join("\n") + "\n";
}

const NO_CELLS: readonly string[] = [];

/**
 * Why a function that ran shows `Total time: 0 s`, which would otherwise read as "free". In exact
 * mode a line cheaper than the clock read that would time it is left untimed (a loop test, a
 * function's last line: docs/semantics.md), and what is timed loses the probes' measured cost;
 * a one-line arrow called a few times can end with nothing. Its time is in its callers' lines.
 */
export function untimedReason(fn: FunctionProfile, profile: Profile): string | undefined {
  if (totalTime(fn) > 0 || totalHits(fn) === 0) return undefined;
  if (profile.modes.has("exact")) {
    return "Hits only: the lines that ran are too cheap to time (each costs less than the clock read that would time it); their time is in the lines that called this function.";
  }
  return "Hits only: it ran too briefly for any sample to land in it; its time is in the lines that called this function.";
}

/** Below this many samples, a line's share moves by more than ±2.5 points from run to run. */
export const FEW_SAMPLES = 400;

/**
 * A short V8-timed run gets few samples, and a line's % Time from N of them is off by up to
 * sqrt(p(1 - p) / N): at most 50/sqrt(N) points. Said plainly, with what gives closer times.
 */
export function fewSamplesNote(profile: Profile): string | undefined {
  let samples = 0;
  for (const fn of profile.functions) for (const t of fn.lines.values()) samples += t.samples;
  if (samples >= FEW_SAMPLES) return undefined;
  if (samples === 0) return `No sample landed in profiled lines: the run was too short for V8's sampler. Exact timing (tsprof run --exact; the plugin's timing: "exact") times short runs.`;
  const points = 50 / Math.sqrt(samples);
  return `Only ${samples} sample${samples === 1 ? "" : "s"} landed in profiled lines: each line's % Time is good to about ±${points >= 10 ? Math.round(points) : points.toFixed(1)} points. A longer run, or exact timing (tsprof run --exact; the plugin's timing: "exact"), times short runs closer.`;
}

/** Why a profile shows nothing, or undefined when it shows something. */
export function emptyReason(profile: Profile, options: ReportOptions): string | undefined {
  if (profile.functions.length === 0) {
    return "No functions were profiled: no module with @profile-marked functions was loaded. Mark a function with /** @profile */ (or use `tsprof run --all`) and run again.";
  }
  if (profile.functions.every((fn) => totalHits(fn) === 0)) {
    const n = profile.functions.length;
    return `None of the ${n} profiled function${n === 1 ? " was" : "s were"} called during the run${options.skipZero ? " (-z hides them)" : ""}.`;
  }
  return undefined;
}

/** The whole report, as `python -m line_profiler` prints it. */
export function formatReport(profile: Profile, options: ReportOptions = {}): string {
  const outputUnit = options.outputUnit ?? 1e-6;
  const parts = [`Timer unit: ${formatG(outputUnit)} s\n\n`];
  if (profile.modes.has("sampled")) parts.push("Times are estimates from sampling; hits are exact.\n\n");
  if (profile.modes.has("v8")) {
    const every = profile.v8Interval ? ` every ${formatG(profile.v8Interval)} µs` : "";
    parts.push(`Times are from V8's CPU profiler (sampling${every}); hits are exact.\n\n`);
    const few = fewSamplesNote(profile);
    if (few) parts.push(`${few}\n\n`);
  }
  const reason = emptyReason(profile, options);
  if (reason) parts.push(`${reason}\n\n`);
  const fns = orderedFunctions(profile, options);
  for (const fn of fns) {
    if (options.skipZero && totalHits(fn) === 0) continue;
    parts.push(formatFunction(fn, profile, options));
  }
  if (options.summarize) parts.push(formatSummary(profile, options));
  return parts.join("");
}

/** `-m`: one line per function, `%6.2f seconds - file:line - name`. */
export function formatSummary(profile: Profile, options: ReportOptions = {}): string {
  const lines: string[] = [];
  for (const fn of orderedFunctions(profile, options)) {
    const seconds = totalTime(fn) * profile.unit;
    if (options.skipZero && !seconds) continue;
    lines.push(`${formatF(seconds, 6, 2)} seconds - ${displayPath(fn.file, options.cwd)}:${fn.line} - ${fn.name}`);
  }
  return lines.map((l) => l + "\n").join("");
}

/** One function as memory_profiler's `show_results` lays it out: Mem usage, Increment (allocated), Occurrences. */
export function formatMemoryFunction(fn: FunctionProfile, options: ReportOptions = {}): string {
  const precision = options.precision ?? 1;
  const row = (a: string, b: string, c: string, d: string, text: string) =>
    `${a.padStart(6)} ${b.padStart(12)} ${c.padStart(12)}  ${d.padStart(10)}   ${text}`;
  const header = row("Line #", "Mem usage", "Increment", "Occurrences", "Line Contents");
  const out = [`Filename: ${displayPath(fn.file, options.cwd)}`, "", header, "=".repeat(header.length)];
  fn.source.forEach((text, i) => {
    const line = fn.line + i;
    const t = fn.lines.get(line);
    out.push(t && t.hits > 0
      ? row(String(line), mib(t.memory, precision), mib(t.allocated, precision), String(t.hits), text)
      : row(String(line), "", "", "", text));
  });
  return out.join("\n") + "\n\n\n";
}

/** `tsprof view --memory`: memory_profiler's report of every function. */
export function formatMemoryReport(profile: Profile, options: ReportOptions = {}): string {
  if (!profile.memory) {
    return "No memory was measured in this profile: run with memory on (plugin option \"memory\": true, tsprof run --memory, or TSPROF_MEMORY=1).\n";
  }
  return orderedFunctions(profile, options)
    .filter((fn) => !options.skipZero || totalHits(fn) > 0)
    .map((fn) => formatMemoryFunction(fn, options))
    .join("");
}
