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
 * allocated, or more than 1 ms passed (a segment allocating 16 MB of garbage runs several
 * collections and can still end with more memory in use than it began with).
 */

export const memory = {
  /** Whether memory mode is on in this thread. */
  on: false,
  /** Memory in use at the last reading, bytes. */
  inUse: 0,
  /** Bytes allocated since memory mode started (monotonic). */
  allocated: 0,
};

let profiler: v8.GCProfiler | undefined;

/*
 * A reading allocates too: `getHeapStatistics()` returns a fresh object (664 bytes measured,
 * 424 once V8 optimizes the reader), which the next reading would bill to the next line. It is
 * subtracted, and re-measured every `RECHECK` readings with a back-to-back pair.
 */
let selfBytes = 0;
let sinceCheck = 0;
const RECHECK = 256;

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
  memory.inUse = inUseNow();
  selfBytes = Math.max(0, memory.inUse - first);
}

/** Takes a reading: updates memory in use and the running allocation total. */
export function readMemory(): void {
  let now = inUseNow();
  let grown = now - memory.inUse - selfBytes;
  if (now < memory.inUse || memory.allocated + grown - askedAtBytes > ASK_AFTER_BYTES || performance.now() - askedAtMs > ASK_AFTER_MS) {
    grown += freedSinceLastCall();
    askedAtMs = performance.now();
    askedAtBytes = memory.allocated + Math.max(0, grown);
    // The profiler's report is itself a sizable allocation: start the next segment after it.
    now = inUseNow();
    sinceCheck = 0;
  }
  if (grown > 0) memory.allocated += grown;
  if (++sinceCheck === RECHECK) {
    sinceCheck = 0;
    const again = inUseNow();
    if (again >= now && again - now < 65536) selfBytes = again - now;
    now = again;
  }
  memory.inUse = now;
}
