/**
 * The function profile file (`.prof`), written by the recorder and read by `tsprof stats`.
 * Documented in docs/prof-format.md; keep the two in step, and bump the version on any change
 * a reader of the previous version would misread.
 */
import type { RunInfo } from "./lprof";

export const PROF_FORMAT = "tsprof-prof";
/** 2: sampler mode (`mode: "v8-sampler"`), rows the sampler saw but nothing counted (`sampled`). */
export const PROF_VERSION = 2;

/** One caller of a function: `[caller index, ncalls, primitive calls, tottime, cumtime]` (seconds). */
export type ProfCaller = [caller: number, ncalls: number, pcalls: number, tottime: number, cumtime: number];

export interface ProfFunction {
  /** Original source path (absolute), or `~` for built-ins. */
  file: string;
  /** First line, 1-based, of the original source; 0 for built-ins. */
  line: number;
  name: string;
  kind?: string;
  /** Every call, recursive ones included. */
  ncalls: number;
  /** Calls made while the function was not already running (not recursive). */
  pcalls: number;
  /** Seconds in the function itself, its callees excluded. */
  tottime: number;
  /** Seconds in the function and its callees (outermost calls only, so recursion is counted once). */
  cumtime: number;
  /** Seconds suspended at `await`/`yield` (in neither tottime nor cumtime). */
  wait?: number;
  /**
   * Seen by V8's sampler only (built-ins, Node's internals, files not instrumented): its calls
   * were not counted, so ncalls and pcalls are 0 and mean "not counted", not "never called".
   */
  sampled?: boolean;
  /** Callers, by index into the run's functions; -1 is no instrumented caller. */
  callers: ProfCaller[];
}

/** A node of a run's sampled stacks: `[parent node (-1: a top frame), function index, self seconds]`. */
export type ProfStackNode = [parent: number, fn: number, self: number];

export interface ProfRun extends RunInfo {
  /** How times were taken: `deterministic` (a clock at entry and exit) or `v8-sampler` (V8's CPU profiler). */
  mode: string;
  /** `v8-sampler`: the sampling interval, microseconds. */
  interval?: number;
  functions: ProfFunction[];
  /**
   * `v8-sampler`: the stacks the samples were taken in, as a tree of `functions` (parents before
   * their children). Exports draw them; runs without them get a call tree rebuilt from the edges.
   */
  stacks?: ProfStackNode[];
}

export interface ProfFile {
  format: typeof PROF_FORMAT;
  version: number;
  runs: ProfRun[];
}
