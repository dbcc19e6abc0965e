/**
 * The V8 heap of a program under `tsprof mprof run`, sampled from a thread of its own: a worker
 * asks the main thread's inspector for `process.memoryUsage()` every interval. The inspector
 * answers through a V8 interrupt, so samples keep coming while the program runs a long
 * synchronous loop, and the program's event loop never sees a timer. Its costs, measured on
 * node 20 (docs/mprof.md): ~10 MB of resident memory for the worker, which the RSS curve shows,
 * and one inspector round trip of the main thread per question (70–140 µs on a loaded machine),
 * asked only when that thread has run since the last (mprof-heap-worker.ts).
 */
import { constants } from "node:os";
import * as path from "node:path";
import { Worker } from "node:worker_threads";

/** The worker's `workerData` says it is the sampler: the preload leaves that thread alone. */
export const HEAP_WORKER_MARK = "tsprofMprofHeap";

/** Starts the heap sampler of this process, if the launcher asked for it (once, in the program's first process). */
export function startHeapSampler(gate?: SharedArrayBuffer): void {
  const dir = process.env.TSPROF_MPROF_DIR;
  if (!dir || process.env.TSPROF_MPROF_HEAP !== "1") return;
  // Child processes of the program have their RSS sampled, not their heaps.
  delete process.env.TSPROF_MPROF_HEAP;
  const interval = Number(process.env.TSPROF_MPROF_INTERVAL) || 0.1;
  // Under -C or -M the program's worker threads are sampled too, each its own heap.
  const workersFile = process.env.TSPROF_MPROF_WORKERS === "1" ? path.join(dir, `workers-${process.pid}.txt`) : undefined;
  delete process.env.TSPROF_MPROF_WORKERS;
  // [exit asked, session closed, first answer in]: the thread's three signals to this one.
  const exit = new SharedArrayBuffer(12);
  const worker = new Worker(path.join(__dirname, "mprof-heap-worker.js"), {
    workerData: { [HEAP_WORKER_MARK]: true, file: path.join(dir, `heap-${process.pid}.txt`), interval, gate, workersFile, exit },
    stdout: false,
    stderr: false,
  });
  // Never what keeps the program alive, nor what it hears about.
  worker.unref();
  worker.on("error", () => {});
  // At exit the sampler's inspector session must be gone, or node says on stderr that it waits
  // for it (on process.exit() with the session connected): the thread is told, and answers once
  // disconnected, within milliseconds on an idle machine. Two seconds at most, if it cannot run: a
  // quarter second was too short at a load average of 22 on two cores, and node then printed it.
  const ending = new Int32Array(exit);
  const onExit = () => {
    Atomics.store(ending, 0, 1);
    Atomics.notify(ending, 0);
    Atomics.wait(ending, 1, 0, 2000);
  };
  process.on("exit", onExit);
  // The program starts once the sampler has its first answer (the inspector answers this wait
  // too): started later, the thread's own start-up (≈ 10 MiB) rose in the RSS curve while the
  // program ran, and its first heap samples came after the program's first steps. Three seconds
  // at most, if the thread cannot start.
  Atomics.wait(ending, 2, 0, 3000);
  // Out of the program's listener counts, as tsprof's other listeners (loaded here only: mprof).
  (require("../runtime/watchdog") as typeof import("../runtime/watchdog")).hideListeners(onExit);
  disconnectBeforeSelfKill(onExit);
}

/** Signals whose default action ends a node process (node ignores SIGPIPE and SIGXFSZ; SIGUSR1 starts its inspector). */
const ENDING = new Set(["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGKILL", "SIGABRT", "SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGPROF", "SIGXCPU"]);

/**
 * `process.kill(process.pid, signal)` with no listener for it ends the process without an `exit`
 * event, and node first says on stderr that it waits for the sampler's session. The runtime
 * re-raises a signal that way once it has written the brackets, and programs end themselves that
 * way too: the session goes first, then the signal.
 */
function disconnectBeforeSelfKill(stop: () => void): void {
  const kill = process.kill;
  const { listenerCount } = Object.getPrototypeOf(process) as { listenerCount(this: unknown, event: string): number };
  const patched = function (this: unknown, pid: number, signal?: string | number): true {
    const name = signal === undefined ? "SIGTERM" : typeof signal === "number" ? Object.keys(constants.signals).find((k) => constants.signals[k as keyof typeof constants.signals] === signal) : signal;
    const self = Number(pid) === process.pid || Number(pid) === 0 || Number(pid) === -process.pid;
    if (self && name && ENDING.has(name) && listenerCount.call(process, name) === 0) stop();
    return kill.call(process, pid, signal);
  };
  Object.defineProperty(patched, "name", { value: "kill" });
  Object.defineProperty(patched, "length", { value: 2 });
  process.kill = patched as typeof process.kill;
}
