/*
 * Child process of `npm run bench:prof`: sets up one way of profiling (BENCH_PROF_MODE), then
 * times the workload module as harness.ts does.
 *   plain       nothing
 *   calls       the recorder instrumented code calls (tsprof prof --mode clock)
 *   sampler     the counting recorder and V8's sampler on this thread (tsprof prof --mode sampler),
 *               every BENCH_PROF_INTERVAL µs (100)
 *   counts      the counting recorder alone, without the sampler
 *   counter     the floor of any probe in this transform: each entry adds 1 to its function's
 *               Float64Array slot, nothing else (no stack, no edges, no primitive calls)
 *   v8-sampler  V8's CPU profiler, in-process through `inspector`, 100 µs interval
 *   v8-counts   V8's precise coverage with call counts (exact counts from V8 instead of counters)
 */
import * as inspector from "node:inspector";
import { recorder } from "../runtime/calls";
import { DEFAULT_INTERVAL_US, startSampler } from "../runtime/calls-writer";

const mode = process.env.BENCH_PROF_MODE ?? "plain";
if (mode === "calls") recorder();
if (mode === "counts") recorder().setMode("sampler");
if (mode === "counter") {
  let slots = new Float64Array(1024);
  let next = 0;
  const exit = (_: number) => {};
  (globalThis as Record<symbol, unknown>)[Symbol.for("tsprof.calls")] = {
    module(_file: string, metas: unknown[]) {
      const base = next;
      next += metas.length;
      if (next > slots.length) {
        const grown = new Float64Array(next * 2);
        grown.set(slots);
        slots = grown;
      }
      return { enter: (local: number) => { slots[base + local]++; return 0; }, exit, suspend: <T>(_f: number, v: T) => v, resume: <T>(_f: number, v: T) => v };
    },
  };
}
if (mode === "sampler") {
  recorder().setMode("sampler");
  startSampler(Number(process.env.BENCH_PROF_INTERVAL ?? DEFAULT_INTERVAL_US));
}
if (mode === "v8-sampler" || mode === "v8-counts") {
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  if (mode === "v8-sampler") {
    session.post("Profiler.setSamplingInterval", { interval: 100 });
    session.post("Profiler.start");
  } else {
    session.post("Profiler.startPreciseCoverage", { callCount: true, detailed: false });
  }
  // Kept referenced until exit, so the profiler runs for the whole timing.
  (globalThis as { __benchSession?: inspector.Session }).__benchSession = session;
}
require("./harness");
