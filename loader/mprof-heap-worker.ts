/**
 * The heap sampler's thread (mprof-heap.ts). Every interval, one tick: the main thread's
 * `process.memoryUsage()` through its inspector, one line `t heapUsed heapTotal external
 * arrayBuffers rss tick` (seconds, bytes) in `file`; and, when asked (`workersFile`, under -C or
 * -M), each worker thread's, through the main thread's NodeWorker domain, one line `threadId tick
 * t heapUsed heapTotal external arrayBuffers` in `workersFile`. Both are answered through V8
 * interrupts, in the main thread and in the worker: a thread running a long synchronous loop
 * still answers, and no timer is added to any of the program's event loops.
 */
import * as fs from "node:fs";
import { Session } from "node:inspector";
import { pathToFileURL } from "node:url";
import { workerData } from "node:worker_threads";

const { file, interval, gate, workersFile, exit } = workerData as { file: string; interval: number; gate?: SharedArrayBuffer; workersFile?: string; exit: SharedArrayBuffer };
// npm run bench:mprof switches sampling within one process: its gate holds [period, answered]:
// the sampling period in ms (0: paused), and the count of the main thread's answers.
const open = gate ? new Int32Array(gate) : undefined;
const fd = fs.openSync(file, "a");
const session = new Session();
session.connectToMainThread();
// Evaluated afresh each time: Runtime.compileScript + runScript would need Runtime.enable, which
// would send this session every console call of the program.
const EXPRESSION = "(m => [m.heapUsed, m.heapTotal, m.external, m.arrayBuffers, m.rss])(process.memoryUsage())";
let busy = false;
let tick = 0;

interface Attached {
  thread: number;
  /** The tick of the question in flight, -1 when none: one question at a time, as for the main thread. */
  asked: number;
}
const workers = new Map<string, Attached>();
let workersFd = -1;
let messageId = 0;

if (workersFile) {
  workersFd = fs.openSync(workersFile, "a");
  const self = pathToFileURL(__filename).href;
  session.on("NodeWorker.attachedToWorker", (m: { params: { sessionId: string; workerInfo: { workerId: string; title: string; url: string } } }) => {
    const { sessionId, workerInfo } = m.params;
    if (workerInfo.url === self) return;
    // The title is `[worker <threadId>] <name>`; workerId is the inspector's own count.
    const thread = Number(/\[worker (\d+)\]/.exec(workerInfo.title)?.[1] ?? workerInfo.workerId);
    workers.set(sessionId, { thread, asked: -1 });
  });
  session.on("NodeWorker.detachedFromWorker", (m: { params: { sessionId: string } }) => {
    workers.delete(m.params.sessionId);
  });
  session.on("NodeWorker.receivedMessageFromWorker", (m: { params: { sessionId: string; message: string } }) => {
    const w = workers.get(m.params.sessionId);
    if (!w) return;
    const asked = w.asked;
    w.asked = -1;
    let v: unknown;
    try {
      v = (JSON.parse(m.params.message) as { result?: { result?: { value?: unknown } } }).result?.result?.value;
    } catch {
      return;
    }
    if (asked < 0 || !Array.isArray(v)) return;
    fs.writeSync(workersFd, `${w.thread} ${asked} ${(Date.now() / 1000).toFixed(4)} ${v.join(" ")}\n`);
  });
  // Workers start as they would: nothing waits for this thread.
  session.post("NodeWorker.enable", { waitForDebuggerOnStart: false });
}

function sample(): void {
  const k = tick++;
  for (const [sessionId, w] of workers) {
    if (w.asked >= 0) continue;
    w.asked = k;
    const message = JSON.stringify({ id: ++messageId, method: "Runtime.evaluate", params: { expression: EXPRESSION, returnByValue: true, silent: true } });
    session.post("NodeWorker.sendMessageToWorker", { sessionId, message }, (err) => {
      if (err) w.asked = -1;
    });
  }
  // One question at a time: a main thread stuck outside JavaScript (a sync read) answers late.
  if (busy) return;
  busy = true;
  session.post("Runtime.evaluate", { expression: EXPRESSION, returnByValue: true, silent: true }, (err, res) => {
    busy = false;
    const v = (res as { result?: { value?: number[] } } | undefined)?.result?.value;
    if (err || !Array.isArray(v)) return;
    fs.writeSync(fd, `${(Date.now() / 1000).toFixed(4)} ${v.join(" ")} ${k}\n`);
    if (open) Atomics.add(open, 1, 1);
  });
}

// The program is exiting (mprof-heap.ts): this session goes first. Connected at the main thread's
// exit, it made node print "Waiting for the debugger to disconnect..." on the program's stderr.
const ending = new Int32Array(exit);
const waiting = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { value: Promise<unknown> | string } }).waitAsync(ending, 0, 0).value;
if (typeof waiting !== "string") void waiting.then(() => {
    session.disconnect();
    Atomics.store(ending, 1, 1);
    Atomics.notify(ending, 1);
  });

if (open) {
  // Paused, the thread looks at the gate every 10 ms.
  const loop = () => {
    const ms = Atomics.load(open, 0);
    if (ms > 0) sample();
    setTimeout(loop, ms || 10);
  };
  loop();
} else {
  sample();
  setInterval(sample, interval * 1000);
}
