/*
 * `npm run bench:memory`: memory mode's cost, alone. What one reading of memory in use costs with
 * each API Node offers, then memory mode's overhead on the bench workloads beside V8 mode (the
 * timing memory mode uses by default, so the difference is memory's own), beside memory mode with
 * sampled timing (`TSPROF_TIMING=sampled`, and the sampled mode under it) and beside
 * memory_profiler on the Python ports, all in one run. Prints tables; writes bench/results/memory.json.
 * `BENCH_MEMORY_BASELINE=<another built checkout of tsprof>` adds that checkout's memory mode as a
 * column, measured in the same run (its transformer compiles, its runtime runs).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import * as v8 from "node:v8";
import { compile, makeProject, ROOT } from "../test/helpers";
import { overheadTable, pythonOverhead, type Mode } from "./run";

const BASELINE = process.env.BENCH_MEMORY_BASELINE;
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);

const WORKLOADS = ["tight", "strings", "fib", "alloc", "classes"];
const MODES: Mode[] = [
  { name: "v8", env: { TSPROF_TIMING: "v8" } },
  { name: "memory", env: { TSPROF_MEMORY: "1" } },
  { name: "sampled", env: { TSPROF_TIMING: "sampled" } },
  { name: "mem+samp", env: { TSPROF_MEMORY: "1", TSPROF_TIMING: "sampled" } },
];

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

let sink = 0;

/** Nanoseconds per call of `read`, the median of 7 rounds after a warm-up. */
function perCall(read: () => number, n: number): number {
  for (let i = 0; i < n; i++) sink += read();
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += read();
    rounds.push(((performance.now() - t0) * 1e6) / n);
  }
  return median(rounds);
}

/** The ways to read memory in use from JavaScript without flags, and what each costs. */
function readingCosts(): Record<string, number> {
  const costs: Record<string, number> = {};
  costs["v8.getHeapStatistics() (used_heap_size + external_memory)"] = perCall(() => {
    const h = v8.getHeapStatistics();
    return h.used_heap_size + h.external_memory;
  }, 200_000);
  costs["v8.getHeapSpaceStatistics() (sum of space_used_size)"] = perCall(() => {
    let s = 0;
    for (const sp of v8.getHeapSpaceStatistics()) s += sp.space_used_size;
    return s;
  }, 20_000);
  costs["process.memoryUsage() (heapUsed + external)"] = perCall(() => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  }, 20_000);
  costs["process.memoryUsage.rss() (memory_profiler's RSS)"] = perCall(() => process.memoryUsage.rss(), 20_000);
  costs["process.resourceUsage().maxRSS"] = perCall(() => process.resourceUsage().maxRSS, 20_000);
  return costs;
}

/** Memory mode's overhead with another checkout's transformer and runtime (same harness, same alternation). */
function baselineOverhead(root: string, workload: string): number {
  const { compile } = require(path.join(root, "dist", "test", "helpers.js")) as { compile: (s: string, f: string, o: object) => string };
  const dir = makeProject("tsprof-bench-base-");
  fs.rmSync(path.join(dir, "node_modules", "tsprof"));
  fs.symlinkSync(root, path.join(dir, "node_modules", "tsprof"), "dir");
  const src = path.join(ROOT, "bench", "workloads", `${workload}.ts`);
  const source = fs.readFileSync(src, "utf8");
  const plain = path.join(dir, "plain.js"), prof = path.join(dir, "profiled.js");
  fs.writeFileSync(plain, compile(source, src, { plain: true }));
  fs.writeFileSync(prof, compile(source, src, {}));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("TSPROF")) delete env[k];
  Object.assign(env, { TSPROF_OUTPUT: path.join(dir, "out.lprof"), TSPROF_MEMORY: "1" });
  const time = (m: string) => {
    const r = spawnSync(process.execPath, [path.join(__dirname, "harness.js"), m, process.env.BENCH_RUNS ?? "7", process.env.BENCH_WARMUP ?? "3"], { cwd: dir, encoding: "utf8", env });
    if (r.status !== 0) throw new Error(`bench: baseline ${workload} failed: ${r.stderr}`);
    return median((JSON.parse(r.stdout) as { times: number[] }).times);
  };
  const ratios: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? [plain, prof] : [prof, plain];
    const [a, b] = order.map(time);
    ratios.push(order[0] === prof ? a / b : b / a);
  }
  return median(ratios);
}

/**
 * Memory mode's boundaries per workload run after lines that may allocate: how many read memory
 * in use, and how many steady lines were credited without a reading (runtime/memory.ts
 * `readingCounts`), over 10 runs after 3 of warm-up.
 */
function readingsPerRun(workload: string): { readings: number; credited: number } {
  const dir = makeProject("tsprof-bench-reads-");
  const src = path.join(ROOT, "bench", "workloads", `${workload}.ts`);
  const prof = path.join(dir, "profiled.js");
  fs.writeFileSync(prof, compile(fs.readFileSync(src, "utf8"), src, {}));
  const script = `
    const w = require(${JSON.stringify(prof)});
    const { readingCounts } = require(${JSON.stringify(path.join(ROOT, "dist", "runtime", "memory.js"))});
    (async () => {
      for (let i = 0; i < 3; i++) await w.run();
      const r0 = readingCounts[0], c0 = readingCounts[1];
      for (let i = 0; i < 10; i++) await w.run();
      process.stdout.write(JSON.stringify({ readings: (readingCounts[0] - r0) / 10, credited: (readingCounts[1] - c0) / 10 }));
    })();`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("TSPROF")) delete env[k];
  Object.assign(env, { TSPROF_OUTPUT: path.join(dir, "out.lprof"), TSPROF_MEMORY: "1" });
  const r = spawnSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`bench: readings of ${workload} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { readings: number; credited: number };
}

const fmt = (x: number | undefined, digits = 1) => (x === undefined ? "-" : x.toFixed(digits));

function main(): void {
  const started = Date.now();
  const costs = readingCosts();
  const lines: string[] = ["One reading of memory in use (ns per call, median of 7 rounds):", ""];
  for (const [what, ns] of Object.entries(costs)) lines.push(`  ${fmt(ns, 0).padStart(7)} ns  ${what}`);
  process.stderr.write("bench: memory_profiler on the Python ports…\n");
  const mp = pythonOverhead("memory_profiler", 3);
  const rows = overheadTable(MODES, WORKLOADS);
  const baseline: Record<string, number> = {};
  if (BASELINE) {
    for (const w of WORKLOADS) {
      process.stderr.write(`bench: ${w} (memory, baseline ${BASELINE})…\n`);
      baseline[w] = baselineOverhead(BASELINE, w);
    }
  }
  lines.push("", `Overhead: profiled / unprofiled time (median of ${PAIRS} process pairs; node ${process.version})`, "");
  lines.push(`${"workload".padEnd(10)} ${"v8".padStart(9)} ${"sampled".padStart(9)} ${"mem+samp".padStart(9)}${BASELINE ? " baseline" : ""} ${"memory".padStart(9)} ${"mem_prof".padStart(9)} ${"target".padStart(9)}  quotient`);
  const quotients: Record<string, { memory: number; memory_profiler: number | null; quotient: number | null; met: boolean | null }> = {};
  for (const w of WORKLOADS) {
    const m = rows.memory[w].ratio, ref = mp?.[w];
    const q = ref ? m / ref : null;
    quotients[w] = { memory: m, memory_profiler: ref ?? null, quotient: q, met: q === null ? null : q <= 1 / 50 };
    lines.push(`${w.padEnd(10)} ${`${fmt(rows.v8[w].ratio)}x`.padStart(9)} ${`${fmt(rows.sampled[w].ratio)}x`.padStart(9)} ${`${fmt(rows["mem+samp"][w].ratio)}x`.padStart(9)}${BASELINE ? ` ${`${fmt(baseline[w])}x`.padStart(8)}` : ""} ${`${fmt(m)}x`.padStart(9)} ${ref ? `${fmt(ref, 0)}x`.padStart(9) : "-".padStart(9)} `
      + `${ref ? `${fmt(ref / 50)}x`.padStart(9) : "-".padStart(9)}  ${q === null ? "-" : `1/${fmt(1 / q, 0)} ${q <= 1 / 50 ? "met" : "NOT met"}`}`);
  }
  const reads: Record<string, { readings: number; credited: number }> = {};
  lines.push("", "Memory mode, per workload run: boundaries after lines that may allocate, read or credited (steady lines)", "");
  lines.push(`${"workload".padEnd(10)} ${"readings".padStart(10)} ${"credited".padStart(10)}  read`);
  for (const w of WORKLOADS) {
    const c = (reads[w] = readingsPerRun(w));
    const all = c.readings + c.credited;
    lines.push(`${w.padEnd(10)} ${fmt(c.readings, 0).padStart(10)} ${fmt(c.credited, 0).padStart(10)}  ${all ? `${fmt((100 * c.readings) / all)}%` : "-"}`);
  }
  if (!mp) lines.push("", "(memory_profiler column empty: apt-get install python3-memory-profiler)");
  lines.push("", `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(lines.join("\n") + "\n");
  const out = path.join(ROOT, "bench", "results");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "memory.json"), JSON.stringify({ node: process.version, date: new Date().toISOString(), readingNs: costs, overhead: rows, baseline: BASELINE ? baseline : null, memory_profiler: mp ?? null, quotients, readingsPerRun: reads, sink: sink > 0 }, null, 2) + "\n");
}

main();
