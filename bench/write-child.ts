/*
 * Child process of `npm run bench:view`: registers the big profile's functions with the real
 * runtime, fills their counters, and times the write the process makes at exit (snapshot,
 * calibration, merge with the file already there, atomic replace). Prints JSON
 * `{ snapshotMs, writeMs, totalMs, runs }`: `runs` is how many runs the file holds afterwards.
 *
 * argv: OUTPUT FUNCTIONS [SCENARIO] [SERIALIZER]. SCENARIO `sibling`: just before the write, another
 * process's run (another session, still running) is written to OUTPUT, and must be kept.
 * BENCH_WRITE_WATCHDOG=1 starts the watchdog thread at the first registration, as a real main
 * thread does on node 20 and 22 (exact timing: it measures the probes' costs while the rest loads).
 * `calibrate`: only times the probes' calibration, which the first write of every thread pays
 * (`{ calibrateMs }`). `static`: only times what registration spends serializing the functions'
 * names and sources (`{ staticMs }`). SERIALIZER `objects`: the run built as one object and given
 * to `JSON.stringify` whole, as the writer did before (the reference, timed beside the writer's
 * own); `chunks`: the writer's serializer without what registration made.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import { bigProfile } from "./big-profile";
import type { LprofFunction } from "../runtime/lprof";
import { registerFunctions, session, type FunctionMeta } from "../runtime/session";
import { cacheStaticJson, serializeRun, snapshotRun, writeRun } from "../runtime/writer";
import type { FunctionStats } from "../runtime/stats";
import { startCalibration, startWatchdog, watchdogCalibration, watchdogRunning } from "../runtime/watchdog";

const [output, count, scenario, serializer] = process.argv.slice(2);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
if (scenario === "calibrate") {
  const { calibrate } = require("../runtime/calibrate") as typeof import("../runtime/calibrate");
  const c0 = cpu(), t0 = performance.now();
  calibrate();
  process.stdout.write(JSON.stringify({ calibrateMs: performance.now() - t0, calibrateCpuMs: cpu() - c0 }));
  process.exit(0);
}

/** Registers the functions and fills their counters; nothing but the runtime's counters stays alive. */
function load(): FunctionStats[][] {
  const modules: FunctionStats[][] = [];
  const byFile = new Map<string, LprofFunction[]>();
  for (const fn of bigProfile({ functions: Number(count) }).runs[0].functions) {
    const list = byFile.get(fn.file) ?? [];
    list.push(fn);
    byFile.set(fn.file, list);
  }
  for (const [file, fns] of byFile) {
    const metas: FunctionMeta[] = fns.map((fn) => [fn.name, fn.line, [fn.line, ...fn.lines.map((row) => row[0])], fn.source.map((l) => l.slice()), fn.kind]);
    const stats = registerFunctions(file, metas, { output });
    // BENCH_WRITE_WATCHDOG=1: as at a real main thread's first registration on node 20 and 22
    // (hooks.ts), the watchdog thread starts (exact timing: it measures the probes' costs meanwhile).
    // Where no watchdog runs (node 24), exact timing's calibration thread starts instead (hooks.ts).
    if (modules.length === 0 && process.env.BENCH_WRITE_WATCHDOG === "1" && !startWatchdog(session(), output, 0) && session().mode === "exact" && !watchdogRunning()) startCalibration();
    modules.push(stats);
    stats.forEach((f, i) => fns[i].lines.forEach(([, hits, time, wait, nested, calls], k) => {
      const slot = k + 1;
      f.hits[slot] = hits;
      f.time[slot] = time / 1e6;
      f.wait[slot] = wait / 1e6;
      f.nested[slot] = nested;
      f.calls[slot] = calls;
    }));
  }
  return modules;
}

const modules = load();
if (scenario === "static") {
  for (const m of modules) for (const f of m) f.json = undefined;
  const c0 = cpu(), t0 = performance.now();
  for (const m of modules) cacheStaticJson(m);
  process.stdout.write(JSON.stringify({ staticMs: performance.now() - t0, staticCpuMs: cpu() - c0 }));
  process.exit(0);
}
if (serializer === "chunks") for (const m of modules) for (const f of m) f.json = undefined;
if (scenario === "sibling") {
  const sibling = bigProfile({ functions: Number(count), seed: 16 });
  Object.assign(sibling.runs[0], { id: "7-0-1", session: "7-1", end: new Date().toISOString() });
  fs.writeFileSync(output, JSON.stringify(sibling));
}
const s = session();
// Whether the write finds the probes' costs measured (exact timing, by the watchdog thread).
const calibratedBefore = watchdogCalibration() !== undefined;
const c0 = cpu(), t0 = performance.now();
const run = serializer === "objects" ? snapshotRun(s, true) : serializeRun(s, true);
const c1 = cpu(), t1 = performance.now();
writeRun(output, run, s.startWall);
const c2 = cpu(), t2 = performance.now();
const runs = (JSON.parse(fs.readFileSync(output, "utf8")) as { runs: unknown[] }).runs.length;
process.stdout.write(JSON.stringify({
  snapshotMs: t1 - t0, writeMs: t2 - t1, totalMs: t2 - t0,
  snapshotCpuMs: c1 - c0, writeCpuMs: c2 - c1, totalCpuMs: c2 - c0,
  runs, bytes: fs.statSync(output).size, mode: s.mode, calibratedBefore,
}));
