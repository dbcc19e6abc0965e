/*
 * Child of `npm run bench:mprof`: one workload, with mprof's heap sampler thread started as the
 * preload starts it under `tsprof mprof run`, switched between paused, every 0.1 s and every
 * 0.01 s in blocks of the same work (a fixed number of runs, as many as take `blockMs` of the
 * main thread's CPU), in this one process: processes differ from one another by more than
 * sampling costs.
 *
 * The parent (mprof.ts) drives it over stdin, one JSON line per batch: `{"rounds": [{"kinds": [kind, …], "spacer": k}, …]}`
 * runs those rounds, each as paused, kind, paused, kind, …, paused (every kind between two paused
 * blocks of its own: the nearest in time, so the machine's drift cancels), each after `spacer`
 * untimed runs; `{"stop": true}` ends it. It answers one JSON line per round with every block's raw figures, and `{"done": n}` after
 * a batch, so the parent can decide after each batch which kinds still need rounds.
 *
 * Kinds: `off` (paused), `aa` (paused too, placed and reported as a sampled kind: the A/A check of
 * the intervals), `0.1`, `0.01`, `0.01-before` (every 0.01 s as the sampler asked before: after 5 ms
 * of the main thread's running, the external memory every 0.1 s of wall time), `fast` (every 1 ms,
 * where one question's cost stands far above the noise) and `brackets` (the instrumented build
 * under mprof's runtime mode). Per block: wall time, the main thread's CPU time
 * (/proc/thread-self/schedstat, in ns, made exact by a getrusage first: alone it moves at
 * scheduler ticks, 3-4 ms here), the process's CPU time (getrusage: every thread, the sampler's
 * included), the questions answered, and the collections that began in it (count by kind and
 * their duration, from a `gc` PerformanceObserver): the parent adjusts for how many fell in each.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { constants, performance, PerformanceObserver } from "node:perf_hooks";
import { startHeapSampler } from "../loader/mprof-heap";

type Workload = { run: () => unknown; prepare?: () => void };
const [modulePath, blockMsText, profiledPath] = process.argv.slice(2);
/** The sampling period in ms (0: paused), and whether the sampler asks as it did before. */
const GATES: Record<string, [number, number]> = { off: [0, 0], aa: [0, 0], brackets: [0, 0], "0.1": [100, 0], "0.01": [10, 0], "0.01-before": [10, 1], fast: [1, 0] };
const gate = new SharedArrayBuffer(24);
const control = new Int32Array(gate, 0, 3);
/**
 * The main thread's CPU outside sampled blocks, ns: the sampler leaves it out of its schedule
 * (mprof-heap-worker.ts), so a sampled block sees the thread's running as a program sampled all
 * along would. All of it, not the paused blocks' alone: the untimed runs before each round
 * earned the sampler credit (two questions at most) that it spent at the start of the next
 * sampled block, and 10 ms blocks every 0.01 s got 0.14–0.16 questions per ms of the program's
 * CPU instead of 0.11 (node 24, async and classes), which the bench counted as sampling's cost.
 */
const hidden = new Float64Array(gate, 16, 1);
/** The main thread's CPU inside sampled blocks, ns. */
let visible = 0;
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

/** One block's raw figures, as the parent reads them. */
export interface RawBlock {
  kind: string;
  wallMs: number;
  cpuMs: number;
  processMs: number;
  /** Questions the sampler had answered by the block's end, less those at its start. */
  samples: number;
  /** Runs in the block. */
  runs: number;
  /** Collections that began in the block: [minor, major, incremental marking, weak callbacks], and their total duration (wall ms). */
  gc: number[];
  gcMs: number;
  /** performance.now() at the block's start and end (filled in when its collections are counted). */
  t0: number;
  t1: number;
}

async function runs(w: Workload, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    w.prepare?.();
    const v = await w.run();
    // Every result used: no run can be optimized away.
    sink += typeof v === "number" ? v : String(v).length;
  }
}

async function block(w: Workload, n: number, kind: string): Promise<RawBlock> {
  // No collection or untimed run before a block: a full collection before each (as before) made
  // the blocks noisier, not quieter (A/A robust spread of the ratios 0.09–0.16 against 0.03–0.09
  // without, on classes and alloc at a load of 20), and took four fifths of the bench's time.
  // Each block's share of the collections falls on paused and sampled blocks alike; the parent
  // adjusts for it from the counts below.
  const sampled = GATES[kind][0] > 0;
  // Everything up to a sampled block's start is hidden: the sampler finds the thread's running
  // where the last sampled block left it.
  if (sampled) hidden[0] = threadCpuNs() - visible;
  Atomics.store(control, 2, GATES[kind][1]);
  Atomics.store(control, 0, GATES[kind][0]);
  const answered = Atomics.load(control, 1);
  const c0 = threadCpuNs(), p0 = processCpuUs(), t0 = performance.now();
  await runs(w, n);
  const t1 = performance.now(), c1 = threadCpuNs(), p1 = processCpuUs();
  if (sampled) visible += c1 - c0;
  return { kind, wallMs: t1 - t0, cpuMs: (c1 - c0) / 1e6, processMs: (p1 - p0) / 1e3, samples: Atomics.load(control, 1) - answered, runs: n, gc: [0, 0, 0, 0], gcMs: 0, t0, t1 };
}

/** Collections seen, not yet given to a block (the observer hears of them once the event loop turns). */
const collections: { start: number; duration: number; kind: number }[] = [];
const GC_KINDS = [constants.NODE_PERFORMANCE_GC_MINOR, constants.NODE_PERFORMANCE_GC_MAJOR, constants.NODE_PERFORMANCE_GC_INCREMENTAL, constants.NODE_PERFORMANCE_GC_WEAKCB];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) collections.push({ start: e.startTime, duration: e.duration, kind: ((e as unknown as { detail?: { kind?: number } }).detail?.kind ?? (e as unknown as { kind: number }).kind) });
}).observe({ entryTypes: ["gc"] });
const turn = () => new Promise<void>((r) => setImmediate(r));

/** Gives each block the collections that began within it. */
async function countCollections(blocks: RawBlock[]): Promise<void> {
  await turn();
  await turn();
  for (const c of collections.splice(0)) {
    const b = blocks.find((x) => c.start >= x.t0 && c.start < x.t1);
    if (!b) continue;
    const k = GC_KINDS.indexOf(c.kind);
    if (k >= 0) b.gc[k]++;
    b.gcMs += c.duration;
  }
}

const write = (v: unknown) => new Promise<void>((r) => process.stdout.write(JSON.stringify(v) + "\n", () => r()));

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
  // Twice: the first fill is still warming up (compilation, the heap's growth to its working
  // size), and a block sized by it held a third of the runs asked for (alloc: 4 runs, 29 ms).
  await fill(w);
  const n = await fill(w);
  // The instrumented build, under mprof's runtime mode (brackets only), in blocks of its own size.
  const p = profiledPath ? (require(profiledPath) as Workload) : undefined;
  if (p) await fill(p);
  const np = p ? await fill(p) : 0;
  await countCollections([]);
  await write({ ready: true, runsPerBlock: n, profiledRunsPerBlock: np });
  let pending = "";
  const commands: string[] = [];
  let wake: (() => void) | undefined;
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (s: string) => {
    pending += s;
    let i;
    while ((i = pending.indexOf("\n")) >= 0) {
      commands.push(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
    wake?.();
  });
  process.stdin.on("end", () => {
    commands.push('{"stop":true}');
    wake?.();
  });
  for (;;) {
    while (!commands.length) await new Promise<void>((r) => (wake = r));
    const command = JSON.parse(commands.shift()!) as { rounds?: { kinds: string[]; spacer: number }[]; stop?: boolean };
    if (command.stop) break;
    // A batch's rounds run without a turn of the event loop between them, as the work of a busy
    // program: V8 runs some of its collection tasks there, and a turn after each round made the
    // collections keep time with the rounds (alloc: 0.05 major collections in a round's second
    // block, 0.8 in its third and later), which the kinds' places then took for their cost.
    const done: RawBlock[][] = [];
    for (const round of command.rounds ?? []) {
      // Untimed runs of the parent's random count before the round: its blocks start at no fixed
      // point of the program's own cycle of collections.
      await runs(w, round.spacer);
      const blocks: RawBlock[] = [await block(w, n, "off")];
      for (const kind of round.kinds) {
        blocks.push(kind === "brackets" ? await block(p!, np, kind) : await block(w, n, kind));
        blocks.push(await block(w, n, "off"));
      }
      done.push(blocks);
    }
    Atomics.store(control, 0, 0);
    await countCollections(done.flat());
    for (const blocks of done) await write({ blocks });
    await write({ done: done.length });
  }
  Atomics.store(control, 0, 0);
  await write({ end: true, sink });
  process.exit(0);
}

void main();
