/*
 * Child process of `npm run bench`: loads a workload compiled twice (plain, instrumented) and
 * times them alternately in this one process (A B A B …), after warm-up, so both see the same
 * machine state. Prints JSON `{ plain: ms[], profiled: ms[] }`.
 */
import { performance } from "node:perf_hooks";

type Workload = { run: () => unknown };

let sink = 0;

async function timeOnce(w: Workload): Promise<number> {
  const t0 = performance.now();
  const v = await w.run();
  const dt = performance.now() - t0;
  // Use every result, so no run can be optimized away.
  sink += typeof v === "number" ? v : String(v).length;
  return dt;
}

async function main(): Promise<void> {
  const [plainPath, profPath, pairsText, warmupText] = process.argv.slice(2);
  const plain = require(plainPath) as Workload;
  const profiled = require(profPath) as Workload;
  const pairs = Number(pairsText), warmup = Number(warmupText);
  for (let i = 0; i < warmup; i++) {
    await timeOnce(plain);
    await timeOnce(profiled);
  }
  const out = { plain: [] as number[], profiled: [] as number[], sink: 0 };
  for (let i = 0; i < pairs; i++) {
    out.plain.push(await timeOnce(plain));
    out.profiled.push(await timeOnce(profiled));
  }
  out.sink = sink;
  process.stdout.write(JSON.stringify(out));
}

void main();
