import { summarize, type Summary } from "./stats";
import { AUTORANGE_MIN_TIME, DEFAULT_REPEAT, type LoopTimer, type Run } from "./timer";
import { checkWarnings, type GcTotals, type TimingWarning } from "./warnings";

/*
 * What `tsprof timeit` does with a statement, apart from printing: find the loop count, time the
 * runs, time the empty loop the same way, and judge the result.
 */

/** Seconds of warm-up (autoranged) before runs of a loop count given with `-n`. */
export const WARM_UP_TIME = 0.05;

/** How to measure; every field has Python's default. */
export interface MeasureOptions {
  /** Loops per run (`-n`); absent: autorange. */
  number?: number;
  /** Runs (`-r`), default 5. */
  repeat?: number;
  /** Called after each autorange step, or each warm-up run when `number` is given. */
  onStep?: (number: number, seconds: number) => void;
  /** Autorange's target run time in seconds (0.2, as Python). */
  minTime?: number;
  /** Formats seconds for warning messages; default `${seconds} sec`. */
  formatTime?: (seconds: number) => string;
}

/** One autorange step or warm-up run. */
export interface Step {
  loops: number;
  seconds: number;
}

/** Everything `tsprof timeit` reports. Times are seconds. */
export interface Measurement {
  loops: number;
  repeat: number;
  /** Autorange's steps, or the warm-up runs (1, 2, 5, … up to `loops`) when `-n` was given. */
  steps: Step[];
  runs: Run[];
  /** Each run's seconds divided by `loops`, in run order. */
  perLoop: number[];
  summary: Summary;
  /** Best per-loop time of the empty loop, timed with the same loop count; null when not measured. */
  emptyLoop: number | null;
  gc: GcTotals;
  warnings: TimingWarning[];
}

/**
 * Times `timer`'s statement: autorange (or, with `number`, a warm-up ramp to it: V8 runs the first
 * calls of a loop unoptimized), then `repeat` runs. `emptyLoop`, when given, is timed with the
 * same loop count (at most 5 runs), so that the floor holds the same clock and loop overhead.
 */
export function measure(timer: LoopTimer, options: MeasureOptions = {}, emptyLoop?: LoopTimer): Measurement {
  const repeat = options.repeat ?? DEFAULT_REPEAT;
  const steps: Step[] = [];
  const step = (loops: number, seconds: number) => {
    steps.push({ loops, seconds });
    options.onStep?.(loops, seconds);
  };
  let loops = options.number;
  if (loops === undefined) loops = timer.autorange(step, options.minTime ?? AUTORANGE_MIN_TIME).number;
  else warmUp(timer, step);

  const runs = timer.runs(repeat, loops);
  const perLoop = runs.map((r) => r.seconds / r.loops);
  const summary = summarize(perLoop);
  const floor = emptyLoop ? bestPerLoop(emptyLoop, loops, Math.min(repeat, DEFAULT_REPEAT)) : null;
  const gc = gcTotals(runs);
  const formatTime = options.formatTime ?? ((s: number) => `${s} sec`);
  const warnings = checkWarnings({ summary, emptyLoop: floor, gc, formatTime });
  return { loops, repeat, steps, runs, perLoop, summary, emptyLoop: floor, gc, warnings };
}

/**
 * Warm-up before runs of a fixed loop count: autorange to a shorter target. A few short runs are
 * not enough: V8 collects type feedback only from a function's ~8th call on and optimizes long
 * runs mid-loop, so after a single 10^6-loop warm-up run `x` still timed 6.1 ns per loop in the
 * first timed run (0.41 ns later), and after a ramp of 1, 2, 5, … 1000 loops the first runs of
 * `xs.reduce((a, b) => a + b, 0)` took 9 µs per loop against 0.44 µs once optimized.
 */
function warmUp(timer: LoopTimer, step?: (loops: number, seconds: number) => void): void {
  timer.autorange(step, WARM_UP_TIME);
}

function bestPerLoop(timer: LoopTimer, loops: number, repeat: number): number {
  warmUp(timer);
  return Math.min(...timer.repeat(repeat, loops)) / loops;
}

function gcTotals(runs: Run[]): GcTotals {
  const totals = { count: 0, full: 0, seconds: 0, share: 0 };
  let timed = 0;
  for (const run of runs) {
    totals.count += run.gc.count;
    totals.full += run.gc.full;
    totals.seconds += run.gc.seconds;
    timed += run.seconds;
  }
  totals.share = timed > 0 ? totals.seconds / timed : 0;
  return totals;
}
