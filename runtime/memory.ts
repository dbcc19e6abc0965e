import * as v8 from "node:v8";
import { performance } from "node:perf_hooks";

/*
 * Memory mode. Memory in use is V8's heap plus external memory (ArrayBuffers, Buffers), read with
 * `v8.getHeapStatistics()`: 177 ns here, against 8 µs for `process.memoryUsage()` (what
 * memory_profiler's RSS reading costs in Node terms); Node 20 offers nothing cheaper (its internal
 * buffer update alone is 172 ns). Lines that cannot allocate skip the reading (see `quiet`).
 *
 * Allocation is counted, not inferred from memory in use: a thread-wide running total grows at
 * each reading by the growth in use plus whatever garbage collections freed since the previous
 * reading, so a line allocating 8 MB shows 8 MB even if a collection ran inside it.
 * `v8.GCProfiler` says exactly what each collection freed, but asking costs 20 µs, so it is asked
 * only when a collection may have run since it was last asked: memory in use dropped (this caught
 * 256 of 256 collections in a loop of small allocations, measured), or more than 1 MiB was
 * allocated, or the segment since the previous reading lasted more than 1 ms: a segment
 * allocating 16 MB of garbage runs several collections and can still end with no more memory in
 * use than it began with. The time comes from the caller, read without allocating (the sampler's
 * ticks, with sampled timing), or is read inside the bracket (V8 timing).
 */

/**
 * `[IN_USE]`: memory in use at the last reading, bytes; `[ALLOCATED]`: bytes allocated since
 * memory mode started (monotonic, but for credit given ahead to steady lines and taken back:
 * stats.ts `reading`). In a typed array, whose stores never allocate.
 */
export const totals = new Float64Array(5);
export const IN_USE = 0;
export const ALLOCATED = 1;
/** Bytes credited since the last reading to steady lines that were not read (see `SampledInvocation.noisy`). */
export const ASSUMED = 2;
/** What the last reading found the line just ended allocated itself: the growth since the previous boundary, less `ASSUMED`. */
export const OWN = 3;
/**
 * What verifying readings found less than what steady lines were credited, summed (≤ 0): credit
 * given ahead, which later readings that find more than was credited pay back first. Between
 * readings memory in use moves in steps coarser than one line's objects (measured in the
 * class-heavy workload: a span of 12 credited executions, 3,024 bytes, grew by 16 bytes, and a
 * later span by about as much more), so one verification is noisy and the sum is what counts.
 */
export const DRIFT = 4;
/**
 * Credit given ahead beyond `DRIFT_MAX`, or one verification off by more than `SURPRISE_MAX`
 * either way: some steady line's amount is wrong, and every line learns afresh.
 */
export const DRIFT_MAX = 64 * 1024;
export const SURPRISE_MAX = 16 * 1024;

/**
 * Steady lines. A line whose own allocation (`OWN`) was the same at `STEADY` readings in a row is
 * read only once in `VERIFY` executions after that; in between, that amount is credited without a
 * reading. The reading that verifies it sees everything since the previous reading, less what was
 * credited: more is credited to the line read (as any reading's finding is), less is `DRIFT`;
 * when that passes `DRIFT_MAX`, or one verification is off by `SURPRISE_MAX` (some line's
 * allocation changed), `era` moves on, so every line of the thread is read again until it is
 * steady again. So the thread's total stays what readings find, to `DRIFT_MAX`.
 */
export const STEADY = 64;
/**
 * Only lines allocating at most this much of their own are credited without reading: making 1 KiB
 * takes longer than a reading (~180 ns), so reading such lines costs little, and what a credited
 * line may miss (`near`) stays a few bytes.
 */
export const STEADY_MAX_BYTES = 1024;
export const VERIFY = 64;
export const era = new Int32Array(1);

/** Readings taken (`READINGS`) and boundaries of lines that may allocate credited without one (`CREDITED`), for tests and the bench. */
export const readingCounts = new Float64Array(2);
export const READINGS = 0;
export const CREDITED = 1;

export const memory = {
  /** Whether memory mode is on in this thread. */
  on: false,
};

let profiler: v8.GCProfiler | undefined;

/*
 * tsprof's own work at a segment boundary (the bookkeeping, the readings' result objects, the GC
 * profiler's reports) is bracketed by two readings: `openReading` first, `closeReading` last. The
 * program's segment runs from one close to the next open, so nothing of tsprof's lands in it.
 * (Measured in a 100,000-iteration loop: one reading's result object is 0-664 bytes depending on
 * what V8 made of the code, and the bookkeeping around it 10 bytes an iteration more; the
 * program allocated 6.8 MB, single readings billed 7.7-9.2 MB to it.) Only the closing reading's
 * own result object falls in the next segment: `selfBytes`, re-measured every `RECHECK` closings.
 */
let selfBytes = 0;
let sinceCheck = 0;
const RECHECK = 64;
/** Whether every reading closes its bracket (until the bracket has cost `bracketBytes` `CLEAN_RUN` times running). */
let closeEvery = true;
let bracketBytes = -1;
let cleanCloses = 0;
const CLEAN_RUN = 64;
/** The current bracket asked the GC profiler, whose report is tsprof's garbage: it closes. */
let asked = false;
/** Memory in use when the program's current segment began (at the last `closeReading`). */
let segmentStart = 0;
/**
 * Bytes tsprof allocated itself, inside its brackets. Collections free them later: that part of
 * what they free is ours, not the program's. The account starts afresh after the probes' warm-up
 * (`settleMemory`): its 40,000 cold readings once made a line that allocated 16 MB of garbage
 * show 0.1 MB.
 */
let ownGarbage = 0;
/** Clock of the last reading (caller's units, ms). */
/**
 * In a typed array: a fractional double stored in a module variable is a fresh 16-byte number
 * each time, tsprof's garbage inside the bracket in some readings and not others (measured: 0
 * bytes in some brackets, 16 in others, by the sampler's tick count), which kept it from steadying.
 */
const lastReading = new Float64Array(1);

const ASK_AFTER_BYTES = 1024 * 1024;
const ASK_AFTER_MS = 1;
/** Allocation total when the GC profiler was last asked. */
let askedAtBytes = 0;

function inUseNow(): number {
  const h = v8.getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

interface GcStats {
  beforeGC: { heapStatistics: { usedHeapSize: number; externalMemory: number } };
  afterGC: { heapStatistics: { usedHeapSize: number; externalMemory: number } };
}

/** Bytes freed by the collections since the last call. */
function freedSinceLastCall(): number {
  if (!profiler) return 0;
  const report = profiler.stop() as { statistics: GcStats[] } | undefined;
  profiler.start();
  let freed = 0;
  for (const gc of report?.statistics ?? []) {
    const before = gc.beforeGC.heapStatistics, after = gc.afterGC.heapStatistics;
    freed += before.usedHeapSize + before.externalMemory - (after.usedHeapSize + after.externalMemory);
  }
  return Math.max(0, freed);
}

/** Turns memory mode on for this thread. */
export function startMemory(): void {
  if (memory.on) return;
  memory.on = true;
  profiler = new v8.GCProfiler();
  profiler.start();
  segmentStart = inUseNow();
}

/** Starts the accounts afresh (after the probes' warm-up): no collection or garbage of before counts. */
export function settleMemory(nowMs: number): void {
  freedSinceLastCall();
  ownGarbage = 0;
  closeEvery = true;
  bracketBytes = -1;
  cleanCloses = sinceCheck = 0;
  asked = false;
  lastReading[0] = nowMs;
  askedAtBytes = totals[ALLOCATED];
  totals[ASSUMED] = totals[DRIFT] = 0;
  era[0]++;
  const first = inUseNow();
  segmentStart = totals[IN_USE] = inUseNow();
  selfBytes = Math.max(0, segmentStart - first);
}

/**
 * Opens tsprof's bracket at the end of the program's segment: memory in use now, and the running
 * allocation total grown by what the segment allocated, collections included.
 */
export function openReading(nowMs: number): void {
  const first = inUseNow();
  // (-1: no clock the caller could read without allocating; read now, inside the bracket.)
  if (nowMs < 0) nowMs = performance.now();
  readingCounts[READINGS]++;
  // What steady lines were credited since the previous reading is in `totals` already.
  let grown = first - segmentStart - selfBytes - totals[ASSUMED];
  totals[ASSUMED] = 0;
  const long = nowMs - lastReading[0] > ASK_AFTER_MS;
  lastReading[0] = nowMs;
  if (first < segmentStart || totals[ALLOCATED] + grown - askedAtBytes > ASK_AFTER_BYTES || long) {
    const freed = freedSinceLastCall();
    asked = true;
    const ours = Math.min(freed, ownGarbage);
    ownGarbage -= ours;
    grown += freed - ours;
    askedAtBytes = totals[ALLOCATED] + Math.max(0, grown);
  }
  totals[OWN] = grown;
  if (grown > 0) totals[ALLOCATED] += grown;
  totals[IN_USE] = first;
}

/**
 * Closes tsprof's bracket: the program's next segment begins here; what tsprof allocated in between
 * is its own. Once the bracket has cost the same bytes `CLEAN_RUN` times in a row (the probe path
 * is optimized: measured, 16 bytes a bracket in the class-heavy workload, 99.9% of them), the
 * closing reading is skipped and that cost assumed: a reading costs ~180 ns and is most of memory
 * mode's cost (class-heavy workload: 58% of its time in `getHeapStatistics`, two calls a line).
 * It is still taken when the GC profiler was asked (its report is tsprof's garbage), and every
 * `RECHECK` readings, which verifies the cost: if it changed (V8 deoptimized the probe path),
 * every reading closes again until it is steady.
 */
export function closeReading(): void {
  if (!closeEvery && !asked && ++sinceCheck !== RECHECK) {
    // What a closing reading would have seen, less its own result object, not made this time
    // (the next opening takes `selfBytes` off for it).
    ownGarbage += bracketBytes;
    segmentStart = totals[IN_USE] + bracketBytes - selfBytes;
    return;
  }
  let end = inUseNow();
  const spent = end - totals[IN_USE];
  ownGarbage += Math.max(0, spent);
  if (!asked) {
    if (spent !== bracketBytes) {
      closeEvery = true;
      cleanCloses = 0;
      bracketBytes = spent;
    } else if (++cleanCloses >= CLEAN_RUN) {
      closeEvery = false;
    }
  }
  asked = false;
  if (sinceCheck >= RECHECK || (closeEvery && ++sinceCheck === RECHECK)) {
    sinceCheck = 0;
    const again = inUseNow();
    if (again >= end && again - end < 65536) selfBytes = again - end;
    ownGarbage += Math.max(0, again - end);
    end = again;
  }
  segmentStart = end;
}

/**
 * Runs tsprof's own work outside the program's segments, between two readings (V8 mode's fold:
 * stopping and restarting V8's profiler and mapping its samples allocates 11-14 KB for a small
 * profile, measured, and more for a larger one): what it allocates is no line's.
 */
export function asOwnWork(run: () => void): void {
  openReading(-1);
  // The closing reading is taken, whatever the bracket's usual cost.
  asked = true;
  try {
    run();
  } finally {
    closeReading();
  }
}
