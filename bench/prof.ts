/*
 * `npm run bench:prof`: what the function profile (tsprof prof) costs, beside the alternatives
 * it was chosen against and beside cProfile.
 *
 * Each bench workload is compiled plain and with the function-profile transform; each variant is
 * timed in its own process (harness.ts says why), processes alternating; the figure is the median
 * over process pairs of median(profiled) / median(plain). V8's sampler and V8's call counts run
 * on the plain module. cProfile runs on the Python ports (bench/python) when python3 is there.
 * Output: a table on stdout and bench/results/prof.json.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { createCallsTransformer } from "../transformer/calls";
import { compile, makeProject, ROOT } from "../test/helpers";

const BENCH = path.join(ROOT, "bench");
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const WORKLOADS = ["tight", "strings", "fib", "alloc", "async", "classes"];
// calls: tsprof prof --mode clock; sampler: tsprof prof --mode sampler (the default).
const MODES = ["calls", "sampler", "v8-sampler", "v8-counts"];

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function compileCalls(source: string, fileName: string): string {
  return ts.transpileModule(source, {
    fileName,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
    transformers: { before: [createCallsTransformer(ts)] },
  }).outputText;
}

function time(dir: string, module: string, mode: string): number {
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_PROF_MODE: mode };
  for (const k of Object.keys(env)) if (k.startsWith("TSPROF")) delete env[k];
  const r = spawnSync(process.execPath, [path.join(__dirname, "prof-child.js"), module, String(RUNS), String(WARMUP)], { cwd: dir, encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`bench: ${path.basename(module)} (${mode}) failed: ${r.stderr}`);
  return median((JSON.parse(r.stdout) as { times: number[] }).times);
}

function overhead(workload: string, mode: string): { ratio: number; plainMs: number } {
  const dir = makeProject("tsprof-bench-prof-");
  const src = path.join(BENCH, "workloads", `${workload}.ts`);
  const source = fs.readFileSync(src, "utf8");
  const plain = path.join(dir, "plain.js");
  fs.writeFileSync(plain, compile(source, src, { plain: true }));
  const profiled = path.join(dir, "calls.js");
  fs.writeFileSync(profiled, compileCalls(source, src));
  const subject = mode === "calls" || mode === "sampler" ? profiled : plain;
  const ratios: number[] = [], plains: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const a = i % 2 === 0;
    const first = a ? time(dir, plain, "plain") : time(dir, subject, mode);
    const second = a ? time(dir, subject, mode) : time(dir, plain, "plain");
    const [p, q] = a ? [first, second] : [second, first];
    plains.push(p);
    ratios.push(q / p);
  }
  return { ratio: median(ratios), plainMs: median(plains) };
}

function cprofile(): Record<string, number> | undefined {
  const r = spawnSync("python3", [path.join(BENCH, "python", "cprofile_overhead.py"), String(Math.max(PAIRS, 5))], { encoding: "utf8" });
  return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, number>) : undefined;
}

const fmt = (x: number | undefined, digits = 1) => (x === undefined ? "-" : x.toFixed(digits));

function main(): void {
  const started = Date.now();
  const cp = cprofile();
  const rows: Record<string, Record<string, { ratio: number; plainMs: number }>> = {};
  for (const w of WORKLOADS) {
    rows[w] = {};
    for (const m of MODES) {
      process.stderr.write(`bench:prof: ${w} (${m})…\n`);
      rows[w][m] = overhead(w, m);
    }
  }
  const lines = [
    `Function profile overhead: profiled / unprofiled time (median of ${PAIRS} alternating process pairs, ${RUNS} runs each; node ${process.version})`,
    "",
    `${"workload".padEnd(10)} ${"plain ms".padStart(9)} ${"clock".padStart(9)} ${"sampler".padStart(9)} ${"v8-sampler".padStart(11)} ${"v8-counts".padStart(10)} ${"cProfile".padStart(9)}`,
  ];
  for (const w of WORKLOADS) {
    const r = rows[w];
    lines.push(`${w.padEnd(10)} ${fmt(r.calls.plainMs, 2).padStart(9)} ${`${fmt(r.calls.ratio)}x`.padStart(9)} ${`${fmt(r.sampler.ratio, 2)}x`.padStart(9)} ${`${fmt(r["v8-sampler"].ratio, 2)}x`.padStart(11)} ${`${fmt(r["v8-counts"].ratio, 2)}x`.padStart(10)} ${(cp?.[w] ? `${fmt(cp[w])}x` : "").padStart(9)}`);
  }
  lines.push("", "clock: tsprof prof --mode clock; sampler: tsprof prof --mode sampler (default): counters + V8's sampler;",
    "v8-sampler / v8-counts: V8's CPU profiler / precise coverage call counts alone, on the plain code");
  if (!cp) lines.push("", "(cProfile column empty: python3 is not installed)");
  lines.push("", "Targets: default mode ≤ 1.3x on every workload; ≤ cProfile's ratio on the Python ports");
  for (const m of ["sampler", "calls"]) {
    for (const w of WORKLOADS) {
      const got = rows[w][m].ratio;
      const vs = cp?.[w] ? `; cProfile ${fmt(cp[w])}x: ${got <= cp[w] ? "met" : "NOT met"}` : "";
      lines.push(`  ${m === "calls" ? "clock" : m} ${w}: ${fmt(got, 2)}x ≤ 1.3x ${got <= 1.3 ? "met" : "NOT met"}${vs}`);
    }
  }
  lines.push("", `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(lines.join("\n") + "\n");
  fs.mkdirSync(path.join(BENCH, "results"), { recursive: true });
  fs.writeFileSync(path.join(BENCH, "results", "prof.json"), JSON.stringify({ node: process.version, date: new Date().toISOString(), pairs: PAIRS, rows, cProfile: cp ?? null }, null, 2) + "\n");
}

main();
