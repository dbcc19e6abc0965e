import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { settleMemory, startMemory } from "./memory";
import { startSampler, tickMs, ticks } from "./sampler";
import { deferV8Start, FunctionStats, warmUpProbes, type TimingMode } from "./stats";
import { hasInspector } from "./v8-cpu";
import { DEFAULT_V8_INTERVAL_US, foldV8, noteFile, noteRegistrar, startV8Timing } from "./v8-lines";
import { modulesLoadInThread, typescriptLoadedHere } from "./scripts";
import { share } from "./watchdog";
import { cacheStaticJson } from "./writer";

/** Options baked into instrumented code by the transformer (the plugin's options). */
export interface RegisterOptions {
  output?: string;
  /** `exact`, `sampled` or `v8`; `TSPROF_TIMING` overrides. */
  timing?: string;
  /** Sampler rate in Hz (sampled mode); `TSPROF_RATE` overrides. */
  rate?: number;
  /** Memory per line; `TSPROF_MEMORY=1` turns it on too. */
  memory?: boolean;
}

/** Default sampler rate: see docs/sampling.md for the measurements behind it. */
export const DEFAULT_RATE_HZ = 4000;
/** V8 mode's default rate (V8's sampling interval is its inverse): see docs/v8-mode.md. */
export const DEFAULT_V8_RATE_HZ = 1e6 / DEFAULT_V8_INTERVAL_US;
/** Timing when nothing asks for one: see docs/v8-mode.md for the measurements behind it. */
export const DEFAULT_TIMING = "v8";
/** How often V8 mode folds its profile into the counters, milliseconds. */
const V8_FOLD_MS = 60_000;

/** Everything this thread has profiled so far, and where it goes. */
export interface Session {
  /** Session id, shared with child processes and workers through `TSPROF_SESSION`. */
  id: string;
  functions: FunctionStats[];
  enabled: boolean;
  /** Decided at the first registration, for the whole thread. */
  mode: TimingMode | undefined;
  /** Sampler rate in Hz (sampled and V8 modes), for the run metadata. */
  rate: number;
  /** Wall-clock start of this process or worker (`performance.timeOrigin`, ms since epoch). */
  startWall: number;
  cwd: string;
  /** Output path from the first registered module's options, if any. */
  configuredOutput: string | undefined;
  /** Whether the exit/signal hooks are installed. */
  hooked: boolean;
  /**
   * Tells apart runs of one thread that are separate sessions: jest gives each test file its own
   * global object, so its own session, in the same worker.
   */
  part?: string;
}

// One session per thread, even if two copies of the runtime are loaded (nested installs): the
// one thing tsprof must leave on the global object. Non-enumerable, so copies and listings of
// `globalThis` (`Object.keys`, spread, `for…in`) do not see it; `Object.getOwnPropertySymbols` does.
const KEY = Symbol.for("tsprof.session");

export function session(): Session {
  const g = globalThis as unknown as Record<symbol, Session | undefined>;
  let s = g[KEY];
  if (!s) {
    // Set before any child is spawned, so the whole process tree writes one profile.
    const id = process.env.TSPROF_SESSION || `${process.pid}-${Math.round(performance.timeOrigin)}`;
    process.env.TSPROF_SESSION = id;
    s = {
      id,
      functions: [],
      enabled: process.env.TSPROF !== "0",
      mode: undefined,
      rate: 0,
      startWall: performance.timeOrigin,
      cwd: process.cwd(),
      configuredOutput: undefined,
      hooked: false,
    };
    Object.defineProperty(g, KEY, { value: s, enumerable: false, writable: false, configurable: true });
  }
  return s;
}

/** Where this process writes: `TSPROF_OUTPUT`, else the plugin's `output`, else `out.lprof`; relative to the start directory. */
export function outputPath(s: Session): string {
  const chosen = process.env.TSPROF_OUTPUT || s.configuredOutput || "out.lprof";
  return path.resolve(s.cwd, chosen);
}

export type FunctionMeta = [
  name: string, firstLine: number, lines: number[], source: string[], kind: string, quiet?: number[], cheap?: number[], light?: number[],
];

/** Registers one module's instrumented functions; returns their counters, indexed as in `metas`. */
export function registerFunctions(file: string, metas: FunctionMeta[], options: RegisterOptions | undefined): FunctionStats[] {
  const s = session();
  if (options?.output && s.configuredOutput === undefined) s.configuredOutput = options.output;
  // Timing and memory are decided once, at the first registration, for every function of the
  // thread: a run's rows must all have its columns.
  if (s.mode === undefined) {
    s.mode = chooseMode(s, options);
    if ((s.mode === "v8" || s.mode === "sampled") && wantsMemory(options)) {
      startMemory();
      warmUpProbes(s.mode);
      settleMemory(s.mode === "sampled" ? ticks[0] * tickMs : performance.now());
    } else if (s.mode === "exact") {
      // Otherwise the first probes compile the probe methods, and the program's first profiled
      // line carries it: 35-50 µs measured, 3 µs (median of 7) after 500 warm-up iterations
      // (2,000 probes, under a millisecond); 60 iterations left 8 µs (docs/calibration.md).
      warmUpProbes("exact", 10, 50);
    } else if (s.mode === "sampled") {
      // Compiled now, at the top of the stack: a probe method first compiled at the deepest point
      // of a recursion (`exit` is first called there) takes the compiler's ~40 KB of stack from
      // it, 340 frames of a two-line function (8,007 deep against 8,347, docs/semantics.md).
      warmUpProbes("sampled", 1, 1);
    }
  }
  const mode = s.mode;
  const stats = metas.map(([name, firstLine, lines, source, kind, quiet, cheap, light]) =>
    new FunctionStats(file, name, firstLine, lines, source, kind, mode, quiet, cheap, light));
  if (mode === "v8") {
    noteFile(file, stats);
    noteRegistrar(registerFunctions);
  }
  // Names and sources never change: serialized now, so that the exit writes only the counters.
  if (s.enabled && mode !== "mprof" && mode !== "off") cacheStaticJson(stats);
  if (s.enabled) {
    s.functions.push(...stats);
    share(s, outputPath(s));
  }
  return stats;
}

/**
 * Whether V8's profiler waits for the first profiled call or starts at the first registration.
 * A start after the modules have loaded goes through all the code compiled so far at once; a
 * start before them makes V8 log and sample the compiling of every module. Late wins where the
 * modules load on this thread: node ≥ 22, and node 20 for CommonJS (and any program without
 * tsprof's off-thread ES-module hooks) from a warm cache. Early wins on node 20 when those hooks
 * run (the loading is then mostly in their thread, and this one waits), and when TypeScript
 * was loaded here before the first registration (a cold start: the late start would go through
 * all of TypeScript's code compiled by then; cold CommonJS took 1.41x the early start's time,
 * quartiles 1.32–1.54, in the bench's rounds). CPU time to the first output of the
 * bench's warm 241-module projects, node 20.20, medians of 11 interleaved runs: CommonJS 369 ms
 * late against 393 ms early (plain node 137 ms), ES modules 412 ms late against 381 ms early
 * (docs/run.md). `TSPROF_V8_START=early|late` overrides, to measure.
 */
function lateV8Start(): boolean {
  if (process.env.TSPROF_V8_START === "late") return true;
  if (process.env.TSPROF_V8_START === "early") return false;
  return Number(process.versions.node.split(".")[0]) >= 22 || (modulesLoadInThread() && !typescriptLoadedHere());
}

function wantsMemory(options: RegisterOptions | undefined): boolean {
  return process.env.TSPROF_MEMORY === "1" || (options?.memory === true && process.env.TSPROF_MEMORY !== "0");
}

/**
 * The thread's timing mode: `TSPROF_TIMING`, else the plugin's `timing`, else V8. In memory mode,
 * V8 unless sampled is asked for, and never exact (exact probes allocate a number at every clock
 * read, 32 bytes, which memory mode would bill to the lines: measured, a loop of 6.8 MB showed
 * 10.9 MB); sampled where V8's profiler is out of reach (docs/memory.md). Starts the sampler if needed.
 */
function chooseMode(s: Session, options: RegisterOptions | undefined): TimingMode {
  if (!s.enabled) return "off";
  // Under `tsprof mprof run`, profiled functions only mark their calls' entry and exit.
  if (process.env.TSPROF_MPROF_DIR) return "mprof";
  const memoryOn = wantsMemory(options);
  const asked = process.env.TSPROF_TIMING || options?.timing || DEFAULT_TIMING;
  const wanted = memoryOn ? (asked === "sampled" ? "sampled" : "v8") : asked;
  if (wanted === "v8") {
    const rate = Number(process.env.TSPROF_RATE) || options?.rate || DEFAULT_V8_RATE_HZ;
    // The probes compiled and warm before the profiler starts: their first calls' compilation
    // would land on the first profiled line (hundreds of µs, measured).
    warmUpProbes("v8");
    // Without an inspector (a Node built without it), V8's profiler is out of reach: exact timing.
    // Memory mode starts it now: started by the first call, its work would land in that call's line.
    if (lateV8Start() && !memoryOn) {
      if (!hasInspector()) return "exact";
      s.rate = rate;
      // Started by the first profiled call (stats.ts says why).
      deferV8Start(() => {
        if (!startV8Timing(1e6 / rate)) return;
        setInterval(() => foldV8(true), V8_FOLD_MS).unref();
      });
      return "v8";
    }
    if (startV8Timing(1e6 / rate)) {
      s.rate = rate;
      // Folding now and then bounds the profile's memory (V8 keeps every sample until it stops).
      setInterval(() => foldV8(true), V8_FOLD_MS).unref();
      return "v8";
    }
    if (!memoryOn) return "exact";
  }
  if (wanted !== "sampled" && !memoryOn) return "exact";
  const rate = Number(process.env.TSPROF_RATE) || options?.rate || DEFAULT_RATE_HZ;
  s.rate = rate;
  startSampler(1000 / rate);
  return "sampled";
}
