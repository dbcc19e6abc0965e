import { describeThrown } from "./_describe";
import { collectGarbage, watchGc, type GcActivity } from "./gc";
import { functionHarness, type Harness, type LoopState } from "./harness";

/*
 * Python's `timeit.Timer`, for functions, and the one measuring core of tsprof timeit: the CLI
 * times its snippets through this class too, so the API and the command print the same numbers.
 */

/** Python's default `number` for `timeit()` and `repeat()`. */
export const DEFAULT_NUMBER = 1_000_000;
/** Python's default `repeat` (5 since Python 3.7). */
export const DEFAULT_REPEAT = 5;
/** Autorange stops at the first run lasting at least this long, in seconds (Python: 0.2). */
export const AUTORANGE_MIN_TIME = 0.2;

/** Monotonic seconds from `process.hrtime.bigint()` (nanoseconds since boot: exact in a double for 104 days of uptime). */
export function defaultTimer(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Options of `new Timer()`, `timeit()`, `repeat()` and `autorange()`. */
export interface TimerOptions {
  /** Runs before each run's loop, untimed (Python runs setup once per `timeit()` call too). */
  setup?: () => unknown;
  /** A clock in seconds; inject a fake one to test code that times. Default: `defaultTimer`. */
  timer?: () => number;
}

/** One run: `loops` executions of the statement between two clock reads. */
export interface Run {
  loops: number;
  seconds: number;
  gc: GcActivity;
}

/** Outcome of `autorange()`: Python's `(number, time_taken)`. */
export interface Autorange {
  number: number;
  timeTaken: number;
}

/** Called after each autorange step, as Python's `autorange(callback)`. */
export type AutorangeCallback = (number: number, timeTaken: number) => void;

/** Error thrown by the timed code, with whether it came from setup (before the clock started). */
export class TimedCodeError extends Error {
  constructor(readonly thrown: unknown, readonly inSetup: boolean) {
    super(describeThrown(thrown), { cause: thrown });
  }
}

/** The measuring core: a compiled loop and a clock. The CLI builds one per snippet. */
export class LoopTimer {
  constructor(private readonly harness: Harness, private readonly timer: () => number = defaultTimer) {}

  /** One run of `number` loops, with young garbage collected before and collections watched during it. */
  run(number: number): Run {
    const state: LoopState = { result: undefined, timing: false };
    collectGarbage("minor");
    const stopWatching = watchGc();
    let seconds: number;
    try {
      seconds = this.harness(number, this.timer, state);
    } catch (e) {
      stopWatching();
      throw new TimedCodeError(e, !state.timing);
    }
    return { loops: number, seconds, gc: stopWatching() };
  }

  /** Seconds taken by `number` executions of the statement (Python's `Timer.timeit`). */
  timeit(number = DEFAULT_NUMBER): number {
    return this.run(number).seconds;
  }

  /** `repeat` runs of `number` loops; their seconds (Python's `Timer.repeat`: take the min). */
  repeat(repeat = DEFAULT_REPEAT, number = DEFAULT_NUMBER): number[] {
    return this.runs(repeat, number).map((r) => r.seconds);
  }

  /** `repeat` runs of `number` loops, with their GC activity; the whole heap is collected first. */
  runs(repeat: number, number: number): Run[] {
    collectGarbage("full");
    return Array.from({ length: repeat }, () => this.run(number));
  }

  /** Loops 1, 2, 5, 10, 20, 50, … until one run takes ≥ `minTime` seconds (Python's `autorange`). */
  autorange(callback?: AutorangeCallback, minTime = AUTORANGE_MIN_TIME): Autorange {
    for (let i = 1; ; i *= 10) {
      for (const j of [1, 2, 5]) {
        const number = i * j;
        const timeTaken = this.timeit(number);
        callback?.(number, timeTaken);
        if (timeTaken >= minTime) return { number, timeTaken };
      }
    }
  }
}

/** Times a function: `new Timer(() => work()).timeit(1000)` → seconds for 1000 calls. */
export class Timer extends LoopTimer {
  constructor(stmt: () => unknown, options: TimerOptions = {}) {
    super(functionHarness(stmt, options.setup), options.timer);
  }

  /** As `LoopTimer.run`, but what the function throws comes out unwrapped, as in Python. */
  override run(number: number): Run {
    try {
      return super.run(number);
    } catch (e) {
      throw e instanceof TimedCodeError ? e.thrown : e;
    }
  }
}
