/*
 * `npm run bench:mprof`: what `tsprof mprof run` costs the program it samples, on the bench
 * workloads, at 0.1 s and 0.01 s. Each workload's plain build is timed in its own process
 * (harness.ts), alternately bare and sampled as mprof run samples it: this process reads the
 * child's /proc/<pid>/statm every interval, and the child runs the heap sampler thread
 * (mprof-child.ts). The figure is the median over process pairs of median(sampled) /
 * median(bare). Brackets are measured apart: the instrumented build under mprof's runtime mode,
 * against the plain build, at 0.1 s. Output: a table and bench/results/mprof.json.
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
  /** Sampling interval in seconds, or none (bare). */
  interval?: number;
  /** Instrumented build under mprof's runtime mode. */
  brackets?: boolean;
}

/** Median run time of one variant, in its own process. */
async function timeVariant(dir: string, v: Variant): Promise<number> {
  const scratch = fs.mkdtempSync(path.join(dir, "scratch-"));
  const sampled = v.interval !== undefined;
  const env = cleanEnv(sampled || v.brackets
    ? { TSPROF_MPROF_DIR: scratch, TSPROF_MPROF_INTERVAL: String(v.interval ?? 0.1), ...(sampled ? { TSPROF_MPROF_HEAP: "1" } : {}) }
    : {});
  const script = path.join(__dirname, sampled ? "mprof-child.js" : "harness.js");
  const child = spawn(process.execPath, [script, v.module, String(RUNS), String(WARMUP)], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  const sampler = sampled ? startSampler(child.pid!, { interval: v.interval!, includeChildren: false, multiprocess: false, write: () => {} }) : undefined;
  let out = "", err = "";
  child.stdout.on("data", (b) => (out += b));
  child.stderr.on("data", (b) => (err += b));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  sampler?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
  if (code !== 0) throw new Error(`bench:mprof: ${path.basename(v.module)} failed: ${err}`);
  return median((JSON.parse(out) as { times: number[] }).times);
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
      rows[w][`${interval}`] = await ratio(dir, bare, { module: plain, interval });
    }
    process.stderr.write(`bench:mprof: ${w} with brackets…\n`);
    rows[w].brackets = await ratio(dir, bare, { module: prof, brackets: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const lines = [`mprof run's cost: sampled / bare time (median of ${PAIRS} alternating process pairs, ${RUNS} runs each; node ${process.version})`, ""];
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
