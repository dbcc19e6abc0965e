import { FunctionStats, probeTotals, type Invocation } from "./stats";

/*
 * What the probes add to the times they measure, measured the way user code pays it: warmed-up,
 * optimized loops of the exact shape the transformer emits.
 *
 * - probe: a line's segment runs from one clock read to the next, so besides the line's own
 *   work it holds the tail of its probe and the head of the next: one whole probe. The time per
 *   hit of an empty line is the probe cost.
 * - call: what an instrumented callee costs its caller beyond its own clock reads: a real call
 *   (V8 never inlines recursion, and rarely inlines a callee once the caller's probes have used
 *   its inlining budget), the invocation object (escape analysis rarely removes it in real code:
 *   a 600,000-call fixture ran 110 scavenges) and bookkeeping. Measured as a recursive function,
 *   instrumented, against its plain twin, less the instrumented one's clock reads.
 *
 * Rounds repeat until V8 has optimized the loops and the last RUNS rounds agree within 5% (at
 * least MIN_ROUNDS, at most MAX_ROUNDS); the medians of those rounds are the costs. About 25-30 ms,
 * paid once per thread, at its first write (a fixed 30 warm-up rounds took 48 ms, measured; fewer
 * fixed rounds left the loops unoptimized and the probe cost anywhere from 52 to 90 ns).
 */

const HITS = 2000;
const RUNS = 5;
const MIN_ROUNDS = 8;
const MAX_ROUNDS = 40;

export interface Calibration {
  /** Milliseconds per probe (per hit, and per nested clock read). */
  probe: number;
  /** Milliseconds per nested instrumented invocation, beyond its clock reads. */
  call: number;
}

/** The current sync invocation, kept as each instrumented file keeps its own: a property of a hoisted function (emit.ts). */
function load(): void {}
load.c = undefined as Invocation | undefined;

function emptyLoop(stats: FunctionStats, n: number): number {
  load.c = stats.push(load.c);
  try {
    load.c.hit(1);
    let x = 0;
    for (let i = 0; load.c.count(2), i < n; i++) {
      load.c.hit(3);
      x += i;
    }
    return x;
  } finally {
    load.c!.exit((load.c = load.c!.up));
  }
}

function plainDepth(d: number): number {
  if (d === 0) return 1;
  return plainDepth(d - 1) + 1;
}

function instrumentedDepth(stats: FunctionStats, d: number): number {
  load.c = stats.push(load.c);
  try {
    load.c.hit(1);
    if (d === 0) return 1;
    load.c.hit(2);
    return instrumentedDepth(stats, d - 1) + 1;
  } finally {
    load.c!.exit((load.c = load.c!.up));
  }
}

const DEPTH = 50;

function timeRecursion(stats: FunctionStats | undefined): number {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < HITS / DEPTH; i++) x += stats ? instrumentedDepth(stats, DEPTH - 1) : plainDepth(DEPTH - 1);
  return (performance.now() - t0) / (x || 1);
}

const fresh = () => new FunctionStats("<calibration>", "calibration", 1, [1, 2, 3, 4], [], "sync", "exact");
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[(xs.length - 1) >> 1];

/** Whether the last RUNS values agree within 5% of their median. */
function settled(xs: number[]): boolean {
  if (xs.length < RUNS) return false;
  const last = xs.slice(-RUNS), m = median(last);
  return last.every((x) => Math.abs(x - m) <= 0.05 * m);
}

let measured: Calibration | undefined;

/**
 * The process's costs, once a thread of it measured them: shared memory that every thread
 * created since it was made receives (`worker_threads` environment data, copied into each new
 * thread, a SharedArrayBuffer shared, not copied). Int32 0: 0 none yet, 1 being written, 2
 * written; float64 1 and 2: probe and call. The watchdog thread's or the calibration thread's
 * measurement (watchdog.ts), or a worker's at its first write, serves every later writer of the
 * process: the same code, on the same machine, in the same process (docs/calibration.md).
 */
const SHARED_KEY = "tsprof:calibration";
let slot: SharedArrayBuffer | null | undefined;

/** This process's shared calibration slot (made, and handed on to threads created since, at the first call). */
export function sharedCalibrationSlot(): SharedArrayBuffer | null {
  if (slot !== undefined) return slot;
  try {
    const threads = require("node:worker_threads") as typeof import("node:worker_threads");
    const given = threads.getEnvironmentData(SHARED_KEY);
    if (given instanceof SharedArrayBuffer && given.byteLength === 24) return (slot = given);
    slot = new SharedArrayBuffer(24);
    threads.setEnvironmentData(SHARED_KEY, slot);
  } catch {
    slot = null;
  }
  return slot;
}

/** The costs a thread of this process measured, once one has; else undefined. */
export function sharedCalibration(): Calibration | undefined {
  const sab = sharedCalibrationSlot();
  if (!sab || Atomics.load(new Int32Array(sab, 0, 1), 0) !== 2) return undefined;
  const f = new Float64Array(sab, 8, 2);
  return { probe: f[0], call: f[1] };
}

/** Hands this thread's measurement to the process's later writers (the first measurement stays). */
function publish(c: Calibration): void {
  const sab = sharedCalibrationSlot();
  if (!sab) return;
  const flag = new Int32Array(sab, 0, 1);
  if (Atomics.compareExchange(flag, 0, 0, 1) !== 0) return;
  const f = new Float64Array(sab, 8, 2);
  f[0] = c.probe;
  f[1] = c.call;
  Atomics.store(flag, 0, 2);
}

/**
 * This thread's costs, measured once: taken from `given` when it has them (the watchdog
 * thread's, measured while the program ran), or from another thread of the process that
 * measured them (`sharedCalibration`), else by this thread at its first write (and shared).
 * docs/calibration.md compares the two threads' measurements.
 */
export function threadCalibration(given?: () => Calibration | undefined): Calibration {
  if (measured) return measured;
  measured = given?.() ?? sharedCalibration();
  if (!measured) publish((measured = calibrate()));
  return measured;
}

/** Probe and call costs in milliseconds (the unit of `performance.now()`), measured in this thread. */
export function calibrate(): Calibration {
  const saved = probeTotals.slice();
  const probe: number[] = [], plain: number[] = [], instrumented: number[] = [];
  let sink = 0;
  try {
    for (let r = 0; r < MAX_ROUNDS && !(r >= MIN_ROUNDS && settled(probe) && settled(instrumented)); r++) {
      const a = fresh();
      sink += emptyLoop(a, HITS);
      plain.push(timeRecursion(undefined));
      instrumented.push(timeRecursion(fresh()));
      probe.push(a.time[3] / a.hits[3]);
    }
  } finally {
    probeTotals.set(saved);
  }
  [probe, plain, instrumented].forEach((xs) => xs.splice(0, xs.length - RUNS));
  const k = median(probe);
  // Each instrumented call reads the clock 3 times but at the deepest level (2): 3 - 1/DEPTH.
  const reads = 3 - 1 / DEPTH;
  // `sink` keeps every loop's result alive, so the JIT cannot drop the work being measured.
  const call = Math.max(0, median(instrumented) - median(plain) - reads * k) + (sink === -1 ? 1 : 0);
  return { probe: k, call };
}
