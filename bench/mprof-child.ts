/*
 * Child of `npm run bench:mprof`: one workload, with mprof's heap sampler thread started as the
 * preload starts it under `tsprof mprof run`, switched between paused, every 0.1 s and every
 * 0.01 s in blocks of the same work (a fixed number of runs, as many as take `blockMs` of the
 * main thread's CPU), in this one process: processes differ from one another by more than
 * sampling costs.
 *
 * The gate sets the thread's period (mprof-heap-worker.ts). In each round every kind has a block
 * between two paused ones, and its ratio is its block over the mean of those two: the nearest in
 * time, so a steady drift of the machine's speed cancels and slower changes weigh little (the
 * kinds' order turns each round). Kinds: `off`, `0.1`, `0.01`; with `--full` also `0.01-before` (every 0.01 s as
 * the sampler did before: process.memoryUsage(), a question at every tick), `fast` (every 1 ms,
 * where the cost of one question stands far above the noise, measured per question) and
 * `brackets` (the instrumented build under mprof's runtime mode). Per block: wall time, the main
 * thread's CPU time (/proc/thread-self/schedstat, in ns, made exact by a getrusage first: alone
 * it moves at scheduler ticks, 3-4 ms here) and the process's CPU time (getrusage: every thread,
 * the sampler's included). Prints JSON `{ rounds, runsPerBlock, samplesPerSecond, sink }`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { startHeapSampler } from "../loader/mprof-heap";

type Workload = { run: () => unknown; prepare?: () => void };
const [modulePath, roundsText, blockMsText, mode, profiledPath] = process.argv.slice(2);
const full = mode === "full";
/** The sampling period in ms (0: paused), and whether the sampler asks as it did before. */
const GATES: Record<string, [number, number]> = { off: [0, 0], "0.1": [100, 0], "0.01": [10, 0], "0.01-before": [10, 1], fast: [1, 0] };
const gate = new SharedArrayBuffer(12);
const control = new Int32Array(gate);
let sink = 0;

/**
 * This thread's time on a CPU, in ns (Linux's schedstat: its first field). The kernel brings a
 * running thread's count up to date at a scheduler tick, a switch, or a getrusage of its own
 * process, which process.cpuUsage() is: without it the count moved in steps of 3-4 ms here, as
 * large as what 0.01 s sampling costs a 50 ms block.
 */
function threadCpuNs(): number {
  process.cpuUsage();
  return Number(fs.readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
}

function processCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

interface Block {
  wallMs: number;
  cpuMs: number;
  processMs: number;
  samples: number;
}

async function runs(w: Workload, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    w.prepare?.();
    const v = await w.run();
    // Every result used: no run can be optimized away.
    sink += typeof v === "number" ? v : String(v).length;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

async function block(w: Workload, n: number, kind: string): Promise<Block> {
  if (kind === "brackets") kind = "off";
  // Every block starts from the same heap: otherwise a block's share of the collections is luck,
  // and on allocating workloads that luck is larger than what sampling costs.
  gc?.();
  Atomics.store(control, 2, GATES[kind][1]);
  Atomics.store(control, 0, GATES[kind][0]);
  // One untimed run: the collector's sweeping, left to the program after gc(), done before timing.
  await runs(w, 1);
  const answered = Atomics.load(control, 1);
  const c0 = threadCpuNs(), p0 = processCpuUs(), t0 = performance.now();
  await runs(w, n);
  const t1 = performance.now(), c1 = threadCpuNs(), p1 = processCpuUs();
  return { wallMs: t1 - t0, cpuMs: (c1 - c0) / 1e6, processMs: (p1 - p0) / 1e3, samples: Atomics.load(control, 1) - answered };
}

async function main(): Promise<void> {
  const w = require(modulePath) as Workload;
  Atomics.store(control, 0, 10);
  startHeapSampler(gate);
  const heapFile = path.join(process.env.TSPROF_MPROF_DIR!, `heap-${process.pid}.txt`);
  // Warm up while the sampler thread starts, then find how many runs fill a block.
  while (!(fs.existsSync(heapFile) && fs.statSync(heapFile).size > 0)) await runs(w, 1);
  const blockMs = Number(blockMsText);
  // By the main thread's CPU time, not wall time: on a loaded machine wall time is mostly waiting
  // for a core, and a block then holds too few runs for a collection to average out.
  const fill = async (x: Workload) => {
    let k = 0;
    const c0 = threadCpuNs();
    while ((threadCpuNs() - c0) / 1e6 < blockMs || k < 3) {
      await runs(x, 1);
      k++;
    }
    return k;
  };
  const n = await fill(w);
  // The instrumented build, under mprof's runtime mode (brackets only), in blocks of its own size.
  const p = profiledPath ? (require(profiledPath) as Workload) : undefined;
  const np = p ? await fill(p) : 0;
  const rounds: Record<string, Record<string, number> | number>[] = [];
  const SAMPLED = ["0.1", "0.01", ...(full ? ["0.01-before", "fast"] : [])];
  const KINDS = [...SAMPLED, ...(p ? ["brackets"] : [])];
  const samples: Record<string, number> = {}, seconds: Record<string, number> = {};
  for (let r = 0; r < Number(roundsText); r++) {
    // Each kind between two paused blocks of its own, compared with them alone: the nearest in
    // time, so the machine's drift over a round weighs less. The kinds' order turns each round.
    const order = r % 2 ? KINDS.slice().reverse() : KINDS;
    const offs: Block[] = [await block(w, n, "off")];
    const got: Record<string, Block> = {};
    for (const kind of order) {
      got[kind] = kind === "brackets" ? await block(p!, np, kind) : await block(w, n, kind);
      offs.push(await block(w, n, "off"));
    }
    const around = (kind: string, k: keyof Block) => {
      const at = order.indexOf(kind);
      return (offs[at][k] + offs[at + 1][k]) / 2;
    };
    for (const kind of [...KINDS, "off"]) {
      const bs = kind === "off" ? offs : [got[kind]];
      samples[kind] = (samples[kind] ?? 0) + bs.reduce((a, b) => a + b.samples, 0);
      seconds[kind] = (seconds[kind] ?? 0) + bs.reduce((a, b) => a + b.wallMs, 0) / 1000;
    }
    const ratio = (k: keyof Block) => Object.fromEntries(SAMPLED.map((i) => [i, got[i][k] / around(i, k)]));
    // The sampler thread's CPU (with V8's helper threads'): the process's time beyond the main
    // thread's, per second of the block, over that of the paused blocks; in % of one core.
    const others = (b: Pick<Block, "processMs" | "cpuMs" | "wallMs">) => (b.processMs - b.cpuMs) / b.wallMs;
    const offAround = (i: string) => ({ processMs: around(i, "processMs"), cpuMs: around(i, "cpuMs"), wallMs: around(i, "wallMs") });
    const offCpu = offs.reduce((a, b) => a + b.cpuMs, 0), offWall = offs.reduce((a, b) => a + b.wallMs, 0);
    rounds.push({
      wall: ratio("wallMs"),
      cpu: ratio("cpuMs"),
      process: ratio("processMs"),
      samplerCore: Object.fromEntries(SAMPLED.map((i) => [i, 100 * (others(got[i]) - others(offAround(i)))])),
      // What one question costs the main thread, in µs: measured where questions are many (fast).
      ...(full ? { sampleCostUs: (1000 * (got.fast.cpuMs - around("fast", "cpuMs"))) / Math.max(1, got.fast.samples) } : {}),
      // Questions per ms of the program's own CPU at each interval: how often that cost is paid.
      samplesPerCpuMs: Object.fromEntries(SAMPLED.map((i) => [i, got[i].samples / around(i, "cpuMs")])),
      plainMs: offWall / (offs.length * n),
      plainCpuMs: offCpu / (offs.length * n),
      // Per run, instrumented in mprof mode over plain: CPU and wall time.
      ...(p ? { brackets: { cpu: (got.brackets.cpuMs / np) / (around("brackets", "cpuMs") / n), wall: (got.brackets.wallMs / np) / (around("brackets", "wallMs") / n) } } : {}),
    });
  }
  Atomics.store(control, 0, 0);
  const rate = Object.fromEntries(Object.keys(samples).map((k) => [k, samples[k] / seconds[k]]));
  process.stdout.write(JSON.stringify({ rounds, runsPerBlock: n, samplesPerSecond: rate, sink }));
  process.exit(0);
}

void main();
