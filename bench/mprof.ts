/*
 * `npm run bench:mprof`: what `tsprof mprof run` costs the program it samples, on the bench
 * workloads, every 0.1 s and every 0.01 s, measured directly, each decided against the target
 * (≤ 1.05x) or said to be undecided (`--short`, for `npm run bench`: the same six workloads and
 * two intervals, fewer rounds).
 *
 * Sampling: each workload's plain build runs in one child (mprof-child.ts) whose heap sampler
 * thread is paused, sampling every 0.1 s or every 0.01 s, in blocks of the same work, every
 * sampled block between two paused ones, while this process reads the child's /proc/<pid>/statm
 * every 0.01 s throughout, as mprof run does. One process, because separate processes differed by
 * ±40% on this shared machine, far more than sampling costs. The kinds' order in a round and a few
 * untimed runs before it are drawn at random (a fixed seed): a program's collections keep a
 * rhythm of their own, and a fixed order let it fall on the same places of every round.
 *
 * What the ratio means: the target is on the main thread's CPU time for the same work — what
 * sampling takes from the program's own thread: the inspector's interrupts and what they do to its
 * caches. The sampler thread's own CPU and tsprof's statm reads run on other threads and
 * processes; they are printed apart, in % of a core. Wall time is printed too: on a loaded
 * machine it mostly measures the wait for a core.
 *
 * The verdict's figure: Σ sampled / Σ paused neighbours of the main thread's CPU over the rounds,
 * each block's CPU first adjusted for the collections that began in it (how many minor, major and
 * incremental-marking ones, against the paused blocks' mean, at the cost per collection fitted on
 * the paused blocks), with a bootstrap interval over the rounds (the fit redone in each
 * resampling). Adaptive: after each look (40 and 80 rounds short; 100, 200 and 300 full) the kinds
 * already decided stop and the others go on, to the last look at most; every look's interval is at
 * 1 − 5%/looks (Bonferroni), so the chance that any look of a cell is wrong stays within 5%.
 * The full run also has `aa` (a paused block placed as a sampled one: the A/A check), and in every
 * third round of the first look: every 0.01 s as the sampler asked before (the docs' before/after),
 * every 1 ms (the main thread's CPU per question), and the instrumented build under mprof's runtime
 * mode against the plain build (the brackets). Output: tables and bench/results/mprof.json
 * (mprof-short.json with --short), and the same as mprof[-short]-node<major>.json.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { startSampler } from "../loader/mprof-sampler";
import { cleanEnv, compile, makeProject, ROOT } from "../test/helpers";
import type { RawBlock } from "./mprof-child";

const BENCH = path.join(ROOT, "bench");
const WORKLOADS = ["tight", "strings", "fib", "alloc", "async", "classes"];
const TARGET = 1.05;

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const fmt = (n: number, d = 2) => n.toFixed(d);

/** A set of per-round ratios: median, quartiles, and a 95% confidence interval of the median. */
export interface Spread {
  median: number;
  p25: number;
  p75: number;
  /** Order statistics x(k), x(n-k+1) around the median: distribution-free, ≥ 95% coverage. */
  ciLow: number;
  ciHigh: number;
  n: number;
}

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (i - lo);
}

export function spread(xs: number[]): Spread {
  const s = xs.slice().sort((a, b) => a - b);
  const n = s.length;
  // The largest k with P(Binomial(n, 1/2) ≤ k - 1) ≤ 2.5%.
  let k = 0, cum = 0, choose = 1;
  for (let i = 0; i < n; i++) {
    cum += choose / 2 ** n;
    if (cum > 0.025) break;
    k = i + 1;
    choose = (choose * (n - i)) / (i + 1);
  }
  return {
    median: n ? median(s) : NaN, p25: n ? quantile(s, 0.25) : NaN, p75: n ? quantile(s, 0.75) : NaN,
    ciLow: k > 0 ? s[k - 1] : -Infinity, ciHigh: k > 0 ? s[n - k] : Infinity, n,
  };
}

/** A seeded generator (mulberry32): a run's draws and resamplings can be made again. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The collections a block's CPU is adjusted for: minor, major, incremental marking (RawBlock.gc's first three). */
const COVARIATES = 3;

/**
 * The main thread's CPU per collection of each kind, fitted on paused blocks by least squares
 * (centred, with a ridge of 1% of each column's own sum of squares: major and incremental
 * collections mostly come together, and alone their columns are nearly the same). Columns that do
 * not vary get no weight. Returns the weights and the paused blocks' mean counts.
 */
export function collectionCost(paused: RawBlock[]): { beta: number[]; mean: number[] } {
  const n = paused.length;
  const mean = Array.from({ length: COVARIATES }, (_, j) => sum(paused.map((b) => b.gc[j])) / Math.max(1, n));
  const cpuMean = sum(paused.map((b) => b.cpuMs)) / Math.max(1, n);
  const A = Array.from({ length: COVARIATES }, () => new Array<number>(COVARIATES).fill(0));
  const y = new Array<number>(COVARIATES).fill(0);
  for (const b of paused) {
    const x = b.gc.slice(0, COVARIATES).map((v, j) => v - mean[j]);
    for (let j = 0; j < COVARIATES; j++) {
      y[j] += x[j] * (b.cpuMs - cpuMean);
      for (let k = 0; k < COVARIATES; k++) A[j][k] += x[j] * x[k];
    }
  }
  const used = A.map((row, j) => row[j] > 1e-9);
  for (let j = 0; j < COVARIATES; j++) {
    if (!used[j]) {
      A[j].fill(0);
      for (let k = 0; k < COVARIATES; k++) A[k][j] = 0;
      A[j][j] = 1;
      y[j] = 0;
    } else A[j][j] *= 1.01;
  }
  // Gaussian elimination, pivoting on the largest entry of each column.
  for (let c = 0; c < COVARIATES; c++) {
    let m = c;
    for (let i = c + 1; i < COVARIATES; i++) if (Math.abs(A[i][c]) > Math.abs(A[m][c])) m = i;
    [A[c], A[m]] = [A[m], A[c]];
    [y[c], y[m]] = [y[m], y[c]];
    for (let i = 0; i < COVARIATES; i++) {
      if (i === c) continue;
      const q = A[i][c] / A[c][c];
      for (let k = c; k < COVARIATES; k++) A[i][k] -= q * A[c][k];
      y[i] -= q * y[c];
    }
  }
  return { beta: y.map((v, j) => v / A[j][j]), mean };
}

/** One round's blocks, in order: paused, kind, paused, kind, …, paused. */
export type Round = RawBlock[];

/** Per kind: the sampled blocks' figures and their paused neighbours' mean, one pair a round. */
interface Pairs {
  on: RawBlock[];
  around: { cpuMs: number; wallMs: number; processMs: number; adjusted: number }[];
  adjusted: number[];
}

function pairs(rounds: Round[], fit: { beta: number[]; mean: number[] }): Record<string, Pairs> {
  const adjust = (b: RawBlock) => b.cpuMs - sum(fit.beta.map((w, j) => w * (b.gc[j] - fit.mean[j])));
  const out: Record<string, Pairs> = {};
  for (const blocks of rounds) {
    for (let i = 1; i < blocks.length; i += 2) {
      const b = blocks[i], l = blocks[i - 1], r = blocks[i + 1];
      const p = (out[b.kind] ??= { on: [], around: [], adjusted: [] });
      p.on.push(b);
      p.adjusted.push(b.kind === "brackets" ? b.cpuMs : adjust(b));
      p.around.push({ cpuMs: (l.cpuMs + r.cpuMs) / 2, wallMs: (l.wallMs + r.wallMs) / 2, processMs: (l.processMs + r.processMs) / 2, adjusted: (adjust(l) + adjust(r)) / 2 });
    }
  }
  return out;
}

const paused = (rounds: Round[]) => rounds.flatMap((r) => r.filter((b) => b.kind === "off"));

/** A total ratio and its bootstrap interval. */
export interface Total {
  ratio: number;
  ciLow: number;
  ciHigh: number;
  /** The interval's level (0.95, or 1 − 0.05/looks for the verdict's). */
  level: number;
  /** Rounds the kind was measured in. */
  n: number;
}

/**
 * Σ sampled / Σ paused neighbours for each kind, raw and adjusted for collections, with percentile
 * intervals at `level` from `resamples` bootstrap resamplings of the rounds, the collections' cost
 * fitted again in each (a fixed seed: a run's figures can be recomputed from its rounds).
 */
export function totals(rounds: Round[], kinds: string[], level: number, resamples = 2000): Record<string, { raw: Total; adjusted: Total }> {
  const ratio = (rs: Round[]) => {
    const p = pairs(rs, collectionCost(paused(rs)));
    return Object.fromEntries(kinds.map((k) => {
      const c = p[k];
      return [k, c ? [sum(c.on.map((b) => b.cpuMs)) / sum(c.around.map((a) => a.cpuMs)), sum(c.adjusted) / sum(c.around.map((a) => a.adjusted))] : [NaN, NaN]];
    }));
  };
  const point = ratio(rounds);
  const rand = seeded(0x9e3779b9);
  const boots: Record<string, [number[], number[]]> = Object.fromEntries(kinds.map((k) => [k, [[], []]]));
  for (let b = 0; b < resamples; b++) {
    const rs: Round[] = [];
    for (let i = 0; i < rounds.length; i++) rs.push(rounds[Math.floor(rand() * rounds.length)]);
    const r = ratio(rs);
    for (const k of kinds) {
      if (Number.isFinite(r[k][0])) boots[k][0].push(r[k][0]);
      if (Number.isFinite(r[k][1])) boots[k][1].push(r[k][1]);
    }
  }
  const tail = (1 - level) / 2;
  const interval = (xs: number[], at: number, n: number): Total => {
    const s = xs.sort((a, b) => a - b);
    return { ratio: at, ciLow: s[Math.floor(tail * (s.length - 1))] ?? NaN, ciHigh: s[Math.ceil((1 - tail) * (s.length - 1))] ?? NaN, level, n };
  };
  const count = (k: string) => rounds.filter((r) => r.some((b) => b.kind === k)).length;
  return Object.fromEntries(kinds.map((k) => [k, { raw: interval(boots[k][0], point[k][0], count(k)), adjusted: interval(boots[k][1], point[k][1], count(k)) }]));
}

type Verdict = "met" | "NOT met" | "not shown";
/** From the interval, not the ratio alone: noise cannot pass for a result. */
const verdict = (s: Pick<Total, "ciLow" | "ciHigh">): Verdict => (s.ciHigh <= TARGET ? "met" : s.ciLow > TARGET ? "NOT met" : "not shown");

export interface KindResult {
  /** The verdict's figure: collections adjusted, at the verdict's level. */
  total: Total;
  /** Not adjusted for collections, at 95%. */
  raw: Total;
  /** Adjusted, at 95% (comparable across runs with other looks). */
  total95: Total;
  verdict: Verdict;
  /** At which look (its rounds) the kind was decided, or the last one's. */
  decidedAt: number;
  cpu: Spread; wall: Spread; process: Spread;
  /** The sampler thread's CPU (with V8's helper threads'), beyond the paused blocks', % of a core. */
  samplerCore: number;
  samplesPerSecond: number;
  /** Questions per ms of the program's CPU at this interval. */
  samplesPerCpuMs: number;
  /** 1 + cost × samplesPerCpuMs, from the cost per question measured every 1 ms (full runs). */
  derived?: { ratio: number; low: number; high: number };
}

export interface WorkloadResult {
  blockMs: number;
  runsPerBlock: number;
  plainMs: number;
  plainCpuMs: number;
  rounds: number;
  seconds: number;
  /** The child's CPU time, all threads: about its wall time on an idle machine. */
  childCpuSeconds: number;
  /** Collections per paused block (minor, major, incremental) and the fitted main-thread ms per collection. */
  collections: { perBlock: number[]; msEach: number[] };
  /** tsprof's own process reading /proc/<pid>/statm every 0.01 s throughout: % of one core. */
  launcherCore: number;
  byKind: Record<string, KindResult>;
  brackets?: { cpu: Spread; wall: Spread };
  /** Main-thread CPU per question, µs, from the blocks sampled every 1 ms. */
  sampleCostUs?: Spread;
}

interface Plan {
  /** Rounds at which the intervals are looked at; the last is the most a kind gets. */
  looks: number[];
  /** The kinds decided on, each until its verdict is met or NOT met. */
  decide: string[];
  /** Kinds carried along while any decided kind still runs (the A/A check). */
  along: string[];
  /** Kinds in every third round of the first look. */
  extra: string[];
}

/** Sampling's cost on one workload, from one child process (mprof-child.ts), adaptively. */
export async function sampling(dir: string, module: string, blockMs: number, plan: Plan, profiled?: string, log: (s: string) => void = () => {}): Promise<WorkloadResult & { raw: Round[] }> {
  const scratch = fs.mkdtempSync(path.join(dir, "scratch-"));
  const env = cleanEnv({ TSPROF_MPROF_DIR: scratch, TSPROF_MPROF_INTERVAL: "0.01", TSPROF_MPROF_HEAP: "1" });
  const child = spawn(process.execPath, [path.join(__dirname, "mprof-child.js"), module, String(blockMs), ...(profiled ? [profiled] : [])], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
  // As mprof run: the RSS read from this process, here every 0.01 s on both sides of each ratio.
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  const sampler = startSampler(child.pid!, { interval: 0.01, includeChildren: false, multiprocess: false, write: () => {} });
  let err = "", buf = "";
  child.stderr.on("data", (b) => (err += b));
  const messages: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  child.stdout.on("data", (b) => {
    buf += b;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      messages.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
    wake?.();
  });
  let exited = false;
  const exit = new Promise<number | null>((r) => child.on("exit", (c) => {
    exited = true;
    wake?.();
    r(c);
  }));
  const next = async (): Promise<Record<string, unknown>> => {
    while (!messages.length) {
      if (exited) throw new Error(`bench:mprof: ${path.basename(module)} failed: ${err}`);
      await new Promise<void>((r) => (wake = r));
    }
    return messages.shift()!;
  };
  const ready = (await next()) as { runsPerBlock: number; profiledRunsPerBlock: number };
  const n = ready.runsPerBlock, np = ready.profiledRunsPerBlock;
  const rand = seeded(0x5eed ^ blockMs);
  const shuffle = <T>(xs: T[]) => {
    const a = xs.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };
  const level = 1 - 0.05 / plan.looks.length;
  const rounds: Round[] = [];
  let open = plan.decide.slice();
  const decidedAt: Record<string, number> = {};
  /** Each decided kind's total at the look that decided it (later looks refit the collections' cost on more rounds). */
  const final: Record<string, Total> = {};
  let judged: ReturnType<typeof totals> = {};
  /** This process's CPU on its own figures, left out of what its statm reads cost (launcherCore). */
  let analysisUs = 0;
  for (const look of plan.looks) {
    const batch: { kinds: string[]; spacer: number }[] = [];
    for (let r = rounds.length; r < look; r++) {
      const kinds = [...open, ...plan.along, ...(look === plan.looks[0] && r % 3 === 0 ? plan.extra : [])];
      batch.push({ kinds: shuffle(kinds), spacer: Math.floor(rand() * n) });
    }
    // In batches of 20 rounds: the child turns its event loop between batches only.
    for (let i = 0; i < batch.length; i += 20) {
      child.stdin.write(JSON.stringify({ rounds: batch.slice(i, i + 20) }) + "\n");
      for (;;) {
        const m = await next();
        if (m.blocks) rounds.push(m.blocks as Round);
        else if (m.done !== undefined) break;
      }
    }
    const a0 = process.cpuUsage();
    judged = totals(rounds, plan.decide, level);
    const a = process.cpuUsage(a0);
    analysisUs += a.user + a.system;
    const still = open.filter((k) => verdict(judged[k].adjusted) === "not shown");
    for (const k of open) {
      final[k] = judged[k].adjusted;
      if (!still.includes(k)) decidedAt[k] = look;
    }
    log(`${look} rounds: ${plan.decide.map((k) => `${k} s ${fmt(judged[k].adjusted.ratio, 3)}x [${fmt(judged[k].adjusted.ciLow, 3)}–${fmt(judged[k].adjusted.ciHigh, 3)}] ${verdict(judged[k].adjusted)}`).join(", ")}`);
    open = still;
    if (!open.length) break;
  }
  for (const k of open) decidedAt[k] = plan.looks[plan.looks.length - 1];
  // The child's CPU time, every thread (/proc/<pid>/stat: utime, stime, in clock ticks of 10 ms):
  // about what the workload takes on an idle machine, where its wall time would be the same.
  let childCpuSeconds = NaN;
  try {
    const stat = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    childCpuSeconds = (Number(f[11]) + Number(f[12])) / 100;
  } catch {}
  child.stdin.write('{"stop":true}\n');
  for (;;) if ((await next()).end) break;
  const code = await exit;
  sampler.stop();
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const launcherCore = (100 * (used.user + used.system - analysisUs)) / 1000 / (seconds * 1000);
  fs.rmSync(scratch, { recursive: true, force: true });
  if (code !== 0) throw new Error(`bench:mprof: ${path.basename(module)} failed: ${err}`);

  const fit = collectionCost(paused(rounds));
  const p = pairs(rounds, fit);
  const all = [...plan.decide, ...plan.along, ...plan.extra.filter((k) => k !== "brackets")];
  const at95 = totals(rounds, all, 0.95);
  const fast = p.fast;
  const cost = fast ? spread(fast.on.map((b, i) => (1000 * (fast.adjusted[i] - fast.around[i].adjusted)) / Math.max(1, b.samples))) : undefined;
  const byKind: Record<string, KindResult> = {};
  for (const k of all) {
    const c = p[k];
    const others = (b: { processMs: number; cpuMs: number; wallMs: number }) => (b.processMs - b.cpuMs) / b.wallMs;
    const rate = sum(c.on.map((b) => b.samples)) / sum(c.on.map((b) => b.cpuMs));
    const total = final[k] ?? at95[k].adjusted;
    byKind[k] = {
      total, raw: at95[k].raw, total95: at95[k].adjusted, verdict: verdict(total), decidedAt: decidedAt[k] ?? rounds.length,
      cpu: spread(c.adjusted.map((v, i) => v / c.around[i].adjusted)),
      wall: spread(c.on.map((b, i) => b.wallMs / c.around[i].wallMs)),
      process: spread(c.on.map((b, i) => b.processMs / c.around[i].processMs)),
      samplerCore: median(c.on.map((b, i) => 100 * (others(b) - others(c.around[i])))),
      samplesPerSecond: sum(c.on.map((b) => b.samples)) / (sum(c.on.map((b) => b.wallMs)) / 1000),
      samplesPerCpuMs: rate,
      ...(cost ? { derived: { ratio: 1 + (cost.median / 1000) * rate, low: 1 + (cost.ciLow / 1000) * rate, high: 1 + (cost.ciHigh / 1000) * rate } } : {}),
    };
  }
  const off = paused(rounds);
  const b = p.brackets;
  return {
    blockMs, runsPerBlock: n, rounds: rounds.length, seconds, childCpuSeconds, launcherCore, byKind,
    plainMs: median(off.map((x) => x.wallMs / n)), plainCpuMs: median(off.map((x) => x.cpuMs / n)),
    collections: { perBlock: fit.mean, msEach: fit.beta },
    ...(cost ? { sampleCostUs: cost } : {}),
    ...(b ? { brackets: { cpu: spread(b.on.map((x, i) => x.cpuMs / np / (b.around[i].cpuMs / n))), wall: spread(b.on.map((x, i) => x.wallMs / np / (b.around[i].wallMs / n))) } } : {}),
    raw: rounds,
  };
}

const SHORT = process.argv.includes("--short");
/**
 * Looks (rounds) and the length of one block in ms of main-thread CPU. The ratios' spread hardly
 * depends on the block's length (A/A, paused against paused, at a load of 14-23: a robust spread
 * of 3-7% for blocks of 3 to 50 ms), so short blocks and many rounds.
 */
const LOOKS = (process.env.BENCH_MPROF_LOOKS ?? (SHORT ? "40,80" : "100,200,300")).split(",").map(Number);
const BLOCK_MS = Number(process.env.BENCH_MPROF_BLOCK_MS ?? 10);
/**
 * The allocating workloads' blocks are ten times longer: a block of one or two of their runs
 * (strings 18 ms, alloc 10 ms a run) holds a collection or not, and at 10 ms their total ratios'
 * intervals stayed wider than ±5% over 100 rounds (alloc 0.903–1.110x every 0.1 s).
 */
const GC_BLOCK_MS = Number(process.env.BENCH_MPROF_GC_BLOCK_MS ?? 100);
const GC_WORKLOADS = ["strings", "alloc"];
const blockMsOf = (w: string) => (process.env.BENCH_MPROF_BLOCK_MS === undefined && GC_WORKLOADS.includes(w) ? GC_BLOCK_MS : BLOCK_MS);

const ci = (s: Total | Spread, d = 3) => `${fmt("ratio" in s ? s.ratio : s.median, d)}x [${fmt(s.ciLow, d)}–${fmt(s.ciHigh, d)}]`;

async function main(): Promise<void> {
  const started = Date.now();
  const workloads = process.env.BENCH_MPROF_WORKLOADS?.split(",") ?? WORKLOADS;
  const aa = process.env.BENCH_MPROF_AA === undefined ? !SHORT : process.env.BENCH_MPROF_AA === "1";
  const plan: Plan = { looks: LOOKS, decide: ["0.1", "0.01"], along: aa ? ["aa"] : [], extra: SHORT ? [] : ["0.01-before", "fast", "brackets"] };
  const shown = [...plan.decide, ...plan.along, ...plan.extra.filter((k) => k !== "brackets")];
  const label = (i: string) => (i === "0.01-before" ? "0.01 s, before" : i === "aa" ? "A/A (paused)" : i === "fast" ? "every 1 ms" : `every ${i} s`);
  const level = 1 - 0.05 / LOOKS.length;
  const rows: Record<string, WorkloadResult> = {};
  const raw: Record<string, Round[]> = {};
  for (const w of workloads) {
    const dir = makeProject("tsprof-bench-mprof-");
    const src = path.join(BENCH, "workloads", `${w}.ts`);
    const source = fs.readFileSync(src, "utf8");
    const plain = path.join(dir, "plain.js");
    const prof = path.join(dir, "profiled.js");
    fs.writeFileSync(plain, compile(source, src, { plain: true }));
    fs.writeFileSync(prof, compile(source, src));
    process.stderr.write(`bench:mprof: ${w}: up to ${LOOKS[LOOKS.length - 1]} rounds (looks at ${LOOKS.join(", ")}), blocks of ${blockMsOf(w)} ms: ${shown.map(label).join(", ")}${SHORT ? "" : ", brackets"}…\n`);
    const r = await sampling(dir, plain, blockMsOf(w), plan, SHORT ? undefined : prof, (s) => process.stderr.write(`bench:mprof:   ${w}: ${s}\n`));
    raw[w] = r.raw;
    const { raw: _, ...rest } = r;
    rows[w] = rest;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const lines = [`mprof run's cost on the program (node ${process.version}${SHORT ? ", short" : ""}): heap sampler sampling / paused, the same work in one process`];
  lines.push(`each sampled block between two paused ones, in random order; blocks of ≈${BLOCK_MS} ms of main-thread CPU (${workloads.filter((w) => rows[w].blockMs !== BLOCK_MS).map((w) => `${w}: ${rows[w].blockMs} ms`).join(", ") || "every workload"}); looks at ${LOOKS.join(", ")} rounds, a kind stops once decided`);
  const table = (title: string, kinds: string[], cell: (r: WorkloadResult, k: string) => string, head: string, first: (r: WorkloadResult) => string) => {
    lines.push("", title);
    lines.push(`${"workload".padEnd(10)} ${head.padStart(10)} ${kinds.map((i) => label(i).padStart(34)).join(" ")}`);
    for (const w of workloads) lines.push(`${w.padEnd(10)} ${first(rows[w]).padStart(10)} ${kinds.map((k) => cell(rows[w], k).padStart(34)).join(" ")}`);
  };
  const cpuRun = (r: WorkloadResult) => fmt(r.plainCpuMs, 3);
  const all = workloads.map((w) => rows[w]);
  table(`main-thread CPU, the verdict's figure: Σ sampled / Σ paused neighbours, adjusted for collections [bootstrap ${fmt(100 * level, 2)}% CI] (rounds)`, plan.decide,
    (r, k) => `${ci(r.byKind[k].total)} (${r.byKind[k].total.n})`, "cpu ms/run", cpuRun);
  table("main-thread CPU, the same adjusted total at 95% (every kind measured)", shown, (r, k) => ci(r.byKind[k].total95), "cpu ms/run", cpuRun);
  table("main-thread CPU, not adjusted for collections [bootstrap 95% CI]", shown, (r, k) => ci(r.byKind[k].raw), "cpu ms/run", cpuRun);
  table("wall time, median of the per-round ratios [its 95% CI] (includes the wait for a core)", shown, (r, k) => ci(r.byKind[k].wall), "wall ms/run", (r) => fmt(r.plainMs, 3));
  table("process CPU time, median of the per-round ratios (every thread of the program, the sampler's included)", shown, (r, k) => ci(r.byKind[k].process), "cpu ms/run", cpuRun);
  lines.push("", `collections per paused block (minor/major/incremental) and the fitted main-thread ms each: ${workloads.map((w) => `${w} ${rows[w].collections.perBlock.map((x) => fmt(x, 1)).join("/")} (${rows[w].collections.msEach.map((x) => fmt(x, 2)).join("/")})`).join(", ")}`);
  lines.push(`runs per block: ${workloads.map((w) => `${w} ${rows[w].runsPerBlock}`).join(", ")}; rounds: ${workloads.map((w) => `${w} ${rows[w].rounds}`).join(", ")}`);
  lines.push(`seconds, wall (the child's CPU, about an idle machine's wall): ${workloads.map((w) => `${w} ${fmt(rows[w].seconds, 0)} (${fmt(rows[w].childCpuSeconds, 0)})`).join(", ")}; total ${fmt(sum(all.map((r) => r.seconds)), 0)} (${fmt(sum(all.map((r) => r.childCpuSeconds)), 0)})`);
  lines.push(`sampler thread: ${plan.decide.map((i) => `${fmt(median(all.map((r) => r.byKind[i].samplerCore)), 2)}% of a core ${label(i)}`).join(", ")}; `
    + `tsprof's statm reads every 0.01 s: ${fmt(median(all.map((r) => r.launcherCore)), 2)}% of a core (medians over workloads)`);
  lines.push(`questions per ms of the program's CPU: ${workloads.map((w) => `${w} ${shown.filter((k) => k !== "aa").map((i) => fmt(rows[w].byKind[i].samplesPerCpuMs, 3)).join("/")}`).join(", ")} (${shown.filter((k) => k !== "aa").map(label).join(" / ")})`);
  if (!SHORT) {
    lines.push("", "brackets: the instrumented build in mprof's runtime mode / the plain build, per run (median [95% CI])");
    lines.push(`${"workload".padEnd(10)} ${"main-thread CPU".padStart(26)} ${"wall".padStart(26)}`);
    for (const w of workloads) {
      const b = rows[w].brackets!;
      lines.push(`${w.padEnd(10)} ${ci(b.cpu, 2).padStart(26)} ${ci(b.wall, 2).padStart(26)}`);
    }
    lines.push("", "main-thread CPU per question, measured sampling every 1 ms (median [95% CI] µs), and the ratio it implies at each interval");
    const implied = (d: { ratio: number; low: number; high: number }) => `${fmt(d.ratio, 4)}x [${fmt(d.low, 4)}–${fmt(d.high, 4)}]`;
    lines.push(`${"workload".padEnd(10)} ${"µs/question".padStart(18)} ${plan.decide.map((i) => label(i).padStart(26)).join(" ")}`);
    for (const w of workloads) {
      const r = rows[w], c = r.sampleCostUs!;
      lines.push(`${w.padEnd(10)} ${`${fmt(c.median, 0)} [${fmt(c.ciLow, 0)}–${fmt(c.ciHigh, 0)}]`.padStart(18)} ${plan.decide.map((i) => implied(r.byKind[i].derived!).padStart(26)).join(" ")}`);
    }
    lines.push("(implied: 1 + cost × questions per ms of the program's CPU at that interval)");
  }
  lines.push("", `Target: main-thread CPU ≤ ${TARGET}x, measured directly, judged by the ${fmt(100 * level, 2)}% interval of the adjusted total (met: all of it ≤ ${TARGET}x; NOT met: all above; else not shown)`);
  const verdicts: Record<string, Record<string, Verdict>> = {};
  for (const i of plan.decide) {
    verdicts[i] = {};
    for (const w of workloads) verdicts[i][w] = rows[w].byKind[i].verdict;
    const counts = (["met", "NOT met", "not shown"] as Verdict[]).map((v) => `${Object.values(verdicts[i]).filter((x) => x === v).length} ${v}`).join(", ");
    lines.push(`  ${label(i)}: ${counts}: ${workloads.map((w) => `${w} ${ci(rows[w].byKind[i].total)} ${verdicts[i][w]} (${rows[w].byKind[i].total.n} rounds)`).join("; ")}`);
  }
  if (aa) lines.push(`  A/A (paused as sampled, 95%): ${workloads.map((w) => `${w} ${ci(rows[w].byKind.aa.total95)}${rows[w].byKind.aa.total95.ciLow <= 1 && rows[w].byKind.aa.total95.ciHigh >= 1 ? "" : " (1 outside)"}`).join("; ")}`);
  lines.push("", `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(lines.join("\n") + "\n");
  fs.mkdirSync(path.join(BENCH, "results"), { recursive: true });
  const result = { node: process.version, date: new Date().toISOString(), looks: LOOKS, level, blockMs: BLOCK_MS, target: TARGET, verdicts, rows };
  const name = SHORT ? "mprof-short" : "mprof";
  // And one per node major version: the target is decided on each.
  for (const file of [`${name}.json`, `${name}-node${process.versions.node.split(".")[0]}.json`]) fs.writeFileSync(path.join(BENCH, "results", file), JSON.stringify(result, null, 2) + "\n");
  // Every block's raw figures, so the totals can be recomputed (or computed otherwise) later.
  if (process.env.BENCH_MPROF_RAW) fs.writeFileSync(process.env.BENCH_MPROF_RAW, JSON.stringify({ node: process.version, rows: raw }) + "\n");
}

if (require.main === module) void main();
