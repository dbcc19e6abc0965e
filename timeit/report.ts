import { formatG } from "../report/printf";
import { autoUnit, formatTime, loops, type TimeUnit } from "./format";
import type { Measurement } from "./measure";
import type { Snippets } from "./snippet";

/*
 * What `tsprof timeit` prints. The first line is `python -m timeit`'s, character for character,
 * so that habits and scripts carry over; the `-v` lines before it too. The lines after it are the
 * spread JavaScript benchmark users expect (mitata, tinybench), and what tsprof measured besides.
 */

/** How times are written: `-u` (default: per value, as Python) and `%.{precision}g` (3, +1 per extra `-v`). */
export interface TimeFormat {
  unit?: TimeUnit;
  precision: number;
}

/** `-v` progress line, as Python's autorange callback prints it: `20 loops -> 0.000743 secs`. */
export function formatStep(count: number, seconds: number, precision: number): string {
  return `${loops(count)} -> ${formatG(seconds, precision)} secs`;
}

/** The result lines; `verbose` adds raw times (Python's) before and the spread, floor and GC after. */
export function formatReport(m: Measurement, format: TimeFormat, verbose: boolean): string {
  const time = (s: number) => formatTime(s, format.unit, format.precision);
  const { summary, gc } = m;
  const lines: string[] = [];
  if (verbose) lines.push(`raw times: ${m.runs.map((r) => time(r.seconds)).join(", ")}`, "");
  lines.push(`${loops(m.loops)}, best of ${m.repeat}: ${time(summary.best)} per loop`);
  // The spread in the mean's unit, so that the two numbers read together: `4.52 usec ± 0.08 usec`.
  const meanUnit = format.unit ?? autoUnit(summary.mean);
  lines.push(`mean ± std dev: ${time(summary.mean)} ± ${formatTime(summary.stddev, meanUnit, format.precision)}`);
  if (verbose) {
    lines.push(`p75: ${time(summary.p75)}, p99: ${time(summary.p99)}, worst: ${time(summary.worst)} (over ${summary.runs} run${summary.runs === 1 ? "" : "s"})`);
    if (m.emptyLoop !== null) lines.push(`empty loop: ${time(m.emptyLoop)} per loop`);
    const full = gc.full > 0 ? `, ${gc.full} full` : "";
    lines.push(`garbage collection: ${gc.count} collection${gc.count === 1 ? "" : "s"}${full}, ${time(gc.seconds)} (${formatG(gc.share * 100, 2)}% of the timed runs)`);
  }
  return lines.join("\n") + "\n";
}

/** `--json`: every figure in seconds, the snippets, and the warnings with their kinds. */
export function formatJson(m: Measurement, snippets: Snippets): string {
  const { summary, gc } = m;
  return JSON.stringify({
    stmt: snippets.stmt,
    setup: snippets.setup,
    imports: snippets.imports,
    loops: m.loops,
    repeat: m.repeat,
    perLoopSeconds: {
      best: summary.best,
      mean: summary.mean,
      stddev: summary.stddev,
      p75: summary.p75,
      p99: summary.p99,
      worst: summary.worst,
    },
    rawSeconds: m.runs.map((r) => r.seconds),
    steps: m.steps,
    emptyLoopSeconds: m.emptyLoop,
    gc: { count: gc.count, full: gc.full, seconds: gc.seconds, share: gc.share },
    warnings: m.warnings,
  }, null, 2) + "\n";
}
