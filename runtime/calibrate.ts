import { FunctionStats, probeCount } from "./stats";

/*
 * What one probe adds to the line it is charged to. A line's segment runs from one clock read to
 * the next, so besides the line's own work it holds the tail of its probe and the head of the
 * next: one whole probe. Measured the way the user's code pays it: a warmed-up, optimized loop
 * of the exact shape the transformer emits (`for (…; s.hit(a), i < n; …) { s.hit(b); … }`).
 * The empty line's time per hit is the probe cost. The median of several runs resists noise.
 */

const LOOP_HITS = 4000;
const WARMUPS = 30;
const RUNS = 9;

function calibrationLoop(stats: FunctionStats, n: number): number {
  const s = stats.enter();
  try {
    s.hit(1);
    let x = 0;
    for (let i = 0; s.hit(2), i < n; i++) {
      s.hit(3);
      x += i;
    }
    return x;
  } finally {
    s.exit();
  }
}

/** Cost of one probe in milliseconds (the unit of `performance.now()`), measured in this thread. */
export function measureProbeCost(): number {
  const saved = probeCount[0];
  const perHit: number[] = [];
  let sink = 0;
  try {
    for (let r = 0; r < WARMUPS + RUNS; r++) {
      const stats = new FunctionStats("<calibration>", "calibrationLoop", 1, [1, 2, 3, 4], [], "sync", true);
      sink += calibrationLoop(stats, LOOP_HITS);
      if (r >= WARMUPS) perHit.push(stats.time[3] / stats.hits[3]);
    }
  } finally {
    probeCount[0] = saved;
  }
  perHit.sort((a, b) => a - b);
  // `sink` keeps the loop's result alive so the JIT cannot drop the work being measured.
  return perHit[(perHit.length - 1) >> 1] + (sink === -1 ? 1 : 0);
}
