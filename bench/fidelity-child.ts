/*
 * Child process of `npm run bench` for fidelity: runs an instrumented fixture (its profile is
 * written at exit) and, for the fine fixture, measures the truth with the same code unprofiled.
 */
import { performance } from "node:perf_hooks";

type Fixture = { run: () => unknown; onlyLight?: (n: number) => number; onlyHeavy?: (n: number) => number; neither?: (n: number) => number };

function perIteration(f: (n: number) => number, n: number): number {
  let best = Infinity, sink = 0;
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    sink += f(n);
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1e6) / n + (sink === -1 ? 1 : 0);
}

const fixture = require(process.argv[2]) as Fixture;
const truth: Record<string, number> = {};
if (fixture.onlyLight && fixture.onlyHeavy && fixture.neither) {
  const n = 300_000;
  const base = perIteration(fixture.neither, n);
  truth.light = perIteration(fixture.onlyLight, n) - base;
  truth.heavy = perIteration(fixture.onlyHeavy, n) - base;
}
// Warm up, then the measured run is the last of several identical runs (all are profiled).
for (let i = 0; i < 3; i++) fixture.run();
process.stdout.write(JSON.stringify(truth));
