/*
 * `npm run bench:view` (also the end of `npm run bench`): what tsprof's own work costs on a big
 * profile (12,752 functions, about 10 MB, generated from a fixed seed: bench/big-profile.ts).
 *
 * - view: `tsprof view big.lprof` against `python -m line_profiler` on the kernprof pickle of
 *   the same functions and lines (`tsprof export --to kernprof`), alternating, output to
 *   /dev/null. Wall time of the whole command (bash's `time`), and its CPU time.
 * - exit write: a process holding the same functions' counters writes its run (snapshot: V8's
 *   profile folded, or exact timing's calibration, unless the watchdog thread (node 20, 22) or
 *   the calibration thread (node 24) measured it while the program ran; serialization, merge,
 *   atomic replace) with the previous run's file in place (replaced), and with a file another process wrote after it
 *   started (merged). Beside the writer's serializer, in the same rounds: it without the names and
 *   sources serialized at registration, and the run as one object given to `JSON.stringify` (the
 *   writer before); what registration spends on them, and the calibration alone.
 *
 * BENCH_VIEW_ROUNDS (default 7) rounds; BENCH_VIEW_BASELINE=path/to/bin/tsprof.js adds another
 * tsprof's view to the comparison (an older checkout); BENCH_VIEW_PARTS=write times the exit write
 * alone. Output: a table on stdout and bench/results/view.json (view-write.json for the write alone).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bigProfile } from "./big-profile";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "bin", "tsprof.js");
const ROUNDS = Number(process.env.BENCH_VIEW_ROUNDS ?? 7);
const FUNCTIONS = 12_752;
const VIEW_TARGET_MS = 1000;
const WRITE_TARGET_MS = 100;

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Timed {
  wallMs: number;
  cpuMs: number;
}

/** One command, its output to /dev/null, timed by bash: wall, user + system CPU. */
function timeCommand(argv: string[], cwd: string): Timed {
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const r = spawnSync("bash", ["-c", `TIMEFORMAT='%R %U %S'; time ${quoted} > /dev/null 2>command.err`], { cwd, encoding: "utf8" });
  const last = r.stderr.trim().split("\n").pop() ?? "";
  const [real, user, sys] = last.split(" ").map(Number);
  if (r.status !== 0 || !Number.isFinite(real)) throw new Error(`bench: ${argv.join(" ")} failed: ${r.stderr}${fs.readFileSync(path.join(cwd, "command.err"), "utf8")}`);
  return { wallMs: real * 1000, cpuMs: (user + sys) * 1000 };
}

function findLineProfiler(): string | undefined {
  for (const py of ["python3", "/usr/bin/python3"]) {
    if (spawnSync(py, ["-c", "import line_profiler"], { encoding: "utf8" }).status === 0) return py;
  }
  return undefined;
}

interface Column {
  name: string;
  argv: string[];
  runs: Timed[];
}

function summary(runs: Timed[]) {
  return { wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)), runs };
}

function benchView(dir: string) {
  const file = path.join(dir, "big.lprof");
  const text = JSON.stringify(bigProfile({ functions: FUNCTIONS }));
  fs.writeFileSync(file, text);
  const exported = spawnSync(process.execPath, [CLI, "export", "--to", "kernprof", "big.lprof", "-o", "big.pickle.lprof"], { cwd: dir, encoding: "utf8" });
  if (exported.status !== 0) throw new Error(`bench: export failed: ${exported.stderr}`);
  const columns: Column[] = [{ name: "tsprof", argv: [process.execPath, CLI, "view", "big.lprof"], runs: [] }];
  const py = findLineProfiler();
  if (py) columns.push({ name: "line_profiler", argv: [py, "-m", "line_profiler", "big.pickle.lprof"], runs: [] });
  const baseline = process.env.BENCH_VIEW_BASELINE;
  if (baseline) columns.push({ name: "baseline", argv: [process.execPath, baseline, "view", "big.lprof"], runs: [] });
  for (const c of columns) timeCommand(c.argv, dir); // warm the page cache and the compile cache
  for (let i = 0; i < ROUNDS; i++) {
    // Alternating order: drift in the machine's speed weighs on every column alike.
    const order = i % 2 === 0 ? columns : columns.slice().reverse();
    for (const c of order) {
      process.stderr.write(`bench: view ${c.name} (${i + 1}/${ROUNDS})…\n`);
      c.runs.push(timeCommand(c.argv, dir));
    }
  }
  const ratios = (other: Column, key: keyof Timed) => median(columns[0].runs.map((r, i) => r[key] / other.runs[i][key]));
  return {
    bytes: Buffer.byteLength(text),
    functions: FUNCTIONS,
    ...Object.fromEntries(columns.map((c) => [c.name, summary(c.runs)])),
    ...Object.fromEntries(columns.slice(1).map((c) => [`vs_${c.name}`, { wall: ratios(c, "wallMs"), cpu: ratios(c, "cpuMs") }])),
  } as unknown as Record<string, unknown> & { bytes: number; tsprof: ReturnType<typeof summary> };
}

interface WriteResult {
  snapshotMs: number; writeMs: number; totalMs: number;
  snapshotCpuMs: number; writeCpuMs: number; totalCpuMs: number;
  runs: number; bytes: number; mode: string; calibratedBefore?: boolean;
}

function writeChild(dir: string, out: string, scenario = "", serializer = "", timing = "", watchdog = false): WriteResult & { calibrateMs?: number; calibrateCpuMs?: number; staticMs?: number; staticCpuMs?: number } {
  const env = { ...process.env, TSPROF_SESSION: "", TSPROF_TIMING: timing, BENCH_WRITE_WATCHDOG: watchdog ? "1" : "" };
  const r = spawnSync(process.execPath, [path.join(__dirname, "write-child.js"), out, String(FUNCTIONS), scenario, serializer], { cwd: dir, encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`bench: write-child ${scenario} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function benchWrite(dir: string) {
  const out = path.join(dir, "exit.lprof");
  const replaced: WriteResult[] = [], objects: WriteResult[] = [], chunks: WriteResult[] = [], merged: WriteResult[] = [], exact: WriteResult[] = [], exactAtExit: WriteResult[] = [];
  const calibration: { calibrateMs?: number; calibrateCpuMs?: number }[] = [], statics: { staticMs?: number; staticCpuMs?: number }[] = [];
  writeChild(dir, out); // the previous run's file
  for (let i = 0; i < ROUNDS; i++) {
    process.stderr.write(`bench: exit write (${i + 1}/${ROUNDS})…\n`);
    // The writer's serializer, it without registration's part, and the reference (the run as one
    // object, one JSON.stringify), in turn.
    const serializers = ["", "chunks", "objects"];
    for (const serializer of i % 2 === 0 ? serializers : serializers.slice().reverse()) {
      const r = writeChild(dir, out, "", serializer);
      if (r.runs !== 1) throw new Error(`bench: the previous run's profile was kept (${r.runs} runs)`);
      (serializer === "objects" ? objects : serializer === "chunks" ? chunks : replaced).push(r);
    }
    statics.push(writeChild(dir, out, "static"));
    // Exact timing: no V8 profile to fold, but the probes' calibration: measured while the program
    // runs by the watchdog thread (a main thread on node 20 and 22) or the calibration thread (node
    // 24), or at the exit (no thread of the process measured them before: TSPROF_WATCHDOG=0).
    exact.push(writeChild(dir, out, "", "", "exact", true));
    exactAtExit.push(writeChild(dir, out, "", "", "exact"));
    const m = writeChild(dir, path.join(dir, "merged.lprof"), "sibling");
    if (m.runs !== 2) throw new Error(`bench: a running sibling's run was lost (${m.runs} runs)`);
    merged.push(m);
    calibration.push(writeChild(dir, out, "calibrate"));
  }
  const med = (xs: WriteResult[], k: Exclude<keyof WriteResult, "mode" | "calibratedBefore">) => median(xs.map((x) => x[k]));
  const pick = (xs: WriteResult[]) => ({
    totalMs: med(xs, "totalMs"), snapshotMs: med(xs, "snapshotMs"), writeMs: med(xs, "writeMs"),
    totalCpuMs: med(xs, "totalCpuMs"), snapshotCpuMs: med(xs, "snapshotCpuMs"), writeCpuMs: med(xs, "writeCpuMs"), bytes: xs[0].bytes, mode: xs[0].mode,
  });
  // Per round, the writer's time over the reference's: drift in the machine's load weighs on both.
  const ratio = (xs: WriteResult[], ys: WriteResult[], k: keyof WriteResult) => median(xs.map((x, i) => (x[k] as number) / (ys[i][k] as number)));
  return {
    vsOneObject: { wall: ratio(replaced, objects, "totalMs"), cpu: ratio(replaced, objects, "totalCpuMs") },
    replacingPrevious: pick(replaced),
    replacingPreviousChunksOnly: pick(chunks),
    replacingPreviousOneObject: pick(objects),
    replacingPreviousExact: { ...pick(exact), calibratedByWatchdog: exact.filter((x) => x.calibratedBefore).length, rounds: exact.length },
    replacingPreviousExactCalibratingAtExit: pick(exactAtExit),
    mergingSibling: pick(merged),
    calibration: { ms: median(calibration.map((c) => c.calibrateMs!)), cpuMs: median(calibration.map((c) => c.calibrateCpuMs!)) },
    staticAtRegistration: { ms: median(statics.map((c) => c.staticMs!)), cpuMs: median(statics.map((c) => c.staticCpuMs!)) },
  };
}

function main(): void {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-bench-view-"));
  const load = os.loadavg()[0];
  // BENCH_VIEW_PARTS=write: the exit write alone (its results in bench/results/view-write.json).
  const parts = (process.env.BENCH_VIEW_PARTS ?? "view,write").split(",");
  const view = parts.includes("view") ? benchView(dir) : undefined;
  const write = benchWrite(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  const results = { node: process.version, date: new Date().toISOString(), rounds: ROUNDS, loadavg: load, view, write };
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const lines: string[] = [];
  lines.push(`tsprof's own cost on a ${(write.replacingPreviousOneObject.bytes / 1e6).toFixed(2)} MB profile of ${FUNCTIONS.toLocaleString("en-US")} functions (medians of ${ROUNDS}; node ${process.version}; load average ${load.toFixed(1)} at start)`, "");
  if (view) lines.push(`${"view".padEnd(16)} ${"wall".padStart(9)} ${"CPU".padStart(9)}`);
  for (const name of ["tsprof", "line_profiler", "baseline"]) {
    const c = (view as Record<string, unknown> | undefined)?.[name] as { wallMs: number; cpuMs: number } | undefined;
    if (c) lines.push(`${name.padEnd(16)} ${ms(c.wallMs).padStart(9)} ${ms(c.cpuMs).padStart(9)}`);
  }
  const vs = (view as Record<string, unknown> | undefined)?.vs_line_profiler as { wall: number; cpu: number } | undefined;
  const base = (view as Record<string, unknown> | undefined)?.vs_baseline as { wall: number; cpu: number } | undefined;
  if (vs) lines.push(`tsprof / line_profiler: ${vs.wall.toFixed(2)}x wall, ${vs.cpu.toFixed(2)}x CPU (median of per-round ratios)`);
  else if (view) lines.push("(line_profiler column empty: apt-get install python3-line-profiler)");
  if (base) lines.push(`tsprof / baseline: ${base.wall.toFixed(2)}x wall, ${base.cpu.toFixed(2)}x CPU`);
  lines.push("", `${"exit write".padEnd(34)} ${"wall".padStart(9)} ${"CPU".padStart(9)}   (snapshot: fold or calibration, serialize / merge + replace, wall)`);
  for (const [name, w] of [
    ["replacing the previous run's file", write.replacingPrevious],
    ["  without registration's part", write.replacingPreviousChunksOnly],
    ["  the run as one JSON.stringify", write.replacingPreviousOneObject],
    ["  exact timing", write.replacingPreviousExact],
    ["  exact, calibrating at exit", write.replacingPreviousExactCalibratingAtExit],
    ["merging a running sibling's run", write.mergingSibling],
  ] as const) {
    lines.push(`${name.padEnd(34)} ${ms(w.totalMs).padStart(9)} ${ms(w.totalCpuMs).padStart(9)}   (${ms(w.snapshotMs)} / ${ms(w.writeMs)})`);
  }
  lines.push(`(exact timing: the watchdog or calibration thread had measured the probes' costs before the write in ${write.replacingPreviousExact.calibratedByWatchdog} of ${write.replacingPreviousExact.rounds} rounds)`);
  lines.push(`writer / the run as one JSON.stringify: ${write.vsOneObject.wall.toFixed(2)}x wall, ${write.vsOneObject.cpu.toFixed(2)}x CPU (median of per-round ratios)`);
  lines.push(`${"names, sources at registration".padEnd(34)} ${ms(write.staticAtRegistration.ms).padStart(9)} ${ms(write.staticAtRegistration.cpuMs).padStart(9)}   (once per module, as it loads: not in the exit write)`);
  lines.push(`${"of which the probes' calibration".padEnd(34)} ${ms(write.calibration.ms).padStart(9)} ${ms(write.calibration.cpuMs).padStart(9)}   (once per thread, whatever the profile's size)`);
  const wr = write.replacingPrevious;
  lines.push("", "Targets:");
  if (view) lines.push(`  view: ${ms(view.tsprof.wallMs)} < ${ms(VIEW_TARGET_MS)} ${view.tsprof.wallMs < VIEW_TARGET_MS ? "met" : "NOT met"}`);
  if (vs) lines.push(`  view vs line_profiler: ${vs.wall.toFixed(2)}x ≤ 1x ${vs.wall <= 1 ? "met" : "NOT met"}`);
  // Only exact timing calibrates the probes; V8 timing (the default) folds its profile instead.
  for (const [name, w] of [[`${wr.mode} timing`, wr], ["exact timing", write.replacingPreviousExact], ["exact timing, calibrating at exit (no thread measured before)", write.replacingPreviousExactCalibratingAtExit]] as const) {
    const without = w === write.replacingPreviousExactCalibratingAtExit ? ` (without the calibration: ${ms(Math.max(0, w.totalMs - write.calibration.ms))})` : "";
    lines.push(`  exit write, ${name}: ${ms(w.totalMs)} wall, ${ms(w.totalCpuMs)} CPU < ${ms(WRITE_TARGET_MS)} ${w.totalMs < WRITE_TARGET_MS ? "met" : "NOT met"}${without}`);
  }
  lines.push("", `(${((Date.now() - started) / 1000).toFixed(0)} s)`);
  process.stdout.write(lines.join("\n") + "\n");
  fs.mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, "bench", "results", view ? "view.json" : "view-write.json"), JSON.stringify(results, null, 2) + "\n");
}

main();
