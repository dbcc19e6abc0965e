/*
 * Child of `npm run bench:mprof`: one workload, with mprof's heap sampler thread started as the
 * preload starts it under `tsprof mprof run`, switched between paused, every 0.1 s and every
 * 0.01 s in blocks of the same work (a fixed number of runs, as many as take `blockMs` of the main thread's CPU), in this one process: processes
 * differ from one another by more than sampling costs.
 *
 * The gate sets the thread's period (mprof-heap-worker.ts). Each round is symmetric, off F A B B
 * A F off (then the reverse), so a steady drift of the machine's speed weighs on every side
 * alike, and yields one ratio per interval: the two blocks sampled at that interval over the two
 * paused ones. F samples every 1 ms (as fast as the main thread answers, several hundred a
 * second): there the cost of one sample stands far above the noise, and it is measured per
 * sample, to be multiplied by the samples taken at 0.1 s and 0.01 s. Per block: wall time, the main thread's CPU time
 * (/proc/thread-self/schedstat, in ns: the program's own thread, without the sampler thread),
 * and the process's CPU time (getrusage: every thread, the sampler's included).
 * Prints JSON `{ rounds, runsPerBlock, samples, blockMs }`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { startHeapSampler } from "../loader/mprof-heap";

type Workload = { run: () => unknown; prepare?: () => void };
const [modulePath, roundsText, blockMsText, profiledPath] = process.argv.slice(2);
/** The sampling period in ms (0: paused); `fast`: every 1 ms, as fast as the main thread answers. */
const GATES: Record<string, number> = { off: 0, "0.1": 100, "0.01": 10, fast: 1 };
const gate = new SharedArrayBuffer(8);
const control = new Int32Array(gate);
let sink = 0;

/** This thread's time on a CPU, in ns (Linux's schedstat: its first field). */
function threadCpuNs(): number {
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
  Atomics.store(control, 0, GATES[kind]);
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
  const KINDS = ["off", "fast", "0.1", "0.01", ...(p ? ["brackets"] : [])];
  const zero = () => Object.fromEntries(KINDS.map((k) => [k, 0]));
  const samples = zero(), seconds = zero();
  const half = ["off", "fast", "0.1", "0.01", ...(p ? ["brackets"] : [])];
  const orders = [[...half, ...half.slice().reverse()], [...half.slice().reverse(), ...half]];
  for (let r = 0; r < Number(roundsText); r++) {
    const got: Record<string, Block[]> = Object.fromEntries(KINDS.map((k) => [k, []]));
    for (const kind of orders[r % 2]) {
      const b = kind === "brackets" ? await block(p!, np, kind) : await block(w, n, kind);
      got[kind].push(b);
      samples[kind] += b.samples;
      seconds[kind] += b.wallMs / 1000;
    }
    const sum = (kind: string, k: keyof Block) => got[kind].reduce((a, b) => a + b[k], 0);
    const ratio = (k: keyof Block) => ({ "0.1": sum("0.1", k) / sum("off", k), "0.01": sum("0.01", k) / sum("off", k), fast: sum("fast", k) / sum("off", k) });
    // The sampler thread's CPU (with V8's helper threads'): the process's time beyond the main
    // thread's, per second of the block, over that of the paused blocks; in % of one core.
    const others = (kind: string) => (sum(kind, "processMs") - sum(kind, "cpuMs")) / sum(kind, "wallMs");
    rounds.push({
      wall: ratio("wallMs"),
      cpu: ratio("cpuMs"),
      process: ratio("processMs"),
      samplerCore: { "0.1": 100 * (others("0.1") - others("off")), "0.01": 100 * (others("0.01") - others("off")) },
      // What one sample costs the main thread, in µs: measured where samples are many (fast).
      sampleCostUs: (1000 * (sum("fast", "cpuMs") - sum("off", "cpuMs"))) / Math.max(1, sum("fast", "samples")),
      // Samples per ms of the program's own CPU at each interval: how often that cost is paid.
      samplesPerCpuMs: { "0.1": sum("0.1", "samples") / sum("off", "cpuMs"), "0.01": sum("0.01", "samples") / sum("off", "cpuMs") },
      plainMs: sum("off", "wallMs") / (2 * n),
      plainCpuMs: sum("off", "cpuMs") / (2 * n),
      // Per run, instrumented in mprof mode over plain: CPU and wall time.
      ...(p ? { brackets: { cpu: (sum("brackets", "cpuMs") / np) / (sum("off", "cpuMs") / n), wall: (sum("brackets", "wallMs") / np) / (sum("off", "wallMs") / n) } } : {}),
    });
  }
  Atomics.store(control, 0, 0);
  const rate = Object.fromEntries(Object.keys(samples).map((k) => [k, samples[k] / seconds[k]]));
  process.stdout.write(JSON.stringify({ rounds, runsPerBlock: n, samplesPerSecond: rate, sink }));
  process.exit(0);
}

void main();
