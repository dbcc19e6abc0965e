/*
 * The watchdog: a thread that holds the main thread's counters (shared memory) and writes the
 * profile when the main thread cannot — a signal that arrives while the program computes, or an
 * interval dump (`TSPROF_INTERVAL`) during a long synchronous stretch.
 *
 * Why a thread: a JavaScript signal listener only runs when the main thread's event loop turns,
 * so under one a program in `for (;;) f()` never ends on Ctrl-C; without one, the process dies at once and writes nothing. The watchdog watches
 * the signals from its own event loop, so the main thread has no listener of tsprof's: when the
 * program has none either, the watchdog writes the profile from the shared counters, stops
 * watching (the signal's disposition is Node's default again) and raises the signal, and the
 * process dies by it as it would have unprofiled, computing or not. When the program listens for
 * the signal itself, the watchdog does nothing: the program's listener decides, as it would.
 * The main thread counts the program's listeners into shared memory as they are added and removed.
 *
 * Watching a signal from a worker takes Node's internal signal handle (`process.binding`, which
 * Node 20 and 22 allow and Node 24 no longer does): the public `process.on` ignores signals in
 * workers. Where it is unavailable, hooks.ts listens on the main thread (written when the loop
 * is free) and the watchdog only makes the interval dumps.
 */
import * as path from "node:path";
import * as threads from "node:worker_threads";
import { chunks } from "./sampler";
import { memory } from "./memory";
import type { Session } from "./session";
import type { FunctionStats } from "./stats";
import { disguise } from "./source-text";

import { CALIBRATED, EXITING, SIGNALS, STATE_SIZE, type SignalEnd } from "./watchdog-shared";
import { sharedCalibration, sharedCalibrationSlot, type Calibration } from "./calibrate";

export { SIGNALS, type SignalEnd } from "./watchdog-shared";

// Captured at load: `tsprof run` later wraps `Worker` to give every program thread its loader.
const BaseWorker = threads.Worker;

interface Dog {
  /** Whether it watches signals (else only writes at intervals). */
  signals: boolean;
  worker: threads.Worker;
  state: Int32Array;
  /** The probes' costs the watchdog measured (exact timing): probe, call; valid once `CALIBRATED` is set. */
  calibration: Float64Array;
  sent: number;
}

let dog: Dog | undefined;
let pendingEnd: SignalEnd | undefined;

let probed: boolean | undefined;

/**
 * Whether a worker can watch signals here: Node 20 and 22 give workers the signal handle through
 * `process.binding`; Node 24 no longer does ("No such module: signal_wrap"). Probed once, with
 * deprecation warnings off for the call (the program must not see one of tsprof's).
 */
export function workerCanWatchSignals(): boolean {
  if (probed !== undefined) return probed;
  const p = process as { binding?: (name: string) => unknown; noDeprecation?: boolean };
  if (typeof p.binding !== "function") return (probed = false);
  const saved = p.noDeprecation;
  p.noDeprecation = true;
  try {
    probed = typeof (p.binding("signal_wrap") as { Signal?: unknown }).Signal === "function";
  } catch {
    probed = false;
  } finally {
    p.noDeprecation = saved;
  }
  return probed;
}

/**
 * Starts the watchdog for the main thread's session, to watch signals (where a worker can) and to
 * write every `intervalS` seconds (if > 0). Returns whether it watches signals; if not, the caller
 * listens for them on the main thread.
 */
export function startWatchdog(s: Session, output: string, intervalS: number): boolean {
  if (dog) return dog.signals;
  if (!threads.isMainThread || process.env.TSPROF_WATCHDOG === "0") return false;
  const signals = workerCanWatchSignals();
  if (!signals && !(intervalS > 0)) return false;
  // Made before the thread, so that it receives the process's calibration slot (calibrate.ts).
  sharedCalibrationSlot();
  const state = new Int32Array(new SharedArrayBuffer(4 * STATE_SIZE));
  const calibration = new Float64Array(new SharedArrayBuffer(16));
  // Exact timing: the watchdog measures the probes' costs as soon as it is up, on its own thread,
  // so that the exit's write does not (25-35 ms, measured: docs/calibration.md).
  const calibrate = s.mode === "exact";
  let worker: threads.Worker;
  try {
    worker = new BaseWorker(path.join(__dirname, "watchdog-worker.js"), {
      workerData: { state, calibration, calibrate, session: sessionData(s, output), intervalS, signals, end: pendingEnd },
      // Ours, not the program's: no inherited flags, hooks, environment or stdin.
      execArgv: [],
      env: {},
      stdin: false,
      // Its own streams, never read: it writes to the file descriptors itself (watchdog-worker.ts).
      stdout: true,
      stderr: true,
    });
  } catch {
    return false;
  }
  worker.unref();
  worker.on("error", () => undefined);
  dog = { worker, state, calibration, sent: 0, signals };
  if (signals) countListeners(state);
  share(s);
  return signals;
}

function sessionData(s: Session, output: string) {
  return {
    id: s.id, mode: s.mode, rate: s.rate, startWall: s.startWall, cwd: s.cwd, part: s.part, output,
    argv: process.argv.slice(), memoryOn: memory.on,
  };
}

/** Program listeners of each signal, kept in shared memory for the watchdog (ours are not among them). */
function countListeners(state: Int32Array): void {
  const { store } = Atomics;
  const index = (event: string | symbol) => {
    for (let i = 0; i < SIGNALS.length; i++) if (SIGNALS[i] === event) return i;
    return -1;
  };
  const onAdd = (event: string | symbol) => {
    const i = index(event);
    // `newListener` comes before the listener is added.
    if (i >= 0) store(state, i, process.listenerCount(event) + 1);
  };
  const onRemove = (event: string | symbol) => {
    const i = index(event);
    if (i >= 0) store(state, i, process.listenerCount(event));
  };
  SIGNALS.forEach((sig, i) => Atomics.store(state, i, process.listenerCount(sig)));
  process.on("newListener", onAdd);
  process.on("removeListener", onRemove);
  hideListeners(onAdd, onRemove);
}

const NO_SOURCE: readonly string[] = [];

/**
 * Hands the watchdog the session's functions registered since the last call, their counters
 * moved to shared memory first (same values, same typed arrays' kinds: the probes' code does not
 * change; measured, a `++` on a shared Float64Array costs what it does on a plain one).
 */
export function share(s: Session, output?: string): void {
  if (!dog) return;
  const fresh = s.functions.slice(dog.sent) as FunctionStats[];
  dog.sent = s.functions.length;
  for (const f of fresh) {
    const o = f as unknown as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      const v = o[key];
      if (v instanceof Float64Array && !(v.buffer instanceof SharedArrayBuffer)) {
        const shared = new Float64Array(new SharedArrayBuffer(v.byteLength));
        shared.set(v);
        o[key] = shared;
      }
    }
  }
  // A function's names and sources go as the JSON text registration made of them (one string
  // to copy, not an array of lines: the watchdog thread reads the messages of a big program's
  // load while the program runs, and may still be at it when the exit writes); without it, as
  // they are.
  dog.worker.postMessage({
    functions: fresh.map((f) => ({
      file: f.file, name: f.name, firstLine: f.firstLine, lines: f.lines, source: f.json === undefined ? f.source : NO_SOURCE, kind: f.kind, mode: f.mode,
      base: f.base, memory: f.memory, hits: f.hits, time: f.time, wait: f.wait, nested: f.nested, calls: f.calls,
      memMax: f.memMax, allocated: f.allocated, light: f.light, json: f.json,
    })),
    chunks: chunks.slice(),
    session: output === undefined ? undefined : sessionData(s, output),
  });
}

/** The exit's final write begins: the watchdog writes no more (its snapshot would be older). */
export function watchdogStand(): void {
  if (dog) Atomics.store(dog.state, EXITING, 1);
}

/** Sets what the watchdog runs after writing for a signal; before or after it started. */
export function setSignalEnd(end: SignalEnd): void {
  pendingEnd = end;
  dog?.worker.postMessage({ end });
}

/** The probes' costs the watchdog measured, once it has (exact timing, main thread); else undefined. */
export function watchdogCalibration(): Calibration | undefined {
  if (!dog || Atomics.load(dog.state, CALIBRATED) !== 1) return sharedCalibration();
  return { probe: dog.calibration[0], call: dog.calibration[1] };
}

let calibrating = false;

/**
 * Exact timing on a main thread without the watchdog thread (node 24, whose workers cannot watch
 * signals, and no `TSPROF_INTERVAL`): a thread of its own measures the probes' costs while the
 * program runs (runtime/calibrate-worker.ts), as the watchdog does on node 20 and 22, so that the
 * exit's write does not. Starting it costs the main thread 2-6 ms, measuring at exit 25-45 ms
 * (docs/calibration.md). Not with `TSPROF_WATCHDOG=0` (no thread of tsprof's), nor once the
 * process has the costs.
 */
export function startCalibration(): void {
  if (calibrating || dog || !threads.isMainThread || process.env.TSPROF_WATCHDOG === "0") return;
  calibrating = true;
  if (!sharedCalibrationSlot() || sharedCalibration()) return;
  try {
    const worker = new BaseWorker(path.join(__dirname, "calibrate-worker.js"), {
      execArgv: [],
      env: {},
      stdin: false,
      stdout: true,
      stderr: true,
    });
    worker.unref();
    worker.on("error", () => undefined);
  } catch {
    // The exit measures them instead.
  }
}

/** Whether the watchdog makes the interval dumps. */
export function watchdogRunning(): boolean {
  return dog !== undefined;
}

// Listeners of tsprof's on `process` (exit, and the counters above): present, but not what the
// program sees when it asks. Libraries decide by these counts (signal-exit re-raises a signal
// only when it counts itself alone), so they must read as they would without tsprof.
const hidden = new Set<(...args: never[]) => unknown>();
let inspectionPatched = false;

/** Leaves `fns` registered on `process` but out of its listener counts and lists. */
export function hideListeners(...fns: ((...args: never[]) => unknown)[]): void {
  for (const f of fns) hidden.add(f);
  if (inspectionPatched) return;
  inspectionPatched = true;
  const proto = Object.getPrototypeOf(process) as Record<string, (...a: unknown[]) => unknown>;
  // They run whenever the program asks, with whatever it made of the built-ins: only functions
  // captured here, and plain loops (a replaced `Array.prototype.filter` stays the program's business).
  const { apply, defineProperty } = Reflect;
  const has = Set.prototype.has;
  const isHidden = (l: unknown) => apply(has, hidden, [l]) || (typeof l === "function" && apply(has, hidden, [(l as { listener?: unknown }).listener]));
  const visible = (list: unknown[]) => {
    const out: unknown[] = [];
    for (let i = 0, n = 0; i < list.length; i++) if (!isHidden(list[i])) out[n++] = list[i];
    return out;
  };
  const define = (name: string, fn: (...a: unknown[]) => unknown, original: unknown) => {
    defineProperty(fn, "name", { value: name });
    // On process's own prototype (which has only `constructor`), not on process: its own keys stay Node's.
    defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
    disguise(fn, original);
  };
  const { listeners, rawListeners, eventNames } = proto;
  define("listeners", function (this: unknown, event: unknown) {
    return visible(apply(listeners, this, [event]) as unknown[]);
  }, listeners);
  define("rawListeners", function (this: unknown, event: unknown) {
    return visible(apply(rawListeners, this, [event]) as unknown[]);
  }, rawListeners);
  define("listenerCount", function (this: unknown, event: unknown, listener?: unknown) {
    const list = visible(apply(rawListeners, this, [event]) as unknown[]);
    if (listener === undefined) return list.length;
    let n = 0;
    for (let i = 0; i < list.length; i++) if (list[i] === listener || (list[i] as { listener?: unknown }).listener === listener) n++;
    return n;
  }, proto.listenerCount);
  define("eventNames", function (this: unknown) {
    const names = apply(eventNames, this, []) as (string | symbol)[];
    const out: (string | symbol)[] = [];
    for (let i = 0, n = 0; i < names.length; i++) if (visible(apply(rawListeners, this, [names[i]]) as unknown[]).length > 0) out[n++] = names[i];
    return out;
  }, eventNames);
}
