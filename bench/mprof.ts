/*
 * `npm run bench:mprof`: what `tsprof mprof run` costs the program it samples, on the bench
 * workloads, at 0.1 s and 0.01 s. Sampling: each workload's plain build runs in a child
 * (mprof-child.ts) whose heap sampler thread is alternately sampling and paused, block after
 * block, while this process reads the child's /proc/<pid>/statm every interval, as mprof run
 * does; the figure is the median over block pairs of mean(sampling) / mean(paused). One
 * process, because separate processes differed by ±40% on this shared machine, far more than
 * sampling costs. Brackets: the instrumented build under mprof's runtime mode against the plain
 * build, in alternating processes (harness.ts). Output: a table and bench/results/mprof.json.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startSampler } from "../loader/mprof-sampler";
import { compile, makeProject, ROOT } from "../test/helpers";

const BENCH = path.join(ROOT, "bench");
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const WORKLOADS = ["tight", "strings", "fib", "alloc", "async", "classes"];
const TARGET = 1.05;

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n: number, d = 2) => n.toFixed(d);

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("TSPROF")) delete env[k];
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

interface Variant {
  module: string;
  /** Instrumented build under mprof's runtime mode. */
  brackets?: boolean;
}

/** Median run time of one variant, in its own process. */
async function timeVariant(dir: string, v: Variant): Promise<number> {
  const scratch = fs.mkdtempSync(path.join(dir, "scratch-"));
  const env = cleanEnv(v.brackets ? { TSPROF_MPROF_DIR: scratch } : {});
  const child = spawn(process.execPath, [path.join(__dirname, "harness.js"), v.module, String(RUNS), String(WARMUP)], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout.on("data", (b) => (out += b));
  child.stderr.on("data", (b) => (err += b));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  fs.rmSync(scratch, { recursive: true, force: true });
  if (code !== 0) throw new Error(`bench:mprof: ${path.basename(v.module)} failed: ${err}`);
  return median((JSON.parse(out) as { times: number[] }).times);
}

/** Sampling's cost on one workload at `interval`: block-pair ratios from one child process. */
async function samplingRatio(dir: string, module: string, interval: number): Promise<{ ratio: number; plainMs: number }> {
  const scratch = fs.mkdtempSync(path.join(dir, "scratch-"));
  const env = cleanEnv({ TSPROF_MPROF_DIR: scratch, TSPROF_MPROF_INTERVAL: String(interval), TSPROF_MPROF_HEAP: "1" });
  const child = spawn(process.execPath, [path.join(__dirname, "mprof-child.js"), module, String(PAIRS * 4)], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  const sampler = startSampler(child.pid!, { interval, includeChildren: false, multiprocess: false, write: () => {} });
  let out = "", err = "";
  child.stdout.on("data", (b) => (out += b));
  child.stderr.on("data", (b) => (err += b));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  sampler.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
  if (code !== 0) throw new Error(`bench:mprof: ${path.basename(module)} failed: ${err}`);
  return { ratio: median((JSON.parse(out) as { ratios: number[] }).ratios), plainMs: NaN };
}

async function ratio(dir: string, bare: Variant, other: Variant): Promise<{ ratio: number; plainMs: number }> {
  const ratios: number[] = [], plains: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? [bare, other] : [other, bare];
    const times: number[] = [];
    for (const v of order) times.push(await timeVariant(dir, v));
    const plainMs = order[0] === bare ? times[0] : times[1];
    plains.push(plainMs);
    ratios.push((order[0] === bare ? times[1] : times[0]) / plainMs);
  }
  return { ratio: median(ratios), plainMs: median(plains) };
}

async function main(): Promise<void> {
  const started = Date.now();
  const rows: Record<string, Record<string, { ratio: number; plainMs: number }>> = {};
  for (const w of WORKLOADS) {
    const dir = makeProject("tsprof-bench-mprof-");
    const src = path.join(BENCH, "workloads", `${w}.ts`);
    const source = fs.readFileSync(src, "utf8");
    const plain = path.join(dir, "plain.js");
    const prof = path.join(dir, "profiled.js");
    fs.writeFileSync(plain, compile(source, src, { plain: true }));
    fs.writeFileSync(prof, compile(source, src));
    const bare: Variant = { module: plain };
    rows[w] = {};
    for (const interval of [0.1, 0.01]) {
      process.stderr.write(`bench:mprof: ${w} sampled every ${interval} s…\n`);
      rows[w][`${interval}`] = await samplingRatio(dir, plain, interval);
    }
    process.stderr.write(`bench:mprof: ${w} with brackets…\n`);
    rows[w].brackets = await ratio(dir, bare, { module: prof, brackets: true });
    rows[w]["0.1"].plainMs = rows[w]["0.01"].plainMs = rows[w].brackets.plainMs;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const lines = [`mprof run's cost on the program: time with / without (node ${process.version})`];
  lines.push(`sampling: median of ${PAIRS * 4} block pairs (mean run time each) in one process; brackets: median of ${PAIRS} alternating process pairs, ${RUNS} runs each`, "");
  lines.push(`${"workload".padEnd(10)} ${"bare ms".padStart(9)} ${"T=0.1s".padStart(8)} ${"T=0.01s".padStart(8)} ${"brackets".padStart(9)}`);
  for (const w of WORKLOADS) {
    const r = rows[w];
    lines.push(`${w.padEnd(10)} ${fmt(r["0.1"].plainMs).padStart(9)} ${`${fmt(r["0.1"].ratio)}x`.padStart(8)} ${`${fmt(r["0.01"].ratio)}x`.padStart(8)} ${`${fmt(r.brackets.ratio)}x`.padStart(9)}`);
  }
  lines.push("", `Target: sampling ≤ ${TARGET}x`);
  for (const interval of ["0.1", "0.01"]) {
    const worst = Math.max(...WORKLOADS.map((w) => rows[w][interval].ratio));
    lines.push(`  every ${interval} s: worst ${fmt(worst)}x ${worst <= TARGET ? "met" : "NOT met"}`);
  }
  lines.push("", `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(lines.join("\n") + "\n");
  fs.mkdirSync(path.join(BENCH, "results"), { recursive: true });
  fs.writeFileSync(path.join(BENCH, "results", "mprof.json"), JSON.stringify({ node: process.version, date: new Date().toISOString(), pairs: PAIRS, runs: RUNS, rows }, null, 2) + "\n");
}

void main();
