/*
 * Child of `npm run bench:mprof`: one workload timed with mprof's heap sampler thread running
 * and paused, alternately, in this one process (processes differ more from one another than
 * sampling costs). The thread starts as the preload starts it under `tsprof mprof run`; timing
 * begins after its first sample. Each block runs the workload for at least 10 intervals, and its
 * figure is the mean run time: a sample lands in a few runs only, which a median would hide.
 * Prints JSON `{ ratios }`: per pair of blocks, mean(sampling) / mean(paused).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { startHeapSampler } from "../loader/mprof-heap";

type Workload = { run: () => unknown; prepare?: () => void };
const [modulePath, pairsText] = process.argv.slice(2);
const interval = Number(process.env.TSPROF_MPROF_INTERVAL);
const gate = new SharedArrayBuffer(4);
const open = new Int32Array(gate);
let sink = 0;

async function block(w: Workload, ms: number): Promise<number> {
  const times: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end || times.length < 5) {
    w.prepare?.();
    const t0 = performance.now();
    const v = await w.run();
    times.push(performance.now() - t0);
    sink += typeof v === "number" ? v : String(v).length;
  }
  return times.reduce((a, b) => a + b, 0) / times.length;
}

async function main(): Promise<void> {
  const w = require(modulePath) as Workload;
  Atomics.store(open, 0, 1);
  startHeapSampler(gate);
  const heapFile = path.join(process.env.TSPROF_MPROF_DIR!, `heap-${process.pid}.txt`);
  // Warm up while the sampler thread starts.
  while (!(fs.existsSync(heapFile) && fs.statSync(heapFile).size > 0)) await block(w, 20);
  await block(w, 200);
  const ms = Math.max(100, interval * 10 * 1000);
  const ratios: number[] = [];
  for (let i = 0; i < Number(pairsText); i++) {
    const order = i % 2 === 0 ? [1, 0] : [0, 1];
    const medians: Record<number, number> = {};
    for (const on of order) {
      Atomics.store(open, 0, on);
      medians[on] = await block(w, ms);
    }
    ratios.push(medians[1] / medians[0]);
  }
  process.stdout.write(JSON.stringify({ ratios, sink }));
  process.exit(0);
}

void main();
