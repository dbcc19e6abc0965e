import * as v8 from "node:v8";
import * as vm from "node:vm";

/*
 * Python's timeit turns the garbage collector off while timing. V8's cannot be turned off, so
 * tsprof does the two honest things left: it collects before the runs (the whole heap once, the
 * young generation before each run), so that no run pays for the garbage of the one before, and
 * it counts the collections inside each run, so that a result dominated by GC says so. `v8.GCProfiler` (Node ≥ 18.15) reports synchronously; a
 * PerformanceObserver delivers its `gc` entries only after the runs, and counted ≈ 1.6x as many
 * events for the same runs (measured: 1616 vs 1021 on `[...Array(1000).keys()].map(…)`).
 */

/** Garbage collection during one run. */
export interface GcActivity {
  /** Pauses of any kind (scavenges, incremental marking steps, full collections). */
  count: number;
  /** Full (mark-sweep-compact) collections among them: the heap's old generation filled up. */
  full: number;
  /** Time spent in them, in seconds. */
  seconds: number;
}

type Gc = (options?: { type: "minor" | "major" }) => void;
let gc: Gc | null | undefined;

/** `gc()` without `node --expose-gc`: the flag is set just long enough to fetch it from a fresh context. */
function findGc(): Gc | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as Gc;
  try {
    v8.setFlagsFromString("--expose-gc");
    const fresh = vm.runInNewContext("gc") as unknown;
    return typeof fresh === "function" ? (fresh as Gc) : null;
  } catch {
    return null;
  } finally {
    v8.setFlagsFromString("--no-expose-gc");
  }
}

/**
 * Empties the young generation (`minor`, ≈ 0.1 ms), or the whole heap (`full`: 3 ms on a bare
 * heap, 15 ms once TypeScript is loaded, measured), so before every run only a minor collection
 * fits: the full one, before each autorange step, made `tsprof timeit` spend 0.9 s of 1.5 s in GC.
 * Does nothing when the engine refuses.
 */
export function collectGarbage(kind: "minor" | "full"): void {
  if (gc === undefined) gc = findGc();
  gc?.(kind === "minor" ? { type: "minor" } : undefined);
}

/** Starts watching collections; the returned function stops and tells what happened. */
export function watchGc(): () => GcActivity {
  const profiler = new v8.GCProfiler();
  profiler.start();
  return () => {
    const activity: GcActivity = { count: 0, full: 0, seconds: 0 };
    for (const event of profiler.stop().statistics) {
      activity.count++;
      if (event.gcType === "MarkSweepCompact") activity.full++;
      activity.seconds += event.cost / 1e6;
    }
    return activity;
  };
}
