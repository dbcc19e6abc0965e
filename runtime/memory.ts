import { performance } from "node:perf_hooks";
import * as v8 from "node:v8";

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
 * allocated, or (checked every 64 readings) more than 1 ms passed: a segment allocating 16 MB of
 * garbage runs several collections and can still end with more memory in use than it began with.
 */

/**
 * `[IN_USE]`: memory in use at the last reading, bytes; `[ALLOCATED]`: bytes allocated since
 * memory mode started (monotonic). In a typed array, not object fields: storing a double in a
 * field can box it, and every reading would allocate the very bytes it measures.
 */
export const totals = new Float64Array(2);
export const IN_USE = 0;
export const ALLOCATED = 1;

export const memory = {
  /** Whether memory mode is on in this thread. */
  on: false,
};

let profiler: v8.GCProfiler | undefined;

/*
 * A reading allocates too (the statistics object, a boxed sum: 0 to 664 bytes, depending on
 * what V8 made of the code that very moment; measured), and that would be billed to the next
 * line. So each reading takes two heap readings back to back: their difference is exactly one
 * reading's own allocation, in the same compiled code, and the next segment subtracts it.
 */
let selfBytes = 0;
let sinceCheck = 0;
/**
 * Bytes tsprof allocated itself and kept out of every line (readings, GC reports). Collections
 * free them later: that part of what they free is ours, not the program's, and is not counted.
 */
let ownGarbage = 0;

const ASK_AFTER_BYTES = 1024 * 1024;
const ASK_AFTER_MS = 1;
/** Allocation total and clock when the GC profiler was last asked. */
let askedAtBytes = 0;
let askedAtMs = 0;

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
  askedAtMs = performance.now();
  const first = inUseNow();
  totals[IN_USE] = inUseNow();
  selfBytes = Math.max(0, totals[IN_USE] - first);
}

/** Takes a reading: updates memory in use and the running allocation total. */
export function readMemory(): void {
  const first = inUseNow();
  let now = inUseNow();
  let grown = first - totals[IN_USE] - selfBytes;
  ownGarbage += selfBytes;
  selfBytes = Math.max(0, now - first);
  ownGarbage += selfBytes;
  // The clock is read every 64th reading only: `performance.now()` allocates 32 bytes (measured).
  const late = (++sinceCheck & 63) === 0 && performance.now() - askedAtMs > ASK_AFTER_MS;
  if (first < totals[IN_USE] || totals[ALLOCATED] + grown - askedAtBytes > ASK_AFTER_BYTES || late) {
    const freed = freedSinceLastCall();
    const ours = Math.min(freed, ownGarbage);
    ownGarbage -= ours;
    grown += freed - ours;
    askedAtMs = performance.now();
    askedAtBytes = totals[ALLOCATED] + Math.max(0, grown);
    // The profiler's report is itself a sizable allocation: start the next segment after it.
    const after = inUseNow();
    ownGarbage += Math.max(0, after - now);
    now = after;
  }
  if (grown > 0) totals[ALLOCATED] += grown;
  totals[IN_USE] = now;
}
