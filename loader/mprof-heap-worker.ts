/**
 * The heap sampler's thread (mprof-heap.ts). Every interval, one tick: the main thread's V8 heap
 * statistics through its inspector, one line `t heapUsed heapTotal external tick` (seconds,
 * bytes) in `file`; and, when asked (`workersFile`, under -C or -M), each worker thread's, through
 * the main thread's NodeWorker domain, one line `threadId tick t heapUsed heapTotal external` in
 * `workersFile`. Both are answered through V8 interrupts, in the main thread and in the worker: a
 * thread running a long synchronous loop still answers, and no timer is added to any of the
 * program's event loops.
 */
import * as fs from "node:fs";
import { Session } from "node:inspector";
import { pathToFileURL } from "node:url";
import { workerData } from "node:worker_threads";

const { file, interval, gate, workersFile, exit } = workerData as { file: string; interval: number; gate?: SharedArrayBuffer; workersFile?: string; exit: SharedArrayBuffer };
// npm run bench:mprof switches sampling within one process: its gate holds [period, answered,
// previous] and, from byte 16, the paused blocks' CPU time (below): the sampling period in ms (0: paused), the count of the main thread's answers, and
// 1 to sample as this thread did before (a question after 5 ms of the main thread's running, the
// external memory by Runtime.evaluate every 0.1 s of wall time), for the bench's before/after.
const open = gate ? new Int32Array(gate) : undefined;
const fd = fs.openSync(file, "a");
const session = new Session();
session.connectToMainThread();
// Evaluated afresh each time: Runtime.compileScript + runScript would need Runtime.enable, which
// would send this session every console call of the program. V8's heap statistics, not
// process.memoryUsage(): the same heap and external figures, without the read of
// /proc/self/stat for an RSS that tsprof reads itself (5 µs against 46 µs in the program's
// thread, measured on node 20; docs/mprof.md).
const HEAP_STATISTICS = "(h => [h.used_heap_size, h.total_heap_size, h.external_memory])(process.getBuiltinModule('v8').getHeapStatistics())";
const MEMORY_USAGE = "(m => [m.heapUsed, m.heapTotal, m.external])(process.memoryUsage())";
/** HEAP_STATISTICS until a thread cannot evaluate it (a program that replaced `process`…). */
let expression = HEAP_STATISTICS;
const answer = (res: unknown): number[] | undefined => {
  const r = res as { result?: { value?: unknown }; exceptionDetails?: unknown } | undefined;
  const v = r?.result?.value;
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number")) return v as number[];
  if (r?.exceptionDetails) expression = MEMORY_USAGE;
  return undefined;
};
let busy = false;
let tick = 0;

/**
 * The main thread's heap can move only while that thread runs (its collections' last steps are
 * its own too). Each question costs the thread a round trip through its inspector, so a question
 * waits until the thread has run about one interval since the last (90% of it, 10 ms at most);
 * a tick before that repeats the last answer. The questions per ms of the program's own running
 * are then at most what an idle machine asks of a busy program, however little of a core a loaded
 * machine leaves it (at 0.01 s: at most one per 9 ms, where half an interval allowed one per 5 ms,
 * and a load of 20 drew 0.14 per ms; docs/mprof.md). The running is counted as credit, at most
 * two questions' worth: Linux updates another thread's schedstat at its scheduler ticks only, so
 * one reading may fall short by a few ms and the next make it up.
 *
 * Most questions are Runtime.getHeapUsage (heap used and total), which costs the thread the round
 * trip alone. Node 24's V8 adds the external memory to its answer (backingStorageSize, equal to
 * process.memoryUsage().external); before, that needs Runtime.evaluate, which costs 100–250 µs
 * more (docs/mprof.md), and is asked every 0.1 s at most: between, a line carries the latest
 * external figure. By wall time, not the thread's running: a 50 MiB buffer is filled in a few ms
 * of it, and after 0.1 s of the thread's running a loaded machine missed a 0.5 s step of it (node 22).
 */
const MAIN_CPU = `/proc/${process.pid}/task/${process.pid}/schedstat`;
function mainCpuNs(): number {
  try {
    return Number(fs.readFileSync(MAIN_CPU, "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}
const QUESTION_SHARE = 0.9;
const QUESTION_CPU_MS_MAX = 10;
const CREDIT_MAX = 2;
/** Questions the main thread's running has earned, and its CPU time (ns) when last read. */
let credit = CREDIT_MAX;
let cpuSeen = NaN;
/**
 * bench:mprof's paused blocks' CPU time (ns), from the gate: hidden from the questions' schedule,
 * so the sampled blocks see the main thread's running as a program sampled all along would.
 */
const hidden = gate && gate.byteLength >= 24 ? new Float64Array(gate, 16, 1) : undefined;
/** The sampler as before (bench:mprof's before/after): the CPU time at the last question. */
let askedAtCpu = NaN;
let last: number[] | undefined;
/** Whether Runtime.getHeapUsage answers the external memory too (unknown until its first answer). */
let usageHasExternal: boolean | undefined;
/** When the external memory was last asked for (ms), and what it was. */
const EXTERNAL_MS = 100;
let externalAt = -Infinity;
let external = 0;

/** Whether this tick asks the main thread, from its CPU time (`cpu`, ns). */
function due(periodMs: number, cpu: number, previous: boolean): boolean {
  if (!last || !Number.isFinite(cpu)) return true;
  const ran = Number.isFinite(cpuSeen) ? cpu - cpuSeen : 0;
  cpuSeen = cpu;
  if (previous) return cpu - askedAtCpu >= Math.min(periodMs / 2, 5) * 1e6;
  credit = Math.min(CREDIT_MAX, credit + ran / (Math.min(QUESTION_SHARE * periodMs, QUESTION_CPU_MS_MAX) * 1e6));
  if (credit < 1) return false;
  credit -= 1;
  return true;
}

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
    let v: number[] | undefined;
    try {
      v = answer((JSON.parse(m.params.message) as { result?: unknown }).result);
    } catch {
      return;
    }
    if (asked < 0 || !v) return;
    fs.writeSync(workersFd, `${w.thread} ${asked} ${(Date.now() / 1000).toFixed(4)} ${v.join(" ")}\n`);
  });
  // Workers start as they would: nothing waits for this thread.
  session.post("NodeWorker.enable", { waitForDebuggerOnStart: false });
}

function sample(periodMs: number): void {
  const k = tick++;
  const previous = open ? Atomics.load(open, 2) === 1 : false;
  const expr = expression;
  for (const [sessionId, w] of workers) {
    if (w.asked >= 0) continue;
    w.asked = k;
    const message = JSON.stringify({ id: ++messageId, method: "Runtime.evaluate", params: { expression: expr, returnByValue: true, silent: true } });
    session.post("NodeWorker.sendMessageToWorker", { sessionId, message }, (err) => {
      if (err) w.asked = -1;
    });
  }
  // One question at a time: a main thread stuck outside JavaScript (a sync read) answers late.
  if (busy) return;
  const cpu = mainCpuNs() - (hidden?.[0] ?? 0);
  if (!due(periodMs, cpu, previous)) {
    fs.writeSync(fd, `${(Date.now() / 1000).toFixed(4)} ${last!.join(" ")} ${k}\n`);
    return;
  }
  askedAtCpu = cpu;
  busy = true;
  const done = (v: number[] | undefined) => {
    busy = false;
    started();
    if (!v) return;
    last = v;
    // The tick of the answer, not of the question: under -C the workers' heaps are added from
    // that tick's answers, and a main thread answering late (a sync step, a loaded machine) would
    // otherwise add what they held when it was asked.
    fs.writeSync(fd, `${(Date.now() / 1000).toFixed(4)} ${v.join(" ")} ${tick - 1}\n`);
    if (open) Atomics.add(open, 1, 1);
  };
  const now = Date.now();
  const evaluate = () => {
    externalAt = now;
    session.post("Runtime.evaluate", { expression: expr, returnByValue: true, silent: true }, (err, res) => {
      const v = err ? undefined : answer(res);
      if (v) external = v[2];
      done(v);
    });
  };
  const externalDue = now - externalAt >= EXTERNAL_MS;
  if (previous ? externalDue : usageHasExternal === false && externalDue) return evaluate();
  session.post("Runtime.getHeapUsage", (err, res) => {
    const h = res as { usedSize?: unknown; totalSize?: unknown; backingStorageSize?: unknown } | undefined;
    if (err || typeof h?.usedSize !== "number" || typeof h.totalSize !== "number") return done(undefined);
    if (!previous) {
      if (typeof h.backingStorageSize === "number") {
        usageHasExternal = true;
        external = h.backingStorageSize;
      } else if (usageHasExternal === undefined) {
        usageHasExternal = false;
        return evaluate();
      }
    }
    done([h.usedSize, h.totalSize, external]);
  });
}

/** The main thread waits for the first answer before the program starts (mprof-heap.ts). */
function started(): void {
  if (Atomics.load(ending, 2) === 1) return;
  Atomics.store(ending, 2, 1);
  Atomics.notify(ending, 2);
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
  // Paused, the thread looks at the gate every 10 ms. Each period keeps its own phase, counted in
  // the time it was on: a block sampled every 0.1 s gets its questions 0.1 s apart, as a program
  // sampled all along, not one as soon as the block starts.
  const phase = new Map<number, number>();
  let at = Date.now();
  const loop = () => {
    const ms = Atomics.load(open, 0);
    const now = Date.now();
    if (ms > 0) {
      const p = (phase.get(ms) ?? ms) + (now - at);
      if (p >= ms) sample(ms);
      phase.set(ms, p >= ms ? Math.min(p - ms, ms) : p);
    }
    at = now;
    setTimeout(loop, Math.min(ms || 10, 10));
  };
  loop();
} else {
  sample(interval * 1000);
  setInterval(() => sample(interval * 1000), interval * 1000);
}
