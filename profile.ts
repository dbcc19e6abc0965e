/**
 * `tsprof/profile`: Python's `cProfile` API for programs run with `tsprof prof`, which counts and
 * times every function of the program's own files. A `Profile` reports what happened between
 * its `enable()` and `disable()`; `run(fn)` is `cProfile.run` with a function in place of a string
 * (JavaScript cannot evaluate a module-scope name from a string). `Stats` is pstats'.
 */
import * as path from "node:path";
import { recorder } from "./runtime/calls";
import { DEFAULT_INTERVAL_US } from "./runtime/calls-writer";
import type { ProfFunction } from "./runtime/prof-format";
import { startCpuProfile, type CpuSession } from "./runtime/v8-cpu";
import type * as Pstats from "./report/pstats";
import type { Restriction } from "./report/pstats";

// The report room loads only when something is printed or written.
const pstats = () => require("./report/pstats") as typeof import("./report/pstats");
const pstatsRead = () => require("./report/pstats-read") as typeof import("./report/pstats-read");

let warned = false;
function warnIfNotInstrumented(): void {
  if (warned || recorder().instrumented()) return;
  warned = true;
  process.stderr.write(`tsprof: no function of this program is instrumented, so the profile is empty; run it with tsprof prof ${path.relative(process.cwd(), process.argv[1] ?? "SCRIPT") || "SCRIPT"}\n`);
}

/** `after - before`, function by function and edge by edge; functions not called in between are left out. */
function difference(before: ProfFunction[], after: ProfFunction[]): ProfFunction[] {
  return after.map((a, i) => {
    const b = before[i];
    if (!b) return a;
    const old = new Map(b.callers.map((c) => [c[0], c]));
    return {
      ...a,
      ncalls: a.ncalls - b.ncalls,
      pcalls: a.pcalls - b.pcalls,
      tottime: a.tottime - b.tottime,
      cumtime: a.cumtime - b.cumtime,
      wait: (a.wait ?? 0) - (b.wait ?? 0),
      callers: a.callers.map((c) => {
        const o = old.get(c[0]);
        return o ? [c[0], c[1] - o[1], c[2] - o[2], c[3] - o[3], c[4] - o[4]] : c;
      }).filter((c) => c[1] > 0) as ProfFunction["callers"],
    };
  });
}

/** How a `Profile` takes times (docs/prof.md compares them). */
export interface ProfileOptions {
  /**
   * `sampler`: V8's CPU profiler on this thread, for the time between `enable()` and
   * `disable()`; built-ins, Node's internals and node_modules get rows of their own (their
   * ncalls are 0: not counted). `clock`: the clock `tsprof prof --mode clock` reads at every
   * entry and exit. Default: the mode the program runs under (`tsprof prof --mode`).
   */
  mode?: "sampler" | "clock";
  /** Sampler mode: V8's sampling interval, microseconds (default 100). */
  interval?: number;
}

/**
 * The sampled rows a profile window shows: those called, through sampled rows or directly, by a
 * function counted in the window. The frames below `enable()` (the event loop's, say) ran
 * before it and are left out, as cProfile leaves out frames entered before `enable()`.
 */
function calledInWindow(rows: ProfFunction[]): ProfFunction[] {
  const keep = rows.map((f) => !f.sampled && f.ncalls > 0);
  for (let changed = true; changed;) {
    changed = false;
    rows.forEach((f, i) => {
      if (!keep[i] && f.sampled && f.callers.some((c) => c[0] >= 0 && keep[c[0]])) keep[i] = changed = true;
    });
  }
  return rows.map((f, i) => (keep[i] || !f.sampled ? f : { ...f, tottime: 0, cumtime: 0, callers: [] }));
}

export class Profile {
  private begin: ProfFunction[] | undefined;
  private cpu: CpuSession | null = null;
  private collected: ProfFunction[][] = [];
  readonly mode: "sampler" | "clock";
  private readonly interval: number;

  constructor(options: ProfileOptions = {}) {
    const running = recorder().mode();
    const mode = options.mode ?? running;
    if (mode !== "sampler" && mode !== "clock") throw new TypeError(`tsprof/profile: mode must be "sampler" or "clock", not ${JSON.stringify(mode)}`);
    if (mode === "clock" && running === "sampler" && recorder().instrumented()) {
      throw new Error("tsprof/profile: mode \"clock\" needs the clock at every call; run the program with tsprof prof --mode clock");
    }
    const interval = options.interval ?? DEFAULT_INTERVAL_US;
    if (!Number.isInteger(interval) || interval < 1) throw new TypeError(`tsprof/profile: interval must be a whole number of microseconds, not ${interval}`);
    this.mode = mode;
    this.interval = interval;
  }

  /** Starts collecting (cProfile's `enable`). */
  enable(): void {
    warnIfNotInstrumented();
    recorder().selfProfiled = true;
    if (this.begin) return;
    this.begin = recorder().snapshot();
    if (this.mode === "sampler") this.cpu = startCpuProfile(this.interval);
  }

  /** Stops collecting; enable again to add more. */
  disable(): void {
    if (!this.begin) return;
    const counted = difference(this.begin, recorder().snapshot());
    this.begin = undefined;
    if (this.mode === "sampler") {
      const profile = this.cpu?.stop() ?? null;
      this.cpu = null;
      // Counts from the counters; times from this profile's own sampling, nothing else.
      const zero = counted.map((f) => ({ ...f, tottime: 0, cumtime: 0, callers: f.callers.map((c) => [c[0], c[1], c[2], 0, 0] as ProfFunction["callers"][number]) }));
      const { sampledFunctions } = require("./runtime/calls-sampled") as typeof import("./runtime/calls-sampled");
      this.collected.push(profile ? calledInWindow(sampledFunctions(profile, recorder().functions(), zero)) : zero);
      return;
    }
    this.collected.push(counted);
  }

  /** Calls `fn(...args)` with the profile enabled and returns its result (cProfile's `runcall`). */
  runcall<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    this.enable();
    try {
      return fn(...args);
    } finally {
      this.disable();
    }
  }

  /** The figures so far as pstats' `Stats`. */
  stats(): Stats {
    const s = new Stats();
    for (const fns of this.collected) {
      // Functions not called in between are left out; rows only the sampler saw have no calls to count.
      const kept = fns.map((f) => (f.ncalls > 0 || f.sampled ? f : { ...f, ncalls: 0, pcalls: 0, tottime: 0, cumtime: 0, callers: [] }));
      s.data.add(pstatsRead().statsFromProf({ format: "tsprof-prof", version: 2, runs: [{ functions: kept } as never] }));
    }
    return s;
  }

  /** Prints the report as cProfile does: directories stripped, sorted by `sort` (default: standard name). */
  printStats(sort: string | string[] = "stdname"): void {
    this.stats().stripDirs().sortStats(...(Array.isArray(sort) ? sort : [sort])).printStats();
  }

  /** Writes the profile for `tsprof stats FILE` (cProfile's `dump_stats`). */
  dumpStats(file: string): void {
    pstatsRead().dumpStats(this.stats().data, file);
  }
}

/**
 * `cProfile.run`: calls `fn` under a new profile, then prints the report (sorted by `sort`) or,
 * given `filename`, writes the profile there instead. Returns the profile.
 */
export function run(fn: () => unknown, filename?: string, sort: string | string[] = "stdname", options: ProfileOptions = {}): Profile {
  const p = new Profile(options);
  p.runcall(fn);
  if (filename) p.dumpStats(filename);
  else p.printStats(sort);
  return p;
}

/** pstats' `Stats`: chainable, printing to stdout (or `stream`). Built from files, or from a `Profile`. */
export class Stats {
  readonly data: Pstats.Stats;
  stream: { write(s: string): unknown } = process.stdout;

  constructor(...sources: Array<string | Profile>) {
    this.data = new (pstats().Stats)();
    this.add(...sources);
  }

  add(...sources: Array<string | Profile>): this {
    for (const src of sources) this.data.add(typeof src === "string" ? pstatsRead().loadStats(src) : src.stats().data);
    return this;
  }

  sortStats(...keys: string[]): this {
    this.data.sort(...keys);
    return this;
  }

  reverseOrder(): this {
    this.data.reverse();
    return this;
  }

  stripDirs(): this {
    this.data.stripDirs();
    return this;
  }

  printStats(...restrictions: Restriction[]): this {
    this.stream.write(this.data.printStats(...restrictions));
    return this;
  }

  printCallers(...restrictions: Restriction[]): this {
    this.stream.write(this.data.printCallers(...restrictions));
    return this;
  }

  printCallees(...restrictions: Restriction[]): this {
    this.stream.write(this.data.printCallees(...restrictions));
    return this;
  }

  dumpStats(file: string): this {
    pstatsRead().dumpStats(this.data, file);
    return this;
  }
}
