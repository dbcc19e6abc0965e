/*
 * `node dist/bench/mprof-questions.js [tight|fib] [rounds]`: what one question of mprof's heap
 * sampler costs the main thread, per inspector method, asked once per 10 ms as `-T 0.01` asks
 * (docs/mprof.md, "What a question costs"). One process; a worker thread asks the main thread's
 * inspector; each asking block of the workload (40 ms of the main thread's CPU) sits between two
 * paused ones, and its CPU per run over theirs, per question answered, is the cost.
 */
import * as fs from "node:fs";
import { Session } from "node:inspector";
import { isMainThread, Worker, workerData } from "node:worker_threads";

const METHODS: Record<string, [string, object]> = {
  "Runtime.getIsolateId (the round trip alone)": ["Runtime.getIsolateId", {}],
  "Runtime.getHeapUsage": ["Runtime.getHeapUsage", {}],
  "Runtime.evaluate, V8's heap statistics": ["Runtime.evaluate", { expression: "(h => [h.used_heap_size, h.total_heap_size, h.external_memory])(process.getBuiltinModule('v8').getHeapStatistics())", returnByValue: true, silent: true }],
  "Runtime.evaluate, process.memoryUsage()": ["Runtime.evaluate", { expression: "(m => [m.heapUsed, m.heapTotal, m.external])(process.memoryUsage())", returnByValue: true, silent: true }],
};
const names = Object.keys(METHODS);

if (!isMainThread) {
  const session = new Session();
  session.connectToMainThread();
  const gate = new Int32Array(workerData as SharedArrayBuffer);
  let busy = false;
  setInterval(() => {
    const k = Atomics.load(gate, 0);
    if (k === 0 || busy) return;
    busy = true;
    const [method, params] = METHODS[names[k - 1]];
    session.post(method, params, () => {
      busy = false;
      Atomics.add(gate, 1, 1);
    });
  }, 10);
} else {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  new Worker(__filename, { workerData: gate.buffer }).unref();
  // Exact: a getrusage of the process first brings this thread's schedstat count up to date.
  const cpuNs = () => {
    process.cpuUsage();
    return Number(fs.readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
  };
  const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
  const kind = process.argv[2] === "fib" ? "fib" : "tight";
  const work = kind === "fib" ? () => fib(20) : () => {
    let s = 0;
    for (let i = 0; i < 2e6; i++) s += i;
    return s;
  };
  let sink = 0;
  const block = (k: number) => {
    Atomics.store(gate, 0, k);
    const a = Atomics.load(gate, 1), c0 = cpuNs();
    let runs = 0;
    while (cpuNs() - c0 < 40e6) {
      for (let i = 0; i < 20; i++) sink += work();
      runs++;
    }
    const ns = cpuNs() - c0;
    return { perRun: ns / runs, questions: Atomics.load(gate, 1) - a, ns };
  };
  setTimeout(() => {
    const rounds = Number(process.argv[3] ?? 16);
    const cost: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      let before = block(0);
      for (const n of r % 2 ? names.slice().reverse() : names) {
        const on = block(names.indexOf(n) + 1), after = block(0);
        const ratio = on.perRun / ((before.perRun + after.perRun) / 2);
        cost[n].push(((ratio - 1) * on.ns) / 1000 / Math.max(1, on.questions));
        before = after;
      }
    }
    const { spread } = require("./mprof") as typeof import("./mprof");
    process.stdout.write(`main-thread CPU per question, one per 10 ms, ${kind} loop, ${rounds} rounds (node ${process.version}; median µs [95% CI])\n`);
    for (const n of names) {
      const c = spread(cost[n]);
      process.stdout.write(`  ${n.padEnd(46)} ${c.median.toFixed(0).padStart(6)} [${c.ciLow.toFixed(0)}–${c.ciHigh.toFixed(0)}]\n`);
    }
    process.exit(sink === -1 ? 1 : 0);
  }, 300);
}
