import { DEFAULT_NUMBER, DEFAULT_REPEAT, Timer, type Autorange, type AutorangeCallback, type TimerOptions } from "./timer";

/*
 * `import { timeit, repeat, autorange } from "tsprof"`: Python's module-level functions, on
 * functions instead of source strings. Each call compiles its own loop (see harness.ts); reuse one
 * `Timer` to autorange and then repeat on the same, already optimized, loop as the CLI does.
 * This module must stay cheap to import: no TypeScript, no snippet compiler.
 */

/** The measuring core and its defaults (Python's). */
export { Timer, LoopTimer, TimedCodeError, defaultTimer, DEFAULT_NUMBER, DEFAULT_REPEAT, AUTORANGE_MIN_TIME } from "./timer";
/** Types of the core's results and options. */
export type { Autorange, AutorangeCallback, Run, TimerOptions } from "./timer";
export type { GcActivity } from "./gc";

/** Options of `timeit()`. */
export interface TimeitOptions extends TimerOptions {
  /** Calls to time; default 1,000,000 (Python's). */
  number?: number;
}

/** Options of `repeat()`. */
export interface RepeatOptions extends TimeitOptions {
  /** Runs; default 5 (Python's). */
  repeat?: number;
}

/** Options of `autorange()`. */
export interface AutorangeOptions extends TimerOptions {
  /** Called after each step with the loop count and its seconds. */
  callback?: AutorangeCallback;
}

/** Seconds taken by `number` calls of `stmt` (Python's `timeit.timeit`). */
export function timeit(stmt: () => unknown, options: TimeitOptions = {}): number {
  return new Timer(stmt, options).timeit(options.number ?? DEFAULT_NUMBER);
}

/** Seconds of each of `repeat` runs of `number` calls; take the minimum (Python's `timeit.repeat`). */
export function repeat(stmt: () => unknown, options: RepeatOptions = {}): number[] {
  return new Timer(stmt, options).repeat(options.repeat ?? DEFAULT_REPEAT, options.number ?? DEFAULT_NUMBER);
}

/** Loop count (1, 2, 5, 10, …) whose run first takes ≥ 0.2 s, and that run's seconds (Python's `Timer.autorange`). */
export function autorange(stmt: () => unknown, options: AutorangeOptions = {}): Autorange {
  return new Timer(stmt, options).autorange(options.callback);
}
