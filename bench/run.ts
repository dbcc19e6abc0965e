/*
 * `npm run bench`: what tsprof costs and how true its numbers are.
 *
 * Overhead: each workload is compiled twice (plain and instrumented); each variant is timed in its
 * own child process (see harness.ts for why), processes alternating A B, B A, …; the reported
 * figure is the median over process pairs of median(profiled) / median(plain). kernprof runs the
 * Python ports of five workloads (all but async) alternately in one process, when python3's line_profiler is installed.
 * Fidelity: per-line % Time against V8's CPU profiler on the unprofiled program (fidelity.ts).
 * mprof run's sampling cost: `bench/mprof.ts --short` (npm run bench:mprof for all of it).
 * Output: tables on stdout, bench/results/bench.json and bench/results/fidelity.json.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, makeProject, ROOT } from "../test/helpers";
import { formatFidelity, runFidelity, writeFidelity } from "./fidelity";

const BENCH = path.join(ROOT, "bench");
/** Process pairs per workload and mode; runs timed in each process; untimed warm-up runs. */
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);

export interface Mode {
  name: string;
  env: Record<string, string>;
}
const MODES: Mode[] = [
  { name: "exact", env: { TSPROF_TIMING: "exact" } },
  { name: "sampled", env: { TSPROF_TIMING: "sampled" } },
  { name: "v8", env: { TSPROF_TIMING: "v8" } },
  { name: "memory", env: { TSPROF_MEMORY: "1" } },
];

const WORKLOADS = ["tight", "strings", "fib", "alloc", "async", "classes"];
const TARGETS: Record<string, Record<string, number>> = { exact: { tight: 100, fib: 40, strings: 2.5 }, sampled: { strings: 1.3 } };

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function compileTo(dir: string, name: string, source: string, fileName: string): string {
  const out = path.join(dir, `${name}.js`);
  fs.writeFileSync(out, compile(source, fileName, { plain: name.startsWith("plain") }));
  return out;
}

function nodeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("TSPROF")) delete env[k];
  return { ...env, ...extra };
}

/** Median run time of one variant, in its own process. */
function timeVariant(dir: string, module: string, env: NodeJS.ProcessEnv): number {
  const r = spawnSync(process.execPath, [path.join(__dirname, "harness.js"), module, String(RUNS), String(WARMUP)], { cwd: dir, encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`bench: ${path.basename(module)} failed: ${r.stderr}`);
  return median((JSON.parse(r.stdout) as { times: number[] }).times);
}

export function overhead(workload: string, mode: Mode): { ratio: number; plainMs: number } {
  const dir = makeProject("tsprof-bench-");
  const src = path.join(BENCH, "workloads", `${workload}.ts`);
  const source = fs.readFileSync(src, "utf8");
  const plain = compileTo(dir, "plain", source, src);
  const prof = compileTo(dir, "profiled", source, src);
  const env = nodeEnv({ TSPROF_OUTPUT: path.join(dir, "out.lprof"), ...mode.env });
  const ratios: number[] = [], plains: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    // A B, B A, …: drift in the machine's speed weighs on both sides alike.
    const order = i % 2 === 0 ? [plain, prof] : [prof, plain];
    const [first, second] = order.map((m) => timeVariant(dir, m, env));
    const plainMs = order[0] === plain ? first : second;
    plains.push(plainMs);
    ratios.push((order[0] === prof ? first : second) / plainMs);
  }
  return { ratio: median(ratios), plainMs: median(plains) };
}

/** A Python line profiler's overhead on the ports (bench/python), when python3 has it installed. */
export function pythonOverhead(tool: "kernprof" | "memory_profiler", pairs: number): Record<string, number> | undefined {
  const module = tool === "kernprof" ? "line_profiler" : "memory_profiler";
  for (const py of ["python3", "/usr/bin/python3"]) {
    const probe = spawnSync(py, ["-c", `import ${module}`], { encoding: "utf8" });
    if (probe.status !== 0) continue;
    const r = spawnSync(py, [path.join(BENCH, "python", "overhead.py"), tool, String(pairs)], { encoding: "utf8" });
    if (r.status === 0) return JSON.parse(r.stdout) as Record<string, number>;
  }
  return undefined;
}

const fmt = (x: number | undefined, digits = 1) => (x === undefined ? "-" : x.toFixed(digits));

/** Each mode's overhead on each workload, with progress on stderr. */
export function overheadTable(modes: readonly Mode[], workloads: readonly string[]): Record<string, Record<string, { ratio: number; plainMs: number }>> {
  const rows: Record<string, Record<string, { ratio: number; plainMs: number }>> = {};
  for (const mode of modes) {
    rows[mode.name] = {};
    for (const w of workloads) {
      process.stderr.write(`bench: ${w} (${mode.name})…\n`);
      rows[mode.name][w] = overhead(w, mode);
    }
  }
  return rows;
}

function main(): void {
  const started = Date.now();
  const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString(), pairs: PAIRS };
  const kp = pythonOverhead("kernprof", PAIRS);
  const mp = pythonOverhead("memory_profiler", 3);
  const overheadRows = overheadTable(MODES, WORKLOADS);
  const fidelityResults = runFidelity();
  results.overhead = overheadRows;
  results.kernprof = kp ?? null;
  results.memory_profiler = mp ?? null;
  results.fidelity = fidelityResults;

  const lines: string[] = [];
  lines.push(`Overhead: profiled / unprofiled time (median of ${PAIRS} alternating process pairs, ${RUNS} runs each; node ${process.version})`, "");
  lines.push(`${"workload".padEnd(10)} ${"plain ms".padStart(9)} ${MODES.map((m) => m.name.padStart(9)).join(" ")} ${"kernprof".padStart(9)} ${"mem_prof".padStart(9)}`);
  for (const w of WORKLOADS) {
    const cells = MODES.map((m) => `${fmt(overheadRows[m.name][w].ratio)}x`.padStart(9)).join(" ");
    const py = (r?: Record<string, number>) => (r?.[w] ? `${fmt(r[w])}x` : "").padStart(9);
    lines.push(`${w.padEnd(10)} ${fmt(overheadRows[MODES[0].name][w].plainMs, 2).padStart(9)} ${cells} ${py(kp)} ${py(mp)}`);
  }
  if (!kp || !mp) lines.push("", "(python columns empty: apt-get install python3-line-profiler python3-memory-profiler)");
  lines.push("", "Targets:");
  for (const [mode, targets] of Object.entries(TARGETS)) {
    for (const [w, target] of Object.entries(targets)) {
      const got = overheadRows[mode]?.[w]?.ratio;
      lines.push(`  ${mode} ${w}: ${fmt(got)}x ≤ ${target}x ${got !== undefined && got <= target ? "met" : "NOT met"}`);
    }
  }
  // Relative targets: sampled and v8 vs kernprof (≤ kernprof on each, ≤ half on fib); memory ≤ memory_profiler / 50.
  const relative: [string, string, Record<string, number> | undefined, number][] = [
    ["sampled", "tight", kp, 1], ["sampled", "fib", kp, 0.5],
    ["v8", "tight", kp, 1], ["v8", "strings", kp, 1], ["v8", "fib", kp, 0.5],
    ["memory", "tight", mp, 1 / 50], ["memory", "strings", mp, 1 / 50], ["memory", "fib", mp, 1 / 50],
    ["memory", "alloc", mp, 1 / 50], ["memory", "classes", mp, 1 / 50],
  ];
  for (const [mode, w, ref, factor] of relative) {
    if (!ref?.[w]) continue;
    const got = overheadRows[mode][w].ratio, target = ref[w] * factor;
    lines.push(`  ${mode} ${w}: ${fmt(got)}x ≤ ${fmt(target)}x (${ref === kp ? "kernprof" : "memory_profiler"} × ${fmt(factor, 2)}) ${got <= target ? "met" : "NOT met"}`);
  }
  lines.push("", formatFidelity(fidelityResults).trimEnd());
  // mprof run's sampling cost, short (npm run bench:mprof has it all): six workloads, 0.1 s and 0.01 s measured directly, 40 rounds a kind, 80 for those still undecided (docs/mprof.md has its time).
  process.stderr.write("bench: mprof sampling (short)…\n");
  const mprof = spawnSync(process.execPath, [path.join(__dirname, "mprof.js"), "--short"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (mprof.status === 0) {
    lines.push("", ...mprof.stdout.trimEnd().split("\n"));
    results.mprof = JSON.parse(fs.readFileSync(path.join(BENCH, "results", "mprof-short.json"), "utf8"));
  } else {
    lines.push("", `mprof sampling: failed (${mprof.status})`);
  }
  // `tsprof run`'s warm start-up, short (5 rounds, no cold runs): `npm run bench:startup` has the rest.
  const startup = spawnSync(process.execPath, [path.join(__dirname, "startup.js")], { encoding: "utf8", env: { ...process.env, STARTUP_SHORT: "1" } });
  if (startup.status === 0) {
    lines.push("", ...startup.stdout.trimEnd().split("\n"));
    results.startup = JSON.parse(fs.readFileSync(path.join(BENCH, "results", "startup-short.json"), "utf8")) as unknown;
  } else {
    lines.push("", `start-up: failed (${startup.stderr.trim().split("\n").pop()})`);
  }
  lines.push("", `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(lines.join("\n") + "\n");
  fs.mkdirSync(path.join(BENCH, "results"), { recursive: true });
  fs.writeFileSync(path.join(BENCH, "results", "bench.json"), JSON.stringify(results, null, 2) + "\n");
  writeFidelity(fidelityResults);
}

// Imported by the focused benches (bench/memory.ts) for its measurements alone.
if (require.main === module) main();
