/*
 * `tsprof timeit` end to end: output shape, exit codes and messages of the real command. Loop
 * counts are small (-n/-r) so that each run takes well under a second; no assertion depends on
 * how fast this machine is.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, runNode, tsprof } from "./helpers";

const TIME = String.raw`\d[\d.]*(?:e[+-]\d+)? (?:nsec|usec|msec|sec)`;

test("the seed's example: Python's result line, then mean ± std dev", () => {
  const r = tsprof(["timeit", "-n", "200", "-r", "3", "[...Array(1000).keys()].map(x => x ** 2)"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^200 loops, best of 3: ${TIME} per loop\nmean ± std dev: ${TIME} ± ${TIME}\n$`));
});

test("-v: autorange steps until a run reaches 0.2 s, raw times, percentiles, empty loop, GC", () => {
  const r = tsprof(["timeit", "-v", "-r", "2", "-s", "const a = new Float64Array(10000)", "a.fill(1)"]);
  assert.equal(r.status, 0, r.stderr);
  const steps = [...r.stdout.matchAll(/^(\d+) loops? -> (\S+) secs$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  const expected = steps.map((_, k) => [1, 2, 5][k % 3] * 10 ** Math.floor(k / 3));
  assert.deepEqual(steps.map(([n]) => n), expected);
  // Steps print with %.3g, as Python's: a run of 0.1996 s reads "0.2", and autorange rightly went on.
  assert.ok(steps.slice(0, -1).every(([, s]) => s <= 0.2), "autorange went on after a run of 0.2 s");
  assert.ok(steps[steps.length - 1][1] >= 0.2, "autorange stopped before a run of 0.2 s");
  const loops = steps[steps.length - 1][0];
  assert.match(r.stdout, new RegExp(`\n\nraw times: ${TIME}, ${TIME}\n\n${loops} loops, best of 2: ${TIME} per loop\n`));
  assert.match(r.stdout, new RegExp(`\np75: ${TIME}, p99: ${TIME}, worst: ${TIME} \\(over 2 runs\\)\nempty loop: ${TIME} per loop\ngarbage collection: \\d+ collections`));
});

test("-u forces the unit of every time printed", () => {
  const r = tsprof(["timeit", "-n", "50", "-r", "2", "-u", "msec", "-s", "const xs = Array.from({ length: 100 }, (_, i) => i)", "xs.reduce((a, b) => a + b, 0)"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^50 loops, best of 2: [\d.e+-]+ msec per loop\nmean ± std dev: [\d.e+-]+ msec ± [\d.e+-]+ msec\n$/);
});

test("--json: every figure in seconds, one raw time per run", () => {
  const r = tsprof(["timeit", "--json", "-n", "100", "-r", "4", "-s", "const s = 'abc'.repeat(100)", "s.split('')"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.loops, 100);
  assert.equal(j.repeat, 4);
  assert.equal(j.rawSeconds.length, 4);
  assert.equal(j.perLoopSeconds.best, Math.min(...j.rawSeconds) / 100);
  assert.ok(j.perLoopSeconds.best <= j.perLoopSeconds.p75 && j.perLoopSeconds.p75 <= j.perLoopSeconds.p99);
  // The warm-up autoranges until a run takes 0.05 s.
  const steps = j.steps as { loops: number; seconds: number }[];
  assert.deepEqual(steps.map((s) => s.loops), steps.map((_, k) => [1, 2, 5][k % 3] * 10 ** Math.floor(k / 3)));
  assert.ok(steps[steps.length - 1].seconds >= 0.05 && steps.slice(0, -1).every((s) => s.seconds < 0.05));
  assert.equal(typeof j.emptyLoopSeconds, "number");
  assert.ok(Array.isArray(j.warnings));
});

test("TypeScript syntax in STMT and setup runs", () => {
  const r = tsprof(["timeit", "-n", "100", "-r", "1", "-s", "const xs: number[] = [1, 2, 3]", "xs.map((x: number): number => x * 2)"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^100 loops, best of 1: /);
});

const UNIT_NS: Record<string, number> = { nsec: 1, usec: 1e3, msec: 1e6, sec: 1e9 };

/** The best per-loop time a report line states, in ns. */
function bestNs(stdout: string): number {
  const m = /best of \d+: ([\d.e+-]+) (nsec|usec|msec|sec) per loop/.exec(stdout);
  return m ? Number(m[1]) * UNIT_NS[m[2]] : Infinity;
}

test("a constant statement is reported as likely optimized away", () => {
  // A busy machine slows some runs down (measured: 0.66 ns against the empty loop's 0.41 for three
  // runs in a row); load only ever adds time, so of three measurements the fastest is the truest.
  const runs = [0, 1, 2].map(() => tsprof(["timeit", "-n", "1000000", "-r", "3", "-s", "const x = 1", "x"]));
  const r = runs.reduce((a, b) => (bestNs(b.stdout) < bestNs(a.stdout) ? b : a));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^tsprof timeit: warning: The statement was likely optimized away, or is too fast to measure: its best time \(.+ per loop\) is within 1\.5x of an empty loop's/m);
});

test("the statement's result is consumed: a lookup whose value is unused still costs time", () => {
  // Without the sink, V8 deletes `a.indexOf(7)` and it times like the empty loop.
  const r = tsprof(["timeit", "-n", "1000000", "-r", "3", "-s", "const a = [1, 2, 3, 4, 5, 6, 7, 8]", "a.indexOf(7)"]);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /optimized away/);
});

test("a syntax error in STMT: one line with line:column, exit 1", () => {
  const r = tsprof(["timeit", "-n", "1", "x => x +"]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^tsprof timeit: syntax error in STMT at 1:9: Expression expected \(TS1109\); fix the statement, quoted whole for the shell\n$/);
});

test("a throwing STMT: its error once, no stack trace, exit 1", () => {
  const r = tsprof(["timeit", "-n", "5", "-r", "3", "throw new Error('boom')"]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "tsprof timeit: STMT threw Error: boom; fix the statement (setup ran without error)\n");
  const s = tsprof(["timeit", "-n", "5", "-s", "const o: any = null; o.x", "1"]);
  assert.equal(s.status, 1);
  assert.match(s.stderr, /^tsprof timeit: setup threw TypeError: Cannot read properties of null \(reading 'x'\); fix the -s code/);
});

test("command-line mistakes: exit 2 with the fix", () => {
  const unknown = tsprof(["timeit", "--bogus", "1"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^tsprof timeit: unknown option --bogus\nTry 'tsprof timeit --help' for more information\.\n$/);
  const unit = tsprof(["timeit", "-u", "min", "1"]);
  assert.equal(unit.status, 2);
  assert.match(unit.stderr, /^tsprof timeit: unrecognized unit "min"; select nsec, usec, msec, sec\n/);
  const n = tsprof(["timeit", "-n", "0", "1"]);
  assert.equal(n.status, 2);
  assert.match(n.stderr, /^tsprof timeit: invalid -n value "0": give a positive whole number\n/);
});

test("--help describes the command; tsprof --help lists it", () => {
  const r = tsprof(["timeit", "--help"]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^usage: tsprof timeit \[-n N\] \[-r R\] \[-s SETUP\]\.\.\./);
  assert.match(tsprof(["--help"]).stdout, /\n {2}timeit {3}time a statement/);
});

test("--import times the user's own TypeScript module from the current directory", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-timeit-"));
  fs.writeFileSync(path.join(dir, "fib.ts"), "export function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n");
  const r = tsprof(["timeit", "-n", "10", "-r", "2", "--import", "./fib.ts", "fib(15)"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^10 loops, best of 2: /);
});

test("the API loads without TypeScript and times functions", () => {
  const script = `const api = require(${JSON.stringify(path.join(ROOT, "dist", "index.js"))});
    const seconds = api.timeit(() => Math.random(), { number: 1000 });
    const loaded = Object.keys(require.cache).some((f) => /[\\\\/]typescript[\\\\/]/.test(f));
    console.log(JSON.stringify({ seconds: typeof seconds, runs: api.repeat(() => 1, { number: 10, repeat: 3 }).length, loaded }));`;
  const r = runNode(["-e", script]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { seconds: "number", runs: 3, loaded: false });
});
