/*
 * The watchdog thread (see watchdog.ts): writes the main thread's profile from its shared
 * counters on a signal the program does not handle (then raises it again, so the process dies by
 * it) and every `TSPROF_INTERVAL` seconds, whatever the main thread is doing.
 */
import * as fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { SampleChunk } from "./sampler";
import type { TimingMode } from "./stats";
import { CALIBRATED, EXITING, SIGNALS, type SignalEnd } from "./watchdog-shared";
import type { StatsView } from "./writer";

interface SessionData {
  id: string;
  mode: TimingMode | undefined;
  rate: number;
  startWall: number;
  cwd: string;
  part?: string;
  output: string;
  argv: string[];
  memoryOn: boolean;
}

interface Message {
  functions?: StatsView[];
  chunks?: SampleChunk[];
  session?: SessionData;
  end?: SignalEnd;
}

// A worker's stdout and stderr reach the terminal through the main thread's event loop, which
// may be busy for good: this thread writes to the file descriptors itself.
for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]] as const) {
  (stream as { write: unknown }).write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    try {
      fs.writeSync(fd, typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    } catch {
      // A closed terminal.
    }
    const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    done?.();
    return true;
  };
}
// Node warns when a worker takes its signal handle (below); the warning is not the program's.
process.emitWarning = () => undefined;

const data = workerData as {
  state: Int32Array; calibration: Float64Array; calibrate: boolean; session: SessionData; intervalS: number; signals: boolean; end?: SignalEnd;
};
const state = data.state;
let session = data.session;
let end = data.end;
let sharedChunks: SampleChunk[] = [];
const functions: StatsView[] = [];

parentPort!.on("message", (m: Message) => {
  if (m.functions) functions.push(...m.functions);
  if (m.chunks) sharedChunks = m.chunks;
  if (m.session) session = m.session;
  if (m.end) end = m.end;
});

/** Writes what the counters hold now; false if nothing was written (the exit's write has begun). */
function write(): boolean {
  if (Atomics.load(state, EXITING) || functions.length === 0) return false;
  // Loaded on the first write: the thread is up and watching sooner.
  const { serializeRun, writeRun } = require("./writer") as typeof import("./writer");
  const s = { ...session, mode: session.mode, functions };
  const run = serializeRun(s, false, { threadId: 0, argv: session.argv, chunks: sharedChunks, memoryOn: session.memoryOn });
  try {
    writeRun(session.output, run, session.startWall, () => !Atomics.load(state, EXITING));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const { NotAFileError } = require("./writer") as typeof import("./writer");
    const why = e instanceof NotAFileError ? err.message : err.code ?? err.message;
    process.stderr.write(`tsprof: could not write the profile to ${session.output} (${why}); set TSPROF_OUTPUT to a writable path\n`);
    return false;
  }
  return true;
}

interface SignalHandle {
  onsignal: (signum: number) => void;
  start(signum: number): number;
  close(): void;
  unref(): void;
}

const handles: SignalHandle[] = [];

function onSignal(index: number): void {
  // The program listens for it: its listener decides, when its loop gets there, as unprofiled.
  if (Atomics.load(state, index) > 0) return;
  const signal = SIGNALS[index];
  write();
  if (end) {
    try {
      (require(end.module) as Record<string, (arg: unknown, signal: string) => void>)[end.name](end.arg, signal);
    } catch {
      // The closing message is a courtesy; the signal must still end the process.
    }
  }
  // Nothing of tsprof's watches the signal any more: Node's default applies, and the process dies by it.
  for (const h of handles) h.close();
  process.kill(process.pid, signal);
}

if (data.signals) {
  const { Signal } = (process as unknown as { binding(name: string): { Signal: new () => SignalHandle } }).binding("signal_wrap");
  const { constants } = require("node:os") as typeof import("node:os");
  // SIGHUP last: once it is caught (SigCgt in /proc/PID/status), all three are watched.
  SIGNALS.forEach((signal, i) => {
    const h = new Signal();
    h.unref();
    h.onsignal = () => onSignal(i);
    if (h.start(constants.signals[signal]) === 0) handles.push(h);
  });
}

if (data.intervalS > 0) setInterval(write, data.intervalS * 1000);

// Exact timing: the probes' costs, measured here once the signals are watched, for the main
// thread's exit and this thread's own writes (calibrate.ts).
if (data.calibrate) {
  setImmediate(() => {
    const { threadCalibration } = require("./calibrate") as typeof import("./calibrate");
    const c = threadCalibration();
    data.calibration[0] = c.probe;
    data.calibration[1] = c.call;
    Atomics.store(state, CALIBRATED, 1);
  });
}
