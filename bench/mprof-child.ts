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
 * kinds' order turns each round). Kinds: `off`, `0.1`, `0.01` in every round; with `--full`, in
 * every third round, also `0.01-before` (every 0.01 s as the sampler asked before: after 5 ms of
 * the main thread's running, the external memory every 0.1 s of wall time), `fast` (every 1 ms,
 * where the cost of one question stands far above the noise, measured per question) and
 * `brackets` (the instrumented build under mprof's runtime mode). Per block: wall time, the main
 * thread's CPU time (/proc/thread-self/schedstat, in ns, made exact by a getrusage first: alone
 * it moves at scheduler ticks, 3-4 ms here) and the process's CPU time (getrusage: every thread,
 * the sampler's included). Prints JSON: per kind, one ratio a round it was measured in.
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
const gate = new SharedArrayBuffer(24);
const control = new Int32Array(gate, 0, 3);
/** The paused blocks' main-thread CPU, ns: the sampler leaves it out of its schedule (mprof-heap-worker.ts). */
const hidden = new Float64Array(gate, 16, 1);
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


async function block(w: Workload, n: number, kind: string): Promise<Block> {
  if (kind === "brackets") kind = "off";
  // No collection or untimed run before a block: a full collection before each (as before) made
  // the blocks noisier, not quieter (A/A robust spread of the ratios 0.09–0.16 against 0.03–0.09
  // without, on classes and alloc at a load of 20), and took four fifths of the bench's time.
  // Each block's share of the collections is noise that falls on paused and sampled blocks alike.
  Atomics.store(control, 2, GATES[kind][1]);
  Atomics.store(control, 0, GATES[kind][0]);
  const answered = Atomics.load(control, 1);
  const c0 = threadCpuNs(), p0 = processCpuUs(), t0 = performance.now();
  await runs(w, n);
  const t1 = performance.now(), c1 = threadCpuNs(), p1 = processCpuUs();
  if (GATES[kind][0] === 0) hidden[0] += c1 - c0;
  return { wallMs: t1 - t0, cpuMs: (c1 - c0) / 1e6, processMs: (p1 - p0) / 1e3, samples: Atomics.load(control, 1) - answered };
}

/** Per kind, one value a round it was measured in (extra kinds: every EXTRA_EVERY-th round). */
type PerKind = Record<string, number[]>;
const push = (m: PerKind, kind: string, v: number) => (m[kind] ??= []).push(v);

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
    while ((threadCpuNs() - c0) / 1e6 < blockMs || k < 1) {
      await runs(x, 1);
      k++;
    }
    return k;
  };
  const n = await fill(w);
  // The instrumented build, under mprof's runtime mode (brackets only), in blocks of its own size.
  const p = profiledPath ? (require(profiledPath) as Workload) : undefined;
  const np = p ? await fill(p) : 0;
  // The verdicts' kinds are in every round; the full run's others (the sampler as before, every
  // 1 ms, the brackets) in every EXTRA_EVERY-th, so the rounds that decide are many.
  const DECIDE = ["0.1", "0.01"];
  const EXTRA = full ? ["0.01-before", "fast", ...(p ? ["brackets"] : [])] : [];
  const EXTRA_EVERY = 3;
  const wall: PerKind = {}, cpu: PerKind = {}, proc: PerKind = {}, samplerCore: PerKind = {}, questions: PerKind = {}, cpuMs: PerKind = {}, aroundCpuMs: PerKind = {};
  const sampleCostUs: number[] = [], brackets = { cpu: [] as number[], wall: [] as number[] }, plainMs: number[] = [], plainCpuMs: number[] = [];
  const samples: Record<string, number> = {}, seconds: Record<string, number> = {};
  for (let r = 0; r < Number(roundsText); r++) {
    const kinds = [...DECIDE, ...(r % EXTRA_EVERY === 0 ? EXTRA : [])];
    // Each kind between two paused blocks of its own, compared with them alone: the nearest in
    // time, so the machine's drift over a round weighs less. The kinds' order turns each round.
    const order = r % 2 ? kinds.slice().reverse() : kinds;
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
    for (const kind of [...kinds, "off"]) {
      const bs = kind === "off" ? offs : [got[kind]];
      samples[kind] = (samples[kind] ?? 0) + bs.reduce((a, b) => a + b.samples, 0);
      seconds[kind] = (seconds[kind] ?? 0) + bs.reduce((a, b) => a + b.wallMs, 0) / 1000;
    }
    // The sampler thread's CPU (with V8's helper threads'): the process's time beyond the main
    // thread's, per second of the block, over that of the paused blocks; in % of one core.
    const others = (b: Pick<Block, "processMs" | "cpuMs" | "wallMs">) => (b.processMs - b.cpuMs) / b.wallMs;
    const offAround = (i: string) => ({ processMs: around(i, "processMs"), cpuMs: around(i, "cpuMs"), wallMs: around(i, "wallMs") });
    for (const i of kinds) {
      if (i === "brackets") {
        // Per run, instrumented in mprof mode over plain: CPU and wall time.
        brackets.cpu.push((got.brackets.cpuMs / np) / (around("brackets", "cpuMs") / n));
        brackets.wall.push((got.brackets.wallMs / np) / (around("brackets", "wallMs") / n));
        continue;
      }
      push(wall, i, got[i].wallMs / around(i, "wallMs"));
      push(cpu, i, got[i].cpuMs / around(i, "cpuMs"));
      push(aroundCpuMs, i, around(i, "cpuMs"));
      push(proc, i, got[i].processMs / around(i, "processMs"));
      push(samplerCore, i, 100 * (others(got[i]) - others(offAround(i))));
      // Questions and the program's own CPU at each interval: how often a question's cost is paid.
      push(questions, i, got[i].samples);
      push(cpuMs, i, got[i].cpuMs);
    }
    // What one question costs the main thread, in µs: measured where questions are many (fast).
    if (got.fast) sampleCostUs.push((1000 * (got.fast.cpuMs - around("fast", "cpuMs"))) / Math.max(1, got.fast.samples));
    plainMs.push(offs.reduce((a, b) => a + b.wallMs, 0) / (offs.length * n));
    plainCpuMs.push(offs.reduce((a, b) => a + b.cpuMs, 0) / (offs.length * n));
  }
  Atomics.store(control, 0, 0);
  const rate = Object.fromEntries(Object.keys(samples).map((k) => [k, samples[k] / seconds[k]]));
  process.stdout.write(JSON.stringify({ wall, cpu, process: proc, samplerCore, questions, cpuMs, aroundCpuMs, sampleCostUs, brackets, plainMs, plainCpuMs, runsPerBlock: n, samplesPerSecond: rate, sink }));
  process.exit(0);
}

void main();
