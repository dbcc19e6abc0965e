/**
 * Writes the thread's function profile into the `.prof` file `tsprof prof` names in
 * `TSPROF_PROF_OUTPUT`, merged as `.lprof` runs are: under a lock, runs of the same session
 * (this process tree: children and workers) kept beside ours, earlier executions replaced.
 */
import { performance } from "node:perf_hooks";
import { isMainThread, threadId } from "node:worker_threads";
import { recorder } from "./calls";
import { PROF_FORMAT, PROF_VERSION, type ProfFile, type ProfFunction, type ProfRun, type ProfStackNode } from "./prof-format";
import { startCpuProfile, type CpuSession } from "./v8-cpu";

export const PROF_OUTPUT_ENV = "TSPROF_PROF_OUTPUT";
/** `sampler` (counters, times from V8's CPU profiler) or `clock` (a clock at every entry and exit). */
export const PROF_MODE_ENV = "TSPROF_PROF_MODE";
/** The sampler's interval, microseconds. */
export const PROF_INTERVAL_ENV = "TSPROF_PROF_INTERVAL";
/** Sampling interval when none is given: 100 µs (docs/prof.md has the measurements behind it). */
export const DEFAULT_INTERVAL_US = 100;

let sampler: CpuSession | null = null;
let interval = DEFAULT_INTERVAL_US;

/** Starts V8's sampler on this thread (sampler mode); its profile is read when the run is written. */
export function startSampler(us: number): void {
  interval = us;
  sampler = startCpuProfile(us);
}

/** The thread's rows: counters and clock, or counters and the sampler's times. */
function functionsOf(): { functions: ProfFunction[]; mode: string; interval?: number; stacks?: ProfStackNode[] } {
  const r = recorder();
  if (r.mode() !== "sampler") return { functions: r.snapshot(), mode: "deterministic" };
  const counted = r.snapshot();
  const profile = sampler?.stop() ?? null;
  if (!profile) return { functions: counted, mode: "v8-sampler", interval };
  const { sampledProfile } = require("./calls-sampled") as typeof import("./calls-sampled");
  const { functions, stacks } = sampledProfile(profile, r.functions(), counted);
  return { functions, mode: "v8-sampler", interval, stacks };
}

/** This thread's run, as the file stores it. */
export function profRun(session: string): ProfRun & { selfProfiled?: boolean } {
  const t = performance.now();
  const start = performance.timeOrigin;
  const r = recorder();
  return {
    id: `${process.pid}-${threadId}-${Math.round(start)}`,
    session,
    pid: process.pid,
    threadId,
    argv: process.argv.slice(),
    cwd: process.cwd(),
    node: process.version,
    start: new Date(start).toISOString(),
    end: new Date(start + t).toISOString(),
    duration: t / 1000,
    ...functionsOf(),
    ...(r.selfProfiled ? { selfProfiled: true } : {}),
  };
}

function runsToKeep(file: string, run: ProfRun): ProfRun[] {
  let existing: ProfFile;
  try {
    const { readRegularFile } = require("./writer") as typeof import("./writer");
    existing = JSON.parse(readRegularFile(file) ?? "null") as ProfFile;
  } catch {
    return [];
  }
  if (!existing || existing.format !== PROF_FORMAT || !Array.isArray(existing.runs)) return [];
  return existing.runs.filter((r) => r && r.id !== run.id && r.session === run.session);
}

/** Writes (merging, atomically) this thread's run into `file`; never throws. */
export function writeProf(file: string, session: string): void {
  try {
    const run = profRun(session);
    const { replaceFile, withLock } = require("./writer") as typeof import("./writer");
    withLock(file, () => {
      const data: ProfFile = { format: PROF_FORMAT, version: PROF_VERSION, runs: [...runsToKeep(file, run), run] };
      replaceFile(file, JSON.stringify(data));
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`tsprof: could not write the profile to ${file} (${err.code ?? err.message}); pass a writable path with -o\n`);
  }
}

let hooked = false;
let signalEnd: (() => void) | undefined;

/** What runs after the write for a signal nothing else handles, before the process dies by it (`tsprof prof`'s report, in its own process). */
export function onProfSignalEnd(fn: () => void): void {
  signalEnd = fn;
}

/** In a process run by `tsprof prof`: installs the recorder and writes the profile however the thread ends. */
export function installProf(): void {
  const file = process.env[PROF_OUTPUT_ENV];
  const r = recorder();
  if (!file || hooked) return;
  hooked = true;
  if (process.env[PROF_MODE_ENV] === "sampler") {
    r.setMode("sampler");
    const us = Number(process.env[PROF_INTERVAL_ENV]);
    startSampler(Number.isFinite(us) && us > 0 ? us : DEFAULT_INTERVAL_US);
  }
  const session = process.env.TSPROF_SESSION || `${process.pid}`;
  process.on("exit", () => writeProf(file, session));
  if (isMainThread) {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const handler = () => {
        writeProf(file, session);
        // Then step aside, so the program's own listeners (or Node's default) decide, as without tsprof.
        process.removeListener(signal, handler);
        if (process.listenerCount(signal) === 0) {
          try {
            signalEnd?.();
          } finally {
            process.kill(process.pid, signal);
          }
        }
      };
      process.on(signal, handler);
    }
  }
}
