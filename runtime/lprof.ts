/**
 * The `.lprof` file: the only thing the runtime and the CLI share. JSON, versioned, documented
 * in docs/lprof-format.md. Types only (plus two constants), so the CLI can import it freely.
 */

export const LPROF_FORMAT = "tsprof-lprof";
/** Bumped when a reader of the previous version would misread the file. */
export const LPROF_VERSION = 1;

/**
 * Columns a line's row may have; `line`, `hits` and `time` always come first, in that order.
 * - `time`: execution time in `unit`s, as measured (exact mode: probes included);
 * - `wait`: time suspended at `await`/`yield` on the line (not in `time`);
 * - `nested`, `calls`: clock reads and invocations of profiled callees during the line, from
 *   which the CLI removes the probes' cost (exact mode; see `LprofRun.calibration`);
 * - `samples`: sampler ticks that found the line on the stack (sampled mode), or V8's samples
 *   billed to the line (V8 mode; a callee's samples split between lines count in proportion);
 * - `memory`: the most memory in use (V8 heap + external, bytes) seen after the line (memory mode);
 * - `allocated`: bytes allocated while the line ran, callees included, garbage collections
 *   notwithstanding (memory mode).
 */
export type LprofColumn = "line" | "hits" | "time" | "wait" | "nested" | "calls" | "samples" | "memory" | "allocated";

/** One line's measurements, in the order of its run's `columns`. */
export type LprofLine = number[];

export interface LprofFunction {
  /** Absolute path of the original source file. */
  file: string;
  /** Qualified name: `foo`, `Cart.total`, `Cart.get size`. */
  name: string;
  /** First line of the report: the `@profile` mark (decorator or JSDoc tag), 1-based. */
  line: number;
  /** `sync`, `async`, `generator` or `async generator`. */
  kind: string;
  /** Source lines `line, line+1, …` as they were at compile time. */
  source: string[];
  /** Lines that ran, ascending. Lines that never ran are absent. */
  lines: LprofLine[];
  /**
   * Exact mode: what one probe cost inside this function as it ran, in `unit`s, measured on its
   * lines too cheap to cost anything themselves (docs/calibration.md). When present, the CLI
   * removes this instead of `calibration.probe`, and scales `calibration.call` alike.
   */
  probe?: number;
}

/** What every profile run says of the process and thread it measured (`.lprof` and `.prof` alike). */
export interface RunInfo {
  /** Unique per process and thread: `pid-threadId-startMillis`. Rewriting a run replaces it. */
  id: string;
  /** Shared by a process tree (children and workers inherit it): runs of one session are merged. */
  session: string;
  pid: number;
  /** 0 for the main thread, else the worker's `threadId`. */
  threadId: number;
  /** `process.argv` of the profiled process. */
  argv: string[];
  cwd: string;
  /** `process.version`. */
  node: string;
  /** ISO-8601 wall-clock start and last write. */
  start: string;
  end: string;
  /** Seconds from the runtime's start to this write. */
  duration: number;
}

export interface LprofRun extends RunInfo {
  /**
   * How times were taken: `exact` (a clock read per line), `sampled` (a sampler thread) or `v8`
   * (V8's CPU profiler on the thread, its samples mapped to lines; docs/v8-mode.md).
   */
  mode: "exact" | "sampled" | "v8";
  /** Sampler rate in Hz (sampled mode; V8 mode: V8's sampling interval is its inverse). */
  rate?: number;
  /** What each entry of a line's row is, in order (see `LprofColumn`). */
  columns: LprofColumn[];
  /** `true` for the final write at exit; `false` for interval dumps and crash-time snapshots. */
  complete: boolean;
  /**
   * Probe costs measured in this process, in `unit`s: the CLI shows each line's `time` less
   * `probe × (hits + nested) + call × calls`, never below zero (see docs/calibration.md).
   */
  calibration: { probe: number; call: number };
  functions: LprofFunction[];
}

export interface LprofFile {
  format: typeof LPROF_FORMAT;
  version: number;
  /** Seconds per time unit in `lines` (1e-9: nanoseconds). */
  unit: number;
  runs: LprofRun[];
}
