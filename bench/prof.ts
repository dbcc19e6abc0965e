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
// Tiny workloads (fib: 0.16 ms) are still moving between V8's tiers after a few runs: warm-up
// of 3 left single pairs ranging 0.2x–4.6x on fib under load, 20 settles them.
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
const ALL_WORKLOADS = ["tight", "strings", "fib", "alloc", "async", "classes"];
const WORKLOADS = process.env.BENCH_PROF_WORKLOADS ? process.env.BENCH_PROF_WORKLOADS.split(",") : ALL_WORKLOADS;
// calls: tsprof prof --mode clock; sampler: tsprof prof --mode sampler (the default), at 100 µs
// or at `sampler@US`; counts: its counters without the sampler; counter: one slot increment per
// call and nothing else, the floor of any exact count this transform could keep.
const INTERVALS = [50, 100, 250, 1000];
const ALL_MODES = ["calls", "sampler", ...INTERVALS.filter((us) => us !== 100).map((us) => `sampler@${us}`), "counts", "counter", "v8-sampler", "v8-counts"];
const MODES = process.env.BENCH_PROF_MODES ? process.env.BENCH_PROF_MODES.split(",") : ALL_MODES;

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
  const [childMode, us] = mode.split("@");
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_PROF_MODE: childMode, BENCH_PROF_INTERVAL: us ?? "100" };
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
  const subject = mode.startsWith("v8-") ? plain : profiled;
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

/** Sampler mode's accuracy at one interval: worst share error (points) on the 20/60/20 fixture, median of ACCURACY_RUNS. */
function accuracy(us: number, units: number): { worst: number; samples: number } {
  const dir = makeProject("tsprof-bench-prof-acc-");
  const src = path.join(BENCH, "workloads", "prof-split.ts");
  // Compiled as the loader does: under the source's own name, with an inline source map, so
  // V8's frames map back to the functions' spans.
  const module = path.join(dir, "prof-split.ts");
  fs.writeFileSync(module, ts.transpileModule(fs.readFileSync(src, "utf8"), {
    fileName: module,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, inlineSourceMap: true },
    transformers: { before: [createCallsTransformer(ts)] },
  }).outputText);
  const worst: number[] = [], samples: number[] = [];
  for (let i = 0; i < ACCURACY_RUNS; i++) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("TSPROF")) delete env[k];
    const r = spawnSync(process.execPath, [path.join(__dirname, "prof-accuracy-child.js"), module, String(us), String(units)], { cwd: dir, encoding: "utf8", env });
    if (r.status !== 0) throw new Error(`bench: accuracy at ${us} µs failed: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as { worst: number; samples: number };
    worst.push(j.worst);
    samples.push(j.samples);
  }
  return { worst: median(worst), samples: median(samples) };
}

const ACCURACY_RUNS = Number(process.env.BENCH_ACCURACY_RUNS ?? 5);
// Units of the fixture's work (a, b and c once each): about 20 ms and 200 ms on this machine.
const LENGTHS: Array<[string, number]> = [["short", 15], ["long", 150]];

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
  const acc: Record<string, Record<string, { worst: number; samples: number }>> = {};
  if (process.env.BENCH_ACCURACY !== "0") {
    for (const us of INTERVALS) {
      acc[us] = {};
      for (const [name, units] of LENGTHS) {
        process.stderr.write(`bench:prof: accuracy at ${us} µs (${name})…\n`);
        acc[us][name] = accuracy(us, units);
      }
    }
  }
  const label = (m: string) => (m === "calls" ? "clock" : m === "sampler" ? "sampler@100" : m);
  const cols = MODES.map((m) => [m, label(m)] as const);
  const lines = [
    `Function profile overhead: profiled / unprofiled time (median of ${PAIRS} alternating process pairs, ${RUNS} runs each after ${WARMUP} warm-up runs; node ${process.version})`,
    "",
    [`${"workload".padEnd(10)} ${"plain ms".padStart(9)}`, ...cols.map(([, l]) => l.padStart(Math.max(8, l.length))), "cProfile".padStart(9)].join(" "),
  ];
  for (const w of WORKLOADS) {
    const r = rows[w];
    const plainMs = r[MODES[0]].plainMs;
    lines.push([`${w.padEnd(10)} ${fmt(plainMs, 2).padStart(9)}`, ...cols.map(([m, l]) => `${fmt(r[m].ratio, 2)}x`.padStart(Math.max(8, l.length))), (cp?.[w] ? `${fmt(cp[w])}x` : "").padStart(9)].join(" "));
  }
  lines.push("", "clock: tsprof prof --mode clock; sampler@US: tsprof prof --mode sampler (default, 100 µs): counters + V8's sampler;",
    "counts: the counters alone; counter: one slot increment per call, nothing else (the floor of an exact count);",
    "v8-sampler / v8-counts: V8's CPU profiler / precise coverage call counts alone, on the plain code");
  if (!cp) lines.push("", "(cProfile column empty: python3 is not installed)");
  if (Object.keys(acc).length) {
    lines.push("", `Sampler accuracy: worst distance in points between sampled and clocked shares of three functions doing 1:3:1 (median of ${ACCURACY_RUNS} processes), and the time the samples gave them, in intervals`);
    lines.push(`${"interval".padEnd(10)} ${LENGTHS.map(([n, u]) => `${n} (${u} units)`.padStart(20)).join(" ")}`);
    for (const us of INTERVALS) {
      lines.push(`${`${us} µs`.padEnd(10)} ${LENGTHS.map(([n]) => `${fmt(acc[us][n].worst, 1)} pts, ${acc[us][n].samples}`.padStart(20)).join(" ")}`);
    }
  }
  lines.push("", "Targets: default mode ≤ 1.3x on every workload; ≤ cProfile's ratio on the Python ports");
  for (const m of ["sampler", "calls"].filter((x) => MODES.includes(x))) {
    for (const w of WORKLOADS) {
      const got = rows[w][m].ratio;
      const vs = cp?.[w] ? `; cProfile ${fmt(cp[w])}x: ${got <= cp[w] ? "met" : "NOT met"}` : "";
      lines.push(`  ${label(m)} ${w}: ${fmt(got, 2)}x ≤ 1.3x ${got <= 1.3 ? "met" : "NOT met"}${vs}`);
    }
  }
  lines.push("", `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(lines.join("\n") + "\n");
  fs.mkdirSync(path.join(BENCH, "results"), { recursive: true });
  fs.writeFileSync(path.join(BENCH, "results", "prof.json"), JSON.stringify({ node: process.version, date: new Date().toISOString(), pairs: PAIRS, runs: RUNS, warmup: WARMUP, rows, accuracy: acc, cProfile: cp ?? null }, null, 2) + "\n");
}

main();
