/*
 * Child process of `npm run bench`: times one workload module (plain or instrumented), after
 * warm-up, and prints JSON `{ times: ms[] }`.
 *
 * One variant per process: timed in one process, each variant paid for what the other left
 * behind. The same module timed against a copy of itself showed a 1.7-2.0x "overhead", the
 * second run of each pair collecting the first one's garbage, and collecting before every run
 * shrank the young generation and slowed allocating code 2-3x. The bench alternates processes
 * (plain, profiled, profiled, plain, …) instead.
 */
import { performance } from "node:perf_hooks";

type Workload = { run: () => unknown; prepare?: () => void };

let sink = 0;

async function timeOnce(w: Workload): Promise<number> {
  w.prepare?.();
  const t0 = performance.now();
  const v = await w.run();
  const dt = performance.now() - t0;
  // Use every result, so no run can be optimized away.
  sink += typeof v === "number" ? v : String(v).length;
  return dt;
}

async function main(): Promise<void> {
  const [modulePath, runsText, warmupText] = process.argv.slice(2);
  const workload = require(modulePath) as Workload;
  for (let i = 0; i < Number(warmupText); i++) await timeOnce(workload);
  const times: number[] = [];
  for (let i = 0; i < Number(runsText); i++) times.push(await timeOnce(workload));
  process.stdout.write(JSON.stringify({ times, sink }));
}

void main();
