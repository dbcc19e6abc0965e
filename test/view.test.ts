/*
 * `tsprof view`: kernprof's report to the column, its options, and one clear line for every kind
 * of bad input.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile, type LprofFunction, type LprofLine } from "../runtime/lprof";
import { mergeProfiles } from "../report/profile";
import { FEW_SAMPLES, formatFunction, formatReport } from "../report/line-report";
import { bigProfile } from "../bench/big-profile";
import { CLI, runProfiled, tsprof } from "./helpers";

const SOURCE = ["/** @profile */", "function foo(n: number) {", "  let s = 0;", "  for (let i = 0; i < n; i++) {", "    s += i;", "  }", "  return s;", "}"];

function fn(file: string, name: string, line: number, source: string[], lines: LprofLine[]): LprofFunction {
  return { file, name, line, kind: "sync", source, lines };
}

function lprof(functions: LprofFunction[], probe = 0, extra: Partial<LprofFile> = {}, call = 0): LprofFile {
  return {
    format: LPROF_FORMAT, version: LPROF_VERSION, unit: 1e-9,
    runs: [{
      id: `1-0-${Math.random()}`, session: "s", pid: 1, threadId: 0, argv: ["node", "app.js"], cwd: "/", node: "v20",
      start: "2026-01-01T00:00:00.000Z", end: "2026-01-01T00:00:01.000Z", duration: 1, mode: "exact", complete: true,
      columns: ["line", "hits", "time", "wait", "nested", "calls"],
      calibration: { probe, call }, functions,
    }],
    ...extra,
  };
}

function workdir(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-view-"));
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof content === "string" || Buffer.isBuffer(content) ? content : JSON.stringify(content));
  }
  return dir;
}

const FOO_LINES: LprofLine[] = [[3, 1, 500, 0, 0, 0], [4, 1001, 250000, 0, 0, 0], [5, 1000, 749000, 0, 0, 0], [7, 1, 500, 0, 0, 0]];

const GOLDEN = `Timer unit: 1e-06 s

Total time: 0.001 s
File: src/a.ts
Function: foo at line 1

Line #      Hits         Time  Per Hit   % Time  Line Contents
==============================================================
     1                                           /** @profile */
     2                                           function foo(n: number) {
     3         1          0.5      0.5      0.1    let s = 0;
     4      1001        250.0      0.2     25.0    for (let i = 0; i < n; i++) {
     5      1000        749.0      0.7     74.9      s += i;
     6                                             }
     7         1          0.5      0.5      0.1    return s;
     8                                           }

`;

test("the report is kernprof's, to the column (golden)", () => {
  const dir = workdir({});
  fs.writeFileSync(path.join(dir, "out.lprof"), JSON.stringify(lprof([fn(path.join(dir, "src", "a.ts"), "foo", 1, SOURCE, FOO_LINES)])));
  const r = tsprof(["view", "out.lprof"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, GOLDEN);
});

test("several files merge: hits and times add up per function and line", () => {
  const dir = workdir({});
  const file = path.join(dir, "src", "a.ts");
  const half = FOO_LINES.map(([l, h, t]) => [l, h / 2, t / 2, 0, 0, 0] as LprofLine).filter(([, h]) => Number.isInteger(h));
  fs.writeFileSync(path.join(dir, "one.lprof"), JSON.stringify(lprof([fn(file, "foo", 1, SOURCE, FOO_LINES)])));
  fs.writeFileSync(path.join(dir, "two.lprof"), JSON.stringify(lprof([fn(file, "foo", 1, SOURCE, half)])));
  const r = tsprof(["view", "one.lprof", "two.lprof"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\n     5      1500       1123\.5      0\.7     81\.7      s \+= i;\n/);
  assert.match(r.stdout, /\n     4      1001        250\.0      0\.2     18\.2    for/);
  assert.match(r.stdout, /Total time: 0\.0013745 s\n/);
});

test("-m summarizes, -z hides functions never called, -t sorts by total time ascending, -u sets the unit", () => {
  const dir = workdir({});
  const a = path.join(dir, "a.ts");
  const data = lprof([
    fn(a, "heavy", 1, ["function heavy() {", "  work();", "}"], [[2, 1, 3_000_000_000, 0, 0, 0]]),
    fn(a, "light", 5, ["function light() {", "  work();", "}"], [[6, 2, 1_250_000_000, 0, 0, 0]]),
    fn(a, "unused", 9, ["function unused() {", "}"], []),
  ]);
  fs.writeFileSync(path.join(dir, "out.lprof"), JSON.stringify(data));
  const r = tsprof(["view", "-mzt", "-u", "1e-3", "out.lprof"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith("Timer unit: 0.001 s\n"));
  assert.doesNotMatch(r.stdout, /unused/);
  assert.ok(r.stdout.indexOf("Function: light") < r.stdout.indexOf("Function: heavy"));
  assert.match(r.stdout, /\n     6         2       1250\.0    625\.0    100\.0    work\(\);\n/);
  assert.ok(r.stdout.endsWith("  1.25 seconds - a.ts:5 - light\n  3.00 seconds - a.ts:1 - heavy\n"));
  const named = tsprof(["view", "--unit", "ms", "out.lprof"], { cwd: dir });
  assert.ok(named.stdout.startsWith("Timer unit: 0.001 s\n"));
  assert.match(named.stdout, /Function: unused at line 9\n/);
});

test("columns widen and fall back to %g / %5.3g when numbers are too wide (kernprof 4.1+)", () => {
  const data = lprof([fn("/x/a.ts", "big", 1, ["function big() {", "  spin();", "  spin();", "}"], [
    [2, 12_345_678_901, 98_765_432_109_876, 0, 0, 0],
    [3, 3, 1_000, 0, 0, 0],
  ])]);
  const profile = mergeProfiles([data]);
  const text = formatFunction(profile.functions[0], profile, { cwd: "/x" });
  const lines = text.split("\n");
  assert.equal(lines[4], "Line #        Hits         Time  Per Hit   % Time  Line Contents");
  assert.equal(lines[5], "=".repeat(lines[4].length));
  assert.equal(lines[7], "     2 1.23457e+10     9.88e+10      8.0    100.0    spin();");
  assert.equal(lines[8], "     3           3          1.0      0.3      0.0    spin();");
});

test("calibration: probe × (hits + nested) and call × calls are subtracted, never below zero; --raw keeps them", () => {
  const dir = workdir({});
  const data = lprof([fn(path.join(dir, "a.ts"), "f", 1, ["function f() {", "  a();", "  b();", "}"], [
    [2, 100, 9_000, 0, 50, 10],
    [3, 10, 100, 0, 0, 0],
  ])], 40, {}, 20);
  fs.writeFileSync(path.join(dir, "out.lprof"), JSON.stringify(data));
  const r = tsprof(["view", "out.lprof"], { cwd: dir });
  // 9000 − 40 × (100 + 50) − 20 × 10 = 2800 ns; 100 − 40 × 10 < 0 → 0.
  assert.match(r.stdout, /\n     2       100          2\.8      0\.0    100\.0    a\(\);\n/);
  assert.match(r.stdout, /\n     3        10          0\.0      0\.0      0\.0    b\(\);\n/);
  const raw = tsprof(["view", "--raw", "out.lprof"], { cwd: dir });
  assert.match(raw.stdout, /\n     2       100          9\.0      0\.1     98\.9    a\(\);\n/);
});

test("async functions show their wait time apart; --wait adds a per-line column", () => {
  const dir = workdir({});
  const data = lprof([fn(path.join(dir, "a.ts"), "load", 1, ["async function load() {", "  await get();", "}"], [
    [2, 1, 2_000, 50_000_000, 1, 0],
  ])]);
  fs.writeFileSync(path.join(dir, "out.lprof"), JSON.stringify(data));
  const r = tsprof(["view", "out.lprof"], { cwd: dir });
  assert.match(r.stdout, /Function: load at line 1\nWait time: 0\.05 s \(suspended at await\/yield; not in Total time\)\n/);
  const w = tsprof(["view", "--wait", "out.lprof"], { cwd: dir });
  assert.match(w.stdout, /Line #      Hits         Time  Per Hit   % Time         Wait  Line Contents\n/);
  assert.match(w.stdout, /\n     2         1          2\.0      2\.0    100\.0      50000\.0    await get\(\);\n/);
});

test("color only on request or on a terminal: --color adds ANSI codes, piped output has none", () => {
  const dir = workdir({});
  fs.writeFileSync(path.join(dir, "out.lprof"), JSON.stringify(lprof([fn(path.join(dir, "a.ts"), "foo", 1, SOURCE, FOO_LINES)])));
  const env = { ...process.env, FORCE_COLOR: "", NO_COLOR: "" };
  const piped = tsprof(["view", "out.lprof"], { cwd: dir, env });
  assert.doesNotMatch(piped.stdout, /\x1b\[/);
  const colored = tsprof(["view", "--color", "out.lprof"], { cwd: dir, env });
  assert.match(colored.stdout, /\x1b\[31m {4}74\.9\x1b\[0m/);
  assert.equal(colored.stdout.replace(/\x1b\[[0-9;]*m/g, ""), piped.stdout);
  const off = tsprof(["view", "--no-color", "out.lprof"], { cwd: dir, env: { ...env, FORCE_COLOR: "1" } });
  assert.doesNotMatch(off.stdout, /\x1b\[/);
});

const BAD_INPUTS: [string, (dir: string) => void, RegExp][] = [
  ["missing", () => {}, /^tsprof: out\.lprof: no such file; run the program built with the tsprof plugin first \(tspc on TypeScript 6; TypeScript 7's tsc ignores compiler plugins\), or use `tsprof run`\n$/],
  ["empty", (d) => fs.writeFileSync(path.join(d, "out.lprof"), ""), /^tsprof: out\.lprof is empty; the program may still be running, or was killed before it could write\n$/],
  ["truncated", (d) => fs.writeFileSync(path.join(d, "out.lprof"), JSON.stringify(lprof([])).slice(0, 60)), /^tsprof: out\.lprof is not a tsprof profile \(truncated JSON at byte 60\); re-run the program or pass another file\n$/],
  ["not JSON", (d) => fs.writeFileSync(path.join(d, "out.lprof"), "hello world"), /^tsprof: out\.lprof is not a tsprof profile \(invalid JSON at byte 0\); re-run the program or pass another file\n$/],
  ["a kernprof pickle", (d) => fs.writeFileSync(path.join(d, "out.lprof"), Buffer.from([0x80, 0x04, 0x95, 0x00])), /^tsprof: out\.lprof is a pickle tsprof will not read \(truncated at byte 4; opcode at byte 2\); tsprof reads line_profiler's \.lprof files, as data only\n$/],
  ["another tool's JSON", (d) => fs.writeFileSync(path.join(d, "out.lprof"), JSON.stringify({ nodes: [], samples: [] })), /^tsprof: out\.lprof is not a tsprof profile \(no "format": "tsprof-lprof"\); pass a file written by a tsprof-instrumented program\n$/],
  ["a newer format version", (d) => fs.writeFileSync(path.join(d, "out.lprof"), JSON.stringify(lprof([], 0, { version: 99 }))), /^tsprof: out\.lprof was written by a newer tsprof \(format version 99; this tsprof reads up to 1\); upgrade tsprof to view it\n$/],
  ["malformed lines", (d) => fs.writeFileSync(path.join(d, "out.lprof"), JSON.stringify(lprof([fn("/a.ts", "f", 1, [], [[1, 2] as unknown as LprofLine])]))), /^tsprof: out\.lprof is malformed: runs\[0\]\.functions\[0\]\.lines\[0\] does not have the run's 6 columns of numbers; re-run the program to write it again\n$/],
  ["a directory", (d) => fs.mkdirSync(path.join(d, "out.lprof")), /^tsprof: out\.lprof is a directory; pass the \.lprof file inside it\n$/],
];

for (const [what, make, message] of BAD_INPUTS) {
  test(`bad input (${what}): one line naming the file, the problem and the fix; exit 1; no stack trace`, () => {
    const dir = workdir({});
    make(dir);
    const r = tsprof(["view", "out.lprof"], { cwd: dir });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, message);
  });
}

test("a JSON file is only parsed, never evaluated", () => {
  const dir = workdir({});
  const marker = path.join(dir, "pwned");
  const evil = `{"format":"tsprof-lprof","version":1,"unit":1e-9,"runs":[],"__proto__":{"x":1},"y":"\${require('fs').writeFileSync('${marker}','')}"}`;
  fs.writeFileSync(path.join(dir, "out.lprof"), evil);
  const r = tsprof(["view", "out.lprof"], { cwd: dir });
  assert.equal(r.status, 0);
  assert.equal(fs.existsSync(marker), false);
});

test("usage errors: exit 2 with a pointer to --help; --help prints the options", () => {
  const none = tsprof(["view"]);
  assert.equal(none.status, 2);
  assert.equal(none.stderr, "tsprof view: no .lprof file given (for example: tsprof view out.lprof)\nTry 'tsprof view --help' for more information.\n");
  const unknown = tsprof(["view", "--skip-zeros", "x.lprof"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^tsprof view: unknown option --skip-zeros \(did you mean --skip-zero\?\)\n/);
  const unit = tsprof(["view", "-u", "fast", "x.lprof"]);
  assert.equal(unit.status, 2);
  assert.match(unit.stderr, /invalid unit "fast": give seconds from 1e-15 to 1000 \(1e-3\) or one of ns, us, ms, s/);
  const help = tsprof(["view", "--help"]);
  assert.equal(help.status, 0);
  for (const flag of ["--unit", "--skip-zero", "--sort", "--summarize", "--color", "--raw", "--wait"]) assert.ok(help.stdout.includes(flag), flag);
  const cmd = tsprof(["frobnicate"]);
  assert.equal(cmd.status, 2);
  assert.match(cmd.stderr, /^tsprof: unknown command "frobnicate"; commands: view/);
});

/** Python's own line_profiler, when installed (Debian: python3-line-profiler). */
function findLineProfilerPython(): string | undefined {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(py, ["-c", "import line_profiler"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return undefined;
}

test("side by side with Python's line_profiler.show_func on random profiles", { skip: findLineProfilerPython() ? false : "python3-line-profiler is not installed" }, () => {
  const py = findLineProfilerPython()!;
  let seed = 12345;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const cases = Array.from({ length: 40 }, (_, k) => {
    const n = 3 + rand(8);
    const source = Array.from({ length: n }, (_, i) => (i === 0 ? `function f${k}() {` : `  stmt${i}(); // ${"x".repeat(rand(5))}`));
    const lines: LprofLine[] = [];
    for (let i = 1; i < n; i++) if (rand(3)) lines.push([i + 1, 1 + rand(100000), rand(10) ? rand(99_999_999) : rand(3), 0, 0, 0]);
    return { source, lines };
  });
  const script = `
import io, json, sys, inspect
from line_profiler.line_profiler import show_func
cases = json.load(sys.stdin)
out = []
for c in cases:
    inspect.getblock = lambda lines, n=len(c["source"]): lines[:n]
    import linecache
    linecache.getlines = lambda fn, g=None, src=c["source"]: [l + "\\n" for l in src]
    s = io.StringIO()
    show_func(sys.executable, 1, "f", [tuple(l[:3]) for l in c["lines"]], 1e-9, 1e-6, s)
    out.append(s.getvalue())
json.dump(out, sys.stdout)
`;
  const r = spawnSync(py, ["-c", script], { input: JSON.stringify(cases), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as string[];
  cases.forEach((c, k) => {
    const profile = mergeProfiles([lprof([fn("/p/f.py", "f", 1, c.source, c.lines)])]);
    const ours = formatFunction(profile.functions[0], profile, { cwd: "/p" });
    // Python names the file it read; everything after the File line must match to the character,
    // but for tsprof's note on a function that ran untimed (kernprof has no such rule).
    const body = (s: string) => s.slice(s.indexOf("Function:")).replace(/^Hits only: .*\n/m, "");
    assert.equal(body(ours), body(expected[k]), `case ${k}`);
    assert.equal(ours.split("\n")[0], expected[k].split("\n")[0]);
  });
});

test("a report piped into a reader that closes early (| head) ends quietly, exit 0, no EPIPE trace", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-epipe-"));
  const file = path.join(dir, "big.lprof");
  fs.writeFileSync(file, JSON.stringify(bigProfile({ functions: 600 })));
  const child = spawn(process.execPath, [CLI, "view", file], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  // Read one chunk, then close the pipe as `head -1` does; the report is far bigger than a pipe buffer.
  await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  assert.equal(stderr, "");
  assert.equal(code, 0);
});

test("a function that ran but whose lines were all too cheap to time says so, under Total time: 0 s", () => {
  // A one-line arrow: its only line is cheap (no calls), so leaving it reads no clock.
  const source = [
    "/** @profile */",
    "const double = (x: number) => x * 2;",
    "/** @profile */",
    "function total(xs: number[]): number {",
    "  let s = 0;",
    "  for (const x of xs) s += double(x) + String(x).length;",
    "  return s;",
    "}",
    "console.log(total([1, 2, 3, 4, 5, 6, 7]));",
  ].join("\n");
  // Exact timing's rule (a line too cheap to time reads no clock); V8 timing bills by samples.
  const run = runProfiled(source, { env: { TSPROF_TIMING: "exact" } });
  assert.equal(run.profiled.status, 0, run.profiled.stderr);
  assert.equal(run.profiled.stdout, run.plain.stdout);
  assert.equal(run.plain.stdout, "63\n");
  const view = tsprof(["view", run.output], { cwd: run.dir });
  assert.equal(view.status, 0, view.stderr);
  const blocks = view.stdout.split(/(?=Total time:)/);
  const arrow = blocks.find((b) => b.includes("Function: double"))!;
  const caller = blocks.find((b) => b.includes("Function: total"))!;
  assert.match(arrow, /^Total time: 0 s\nFile: .*\nFunction: double at line 1\nHits only: the lines that ran are too cheap to time .*called this function\.\n/);
  assert.match(arrow, /^\s+2\s+7\s+0\.0\s+0\.0\s+ {2}const double/m);
  assert.doesNotMatch(caller, /Hits only/);
  assert.doesNotMatch(caller, /^Total time: 0 s/);
});

test("the untimed note is for functions that ran: one never called, or one with time, has none", () => {
  const src = ["function f() {", "  return 1;", "}"];
  const never = mergeProfiles([lprof([fn("/p/f.ts", "f", 1, src, [])])]);
  assert.doesNotMatch(formatFunction(never.functions[0], never, { cwd: "/p" }), /Hits only/);
  const timed = mergeProfiles([lprof([fn("/p/f.ts", "f", 1, src, [[2, 3, 90, 0, 0, 0]])], 10)]);
  assert.doesNotMatch(formatFunction(timed.functions[0], timed, { cwd: "/p" }), /Hits only/);
  // Measured, but within the probes' cost: calibrated to zero, so also untimed.
  const clamped = mergeProfiles([lprof([fn("/p/f.ts", "f", 1, src, [[2, 3, 90, 0, 0, 0]])], 40)]);
  assert.match(formatFunction(clamped.functions[0], clamped, { cwd: "/p" }), /^Total time: 0 s\n.*\n.*\nHits only: /);
});

test("a V8-timed profile with few samples says how rough its shares are; one with enough says nothing", () => {
  const profileWith = (samples: number) => {
    const file = lprof([fn("/p/f.ts", "f", 1, ["function f() {", "  work();", "}"], [[2, 3, 900_000, 0, samples]])]);
    file.runs[0].mode = "v8";
    file.runs[0].columns = ["line", "hits", "time", "wait", "samples"];
    return mergeProfiles([file]);
  };
  const few = formatReport(profileWith(4), { cwd: "/p" });
  assert.match(few, /^Timer unit: 1e-06 s\n\nTimes are from V8's CPU profiler \(sampling[^)]*\); hits are exact\.\n\nOnly 4 samples landed in profiled lines: each line's % Time is good to about ±25 points\. /);
  assert.doesNotMatch(formatReport(profileWith(FEW_SAMPLES), { cwd: "/p" }), /Only \d+ sample/);
});
