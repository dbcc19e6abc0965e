/*
 * `tsprof prof` end to end: real programs run through the CLI (the no-build loader with the
 * function-profile transform), exact call counts on recursion and mutual recursion, caller and
 * callee edges, async suspension kept out of cumtime, children and workers merged, the program's
 * behaviour unchanged, the tsprof/profile API, and the exports parsing as their formats.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { loadStats } from "../report/pstats-read";
import { svgToPng } from "../report/svg-png";
import { cleanEnv, CLI, compile, makeProject, runNode, type RunResult } from "./helpers";

const PROGRAM = `"use strict";
function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
const isEven = (n: number): boolean => (n === 0 ? true : isOdd(n - 1));
function isOdd(n: number): boolean {
  return n === 0 ? false : isEven(n - 1);
}
class Base {
  constructor(public label: string) {}
  get shout() { return this.label.toUpperCase(); }
}
class Derived extends Base {
  extra = 1;
  constructor() {
    const before = "derived";
    super(before);
  }
  describe(this: Derived, ...rest: number[]) { return \`\${this.shout}:\${rest.length}:\${arguments.length}\`; }
}
function* count(n: number) {
  for (let i = 0; i < n; i++) yield i * 2;
  return "end";
}
function thrower(i: number): never {
  throw new Error("boom " + i);
}
function withDefault(a = [1, 2].map((x) => x * 3)) {
  return a.join(",");
}
async function later(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
}
function helper(): number { return 1; }
async function recover() {
  try { await Promise.reject(new Error("no")); } catch { return helper(); }
}
async function main() {
  console.log(fib(20), isEven(10), isOdd(7), await recover());
  const d = new Derived();
  console.log(d.describe(1, 2, 3), [...count(4)].join(" "), withDefault());
  for (let i = 0; i < 3; i++) {
    try { thrower(i); } catch (e) { console.log((e as Error).message); }
  }
  console.log(await later(300));
}
main().then(() => console.log("done"));
`;

const API_PROGRAM = `import { Profile, run, Stats } from "tsprof/profile";
function foo() {
  let sum = 0;
  for (let i = 0; i < 10000; i++) sum += i;
  return sum;
}
function twice() { return foo() + foo(); }
run(foo);
const p = new Profile();
p.enable();
twice();
p.disable();
p.printStats("calls");
run(foo, "foo.prof");
new Stats("foo.prof").sortStats("time").printStats();
`;

const PARALLEL = `import { fork } from "node:child_process";
import { Worker, isMainThread } from "node:worker_threads";
function work(n: number): number { return n <= 1 ? 1 : work(n - 1) + 1; }
function inChild() { for (let i = 0; i < 7; i++) work(3); }
function inWorker() { for (let i = 0; i < 5; i++) work(2); }
if (process.argv[2] === "child") inChild();
else if (!isMainThread) inWorker();
else {
  work(1);
  const w = new Worker(__filename);
  w.on("exit", () => fork(__filename, ["child"]).on("exit", (code) => console.log("child", code)));
}
`;

// Constructs the transform must keep working: private and static members, a static block,
// overloads, accessors, computed names, async generators with for await, rejected awaits,
// arguments, this, hoisted inner functions, labels, directives, default export.
const SYNTAX = `"use strict";
abstract class Shape {
  static count = 0;
  static { Shape.count = 1; }
  #secret = 2;
  abstract area(): number;
  #hidden(): number { return this.#secret; }
  reveal() { return this.#hidden(); }
  static make(): number { return Shape.count; }
  ["comp" + "uted"]() { return "c"; }
}
class Sq extends Shape {
  constructor(private s: number) { super(); }
  area() { return this.s ** 2; }
  override reveal() { return super.reveal() + 1; }
}
function over(x: string): string;
function over(x: number): number;
function over(x: any) { return x; }
const obj = {
  get v() { return 5; },
  set v(_x: number) {},
  m() { return this.v; },
  arrow: () => ({ a: 1 }),
};
async function* agen() { yield 1; await null; yield 2; }
const aarrow = async (x: number) => { await null; return x * 2; };
function outer(cb = () => 7) { return cb(); }
function args() { return arguments.length; }
function thisy(this: { k: number }) { return this.k; }
function hoisted() { return inner(); function inner() { return "in"; } }
label: for (const i of [1, 2]) { if (i === 1) continue label; }
async function main() {
  const sq = new Sq(3);
  const out: unknown[] = [sq.area(), sq.reveal(), Shape.make(), (sq as any).computed(), over(1), over("a"), obj.m(), obj.arrow().a];
  for await (const v of agen()) out.push(v);
  out.push(await aarrow(4), outer(), args.call(null, 1, 2, 3 as never), thisy.call({ k: 9 }), hoisted(), typeof (function named() {}).name);
  try { await Promise.reject(new Error("rej")); } catch (e) { out.push((e as Error).message); }
  console.log(JSON.stringify(out));
}
export default main();
`;

let dir: string;
const prof = (args: string[], input?: string): RunResult => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: cleanEnv(), input, encoding: "utf8", timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
};
let main: RunResult;
let printed: RunResult;

before(() => {
  dir = makeProject("tsprof-prof-");
  fs.writeFileSync(path.join(dir, "program.ts"), PROGRAM);
  fs.writeFileSync(path.join(dir, "api.ts"), API_PROGRAM);
  fs.writeFileSync(path.join(dir, "parallel.ts"), PARALLEL);
  // The clock mode: its rows are the program's functions only, and every figure is deterministic
  // (test/prof-sampler.test.ts has the sampler's).
  main = prof(["prof", "--mode", "clock", "-o", "program.prof", "program.ts"]);
  printed = prof(["prof", "--mode", "clock", "-s", "cumulative", "program.ts"]);
});

/** The report's row for `name` (stripped), as its columns. */
function row(report: string, name: string): string[] {
  const line = report.split("\n").find((l) => l.endsWith(`(${name})`));
  assert.ok(line, `no row for ${name} in\n${report}`);
  return line.trim().split(/\s+/);
}

describe("tsprof prof", () => {
  test("the program behaves as it does without tsprof", () => {
    assert.equal(main.status, 0, main.stderr);
    const plain = path.join(dir, "plain.js");
    fs.writeFileSync(plain, compile(PROGRAM, path.join(dir, "program.ts"), { plain: true }));
    const expected = runNode([plain]);
    assert.equal(expected.status, 0, expected.stderr);
    assert.equal(main.stdout, expected.stdout, "with -o, only the program's own output");
    assert.match(expected.stdout, /^6765 true true 1\nDERIVED:3:3 0 2 4 6 3,6\nboom 0\nboom 1\nboom 2\n300\ndone\n$/);
  });

  test("exact ncalls and primitive calls: recursion (fib(20): 21891/1) and mutual recursion", () => {
    const report = loadStats(path.join(dir, "program.prof")).stripDirs().printStats();
    assert.deepEqual(row(report, "fib").slice(0, 1), ["21891/1"]);
    // isEven(10): isEven 10 8 6 4 2 0, isOdd 9 7 5 3 1; isOdd(7): isOdd 7 5 3 1, isEven 6 4 2 0. Two outermost calls each.
    assert.deepEqual(row(report, "isEven")[0], "10/2");
    assert.deepEqual(row(report, "isOdd")[0], "9/2");
    for (const [name, calls] of [["main", "1"], ["<module>", "1"], ["Derived.constructor", "1"], ["Base.constructor", "1"],
      ["Base.get shout", "1"], ["Derived.describe", "1"], ["count", "1"], ["thrower", "3"], ["withDefault", "1"],
      ["withDefault.<anonymous>", "2"], ["later", "1"]] as const) {
      assert.equal(row(report, name)[0], calls, name);
    }
    assert.match(report, /\n\n {9}21928 function calls \(23 primitive calls\) in \d+\.\d{3} seconds\n\n {3}Random listing order was used\n\n {3}ncalls {2}tottime {2}percall {2}cumtime {2}percall filename:lineno\(function\)\n/);
  });

  test("callers and callees: every edge with its own ncalls/primitive", () => {
    const s = loadStats(path.join(dir, "program.prof")).stripDirs().sort("stdname");
    const callers = s.printCallers("fib|isEven|isOdd");
    assert.match(callers, /\nprogram\.ts:2\(fib\) +<- 21890\/2 +\d+\.\d{3} +\d+\.\d{3}  program\.ts:2\(fib\)\n +1 +\d+\.\d{3} +\d+\.\d{3}  program\.ts:39\(main\)\n/);
    assert.match(callers, /\nprogram\.ts:5\(isEven\) +<- +9\/2 .*program\.ts:6\(isOdd\)\n +1 .*program\.ts:39\(main\)\n/);
    assert.match(callers, /\nprogram\.ts:6\(isOdd\) +<- +8\/2 .*program\.ts:5\(isEven\)\n +1 .*program\.ts:39\(main\)\n/);
    // A rejected await: the catch block puts recover's frame back, so helper's caller is recover.
    assert.match(s.printCallers("helper"), /program\.ts:35\(helper\) +<- +1 .*program\.ts:36\(recover\)\n/);
    const callees = s.printCallees("\\(main\\)");
    const lines = callees.split("\n").filter((l) => /\d+\.\d{3}  /.test(l)).map((l) => l.replace(/^.*->/, "").trim().split(/\s+/));
    assert.deepEqual(lines.map((l) => [l[0], l[3]]), [
      ["1", "program.ts:2(fib)"], ["1", "program.ts:5(isEven)"], ["1", "program.ts:6(isOdd)"], ["1", "program.ts:15(Derived.constructor)"],
      ["1", "program.ts:19(Derived.describe)"], ["1", "program.ts:21(count)"], ["3", "program.ts:25(thrower)"], ["1", "program.ts:28(withDefault)"],
      // Default parameter values run before the callee's frame opens: their calls are the caller's.
      ["2", "program.ts:28(withDefault.<anonymous>)"], ["1", "program.ts:31(later)"], ["1", "program.ts:36(recover)"],
    ], "what main calls, by file and line as pstats sorts them (the getter is called by describe)");
  });

  test("async: time suspended at await is kept out of cumtime and reported apart", () => {
    const s = loadStats(path.join(dir, "program.prof"));
    const later = [...s.stats.values()].find((f) => f.func.name === "later")!;
    assert.ok(later.wait >= 0.29, `waited ${later.wait}`);
    assert.ok(later.ct < later.wait / 2, `cumtime ${later.ct} excludes the ${later.wait} s wait`);
    assert.match(s.printStats(), /Suspended at await\/yield \(not in tottime or cumtime\):\n {5}wait filename:lineno\(function\)\n/);
  });

  test("without -o: the report at exit, directories stripped, sorted by -s", () => {
    assert.equal(printed.status, 0, printed.stderr);
    const [output, report] = [printed.stdout.slice(0, printed.stdout.indexOf("done\n") + 5), printed.stdout.slice(printed.stdout.indexOf("done\n") + 5)];
    assert.equal(output, main.stdout);
    assert.match(report, /^ {9}21928 function calls \(23 primitive calls\) in \d+\.\d{3} seconds\n\n {3}Ordered by: cumulative time\n\n {3}ncalls {2}tottime {2}percall {2}cumtime {2}percall filename:lineno\(function\)\n/);
    const cumtimes = report.split("\n").filter((l) => /^ +[\d/]+ +\d+\.\d{3} /.test(l)).map((l) => Number(l.trim().split(/\s+/)[3]));
    assert.equal(cumtimes.length, 18);
    assert.deepEqual(cumtimes, [...cumtimes].sort((a, b) => b - a), "descending cumtime");
    assert.ok(!report.includes(dir), "directories stripped, as cProfile's own report");
  });

  test("child processes and worker threads land in the same profile", () => {
    const r = prof(["prof", "-s", "name", "parallel.ts"]);
    assert.equal(r.status, 0, r.stderr);
    // 1 in the main thread, 5 × work(2) in the worker, 7 × work(3) in the child.
    assert.equal(row(r.stdout, "work")[0], "32/13");
    assert.equal(row(r.stdout, "inWorker")[0], "1");
    assert.equal(row(r.stdout, "inChild")[0], "1");
    assert.equal(row(r.stdout, "<module>")[0], "3", "three threads of the program ran the module");
  });

  test("tsprof/profile: run(fn), Profile enable/disable/printStats/dumpStats, Stats; the program prints only its own reports", () => {
    const r = prof(["prof", "api.ts"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp([
      "^ {9}1 function calls in \\d\\.\\d{3} seconds\n\n {3}Ordered by: standard name\n\n.*\n {8}1 .* api\\.ts:2\\(foo\\)\n\n\n",
      " {9}3 function calls in \\d\\.\\d{3} seconds\n\n {3}Ordered by: call count\n\n.*\n {8}2 .* api\\.ts:2\\(foo\\)\n {8}1 .* api\\.ts:7\\(twice\\)\n\n\n",
      "\\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4} {4}foo\\.prof\n\n {9}1 function calls in \\d\\.\\d{3} seconds\n\n {3}Ordered by: internal time\n\n.*\n {8}1 .* \\S+api\\.ts:2\\(foo\\)\n\n\n$",
    ].join("")));
    // Without tsprof prof, nothing is instrumented, and the program is told so.
    const plain = path.join(dir, "api-plain.js");
    fs.writeFileSync(plain, compile(API_PROGRAM, path.join(dir, "api.ts"), { plain: true }));
    const p = runNode([plain], { cwd: dir, env: cleanEnv() });
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stderr, /^tsprof: no function of this program is instrumented, so the profile is empty; run it with tsprof prof/);
    assert.match(p.stdout, /^ {9}0 function calls in 0\.000 seconds\n/);
  });

  test("exports: .cpuprofile, speedscope JSON and a flame graph, with the TS locations", () => {
    const r = prof(["stats", "--cpuprofile", "p.cpuprofile", "--speedscope", "p.speedscope.json", "--flame", "p.svg", "program.prof"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "", "exports only: no report");
    const cpu = JSON.parse(fs.readFileSync(path.join(dir, "p.cpuprofile"), "utf8")) as {
      nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; scriptId: string }; hitCount: number; children: number[] }>;
      startTime: number; endTime: number; samples: number[]; timeDeltas: number[];
    };
    const ids = new Set(cpu.nodes.map((n) => n.id));
    assert.equal(cpu.nodes[0].callFrame.functionName, "(root)");
    assert.equal(cpu.samples.length, cpu.timeDeltas.length);
    assert.ok(cpu.samples.every((s) => ids.has(s)) && cpu.nodes.every((n) => n.children.every((c) => ids.has(c))));
    assert.equal(cpu.nodes.reduce((a, n) => a + n.hitCount, 0), cpu.samples.length);
    assert.equal(cpu.endTime - cpu.startTime, cpu.timeDeltas.reduce((a, b) => a + b, 0));
    const fibNode = cpu.nodes.find((n) => n.callFrame.functionName === "fib")!;
    assert.equal(fibNode.callFrame.url, `file://${fs.realpathSync(dir)}/program.ts`.replace(/^file:\/\/\/?/, "file:///"));
    assert.equal(fibNode.callFrame.lineNumber, 1, "0-based, of the TypeScript source");
    const main = cpu.nodes.find((n) => n.callFrame.functionName === "main")!;
    assert.ok(main.children.includes(fibNode.id), "fib sits under main");
    // `tsprof export --to cpuprofile` writes the same file from the same profile.
    const exported = prof(["export", "--to", "cpuprofile", "-o", "e.cpuprofile", "program.prof"]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "e.cpuprofile"), "utf8")), cpu);

    const ss = JSON.parse(fs.readFileSync(path.join(dir, "p.speedscope.json"), "utf8")) as {
      $schema: string; shared: { frames: Array<{ name: string; file?: string; line?: number }> };
      profiles: Array<{ type: string; unit: string; samples: number[][]; weights: number[]; startValue: number; endValue: number }>;
    };
    assert.equal(ss.$schema, "https://www.speedscope.app/file-format-schema.json");
    const [p] = ss.profiles;
    assert.equal(p.type, "sampled");
    assert.equal(p.samples.length, p.weights.length);
    assert.ok(p.samples.every((st) => st.every((i) => Number.isInteger(i) && i >= 0 && i < ss.shared.frames.length)));
    assert.ok(Math.abs(p.weights.reduce((a, b) => a + b, 0) - p.endValue) < 1e-9);
    assert.deepEqual(ss.shared.frames.find((f) => f.name === "fib"), { name: "fib", file: path.join(fs.realpathSync(dir), "program.ts"), line: 2 });

    // The flame graph, looked at: fib's frame is the widest above main's, and is drawn.
    const svg = fs.readFileSync(path.join(dir, "p.svg"), "utf8");
    assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const rects = [...svg.matchAll(/<title>([^<]*)<\/title><rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g)].map((m) => ({ title: m[1], x: +m[2], y: +m[3], w: +m[4] }));
    const fibRect = rects.find((r) => r.title.startsWith("fib program.ts:2(fib)"))!;
    const mainRect = rects.find((r) => r.title.startsWith("main "))!;
    assert.ok(fibRect && mainRect, svg.slice(0, 2000));
    assert.ok(fibRect.y < mainRect.y && fibRect.x >= mainRect.x && fibRect.x + fibRect.w <= mainRect.x + mainRect.w + 0.01, "fib is drawn above main, within it");
    // Rendered, the pixel in the middle of fib's frame is fib's colour, and the frame spans most of the picture.
    assert.ok(svgToPng(svg).subarray(1, 4).toString() === "PNG");
    const { Resvg } = require("@resvg/resvg-js") as typeof import("@resvg/resvg-js");
    const image = new Resvg(svg).render();
    const fill = new RegExp(`<title>fib program\\.ts:2\\(fib\\)[^<]*</title><rect [^>]*fill="rgb\\((\\d+),(\\d+),(\\d+)\\)"`).exec(svg)!.slice(1).map(Number);
    const at = (x: number, y: number) => [...image.pixels.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3)];
    assert.deepEqual(at(Math.round(fibRect.x + fibRect.w / 2), fibRect.y + 2), fill);
    assert.ok(fibRect.w > image.width * 0.3, `fib, the bulk of the time, is ${fibRect.w}px wide of ${image.width}`);
  });

  test("every kind of function keeps its behaviour, and is counted", () => {
    fs.writeFileSync(path.join(dir, "syntax.ts"), SYNTAX);
    const r = prof(["prof", "-s", "line", "syntax.ts"]);
    assert.equal(r.status, 0, r.stderr);
    const plain = path.join(dir, "syntax-plain.js");
    fs.writeFileSync(plain, compile(SYNTAX, path.join(dir, "syntax.ts"), { plain: true }));
    const expected = runNode([plain]);
    assert.equal(expected.stdout, '[9,3,1,"c",1,"a",5,1,1,2,8,7,3,9,"in","string","rej"]\n', expected.stderr);
    assert.ok(r.stdout.startsWith(expected.stdout), r.stdout);
    for (const [name, n] of [["Shape.#hidden", "1"], ["Shape.make", "1"], ["Sq.constructor", "1"], ["Sq.reveal", "1"], ["Shape.reveal", "1"],
      ["over", "2"], ["get v", "1"], ["m", "1"], ["arrow", "1"], ["agen", "1"], ["aarrow", "1"], ["outer.<anonymous>", "1"], ["hoisted.inner", "1"], ["main", "1"]]) {
      assert.equal(row(r.stdout, name)[0], n, name);
    }
    assert.ok(!r.stdout.includes("(set v)"), "never called: no row");
  });

  test("a server stopped by SIGINT: the report is printed, and the process ends by the signal", async () => {
    fs.writeFileSync(path.join(dir, "server.ts"), [
      "let n = 0;",
      "function tick() { if (++n === 3) console.log(\"ready\"); }",
      "setInterval(tick, 5);",
      "",
    ].join("\n"));
    const child = spawn(process.execPath, [CLI, "prof", "server.ts"], { cwd: dir, env: cleanEnv() });
    let out = "";
    // "close": after the process ended and its output was read to the end.
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => {
      out += d;
      if (out.includes("ready\n")) resolve();
    }));
    child.kill("SIGINT");
    const signal = await ended;
    assert.equal(signal, "SIGINT");
    assert.match(out, /^ready\n {9}\d+ function calls in \d+\.\d{3} seconds\n/);
    assert.ok(Number(row(out, "tick")[0]) >= 3, out);
  });

  test("--node-modules: libraries' functions get rows of their own", () => {
    const lib = path.join(dir, "node_modules", "slug");
    fs.mkdirSync(lib, { recursive: true });
    fs.writeFileSync(path.join(lib, "package.json"), JSON.stringify({ name: "slug", version: "1.0.0", main: "index.js" }));
    fs.writeFileSync(path.join(lib, "index.js"), [
      "function lower(s) { return s.toLowerCase(); }",
      "exports.slugify = function slugify(s) { return lower(s).replace(/\\s+/g, \"-\"); };",
      "",
    ].join("\n"));
    fs.writeFileSync(path.join(dir, "uses-lib.ts"), [
      "import { slugify } from \"slug\";",
      "for (const t of [\"A b\", \"C d\", \"E f\"]) console.log(slugify(t));",
      "",
    ].join("\n"));
    const withLibs = prof(["prof", "--node-modules", "uses-lib.ts"]);
    assert.equal(withLibs.status, 0, withLibs.stderr);
    assert.ok(withLibs.stdout.startsWith("a-b\nc-d\ne-f\n"), withLibs.stdout);
    assert.equal(row(withLibs.stdout, "slugify")[0], "3");
    assert.equal(row(withLibs.stdout, "lower")[0], "3");
    const callers = prof(["prof", "-o", "lib.prof", "--node-modules", "uses-lib.ts"]);
    assert.equal(callers.status, 0, callers.stderr);
    assert.match(loadStats(path.join(dir, "lib.prof")).stripDirs().printCallers("lower"), /index\.js:1\(lower\) +<- +3 .* index\.js:2\(slugify\)\n/);
    const without = prof(["prof", "uses-lib.ts"]);
    assert.equal(without.status, 0, without.stderr);
    // By default node_modules run as they are: not counted (the sampler may still see them, with ncalls 0).
    assert.doesNotMatch(without.stdout, /\n +[1-9][\d/]* .*\(slugify\)\n/, "by default, node_modules run as they are");
    const clock = prof(["prof", "--mode", "clock", "uses-lib.ts"]);
    assert.ok(!clock.stdout.includes("(slugify)"), "the clock mode sees only what is instrumented");
  });

  test("ES modules, with top-level await", () => {
    fs.writeFileSync(path.join(dir, "esm.mts"), [
      "export function sq(x: number): number { return x * x; }",
      "const r = await Promise.resolve(3);",
      "console.log(sq(r), [1, 2].map(sq).join());",
      "",
    ].join("\n"));
    const r = prof(["prof", "esm.mts"]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith("9 1,4\n"), r.stdout);
    assert.equal(row(r.stdout, "sq")[0], "3");
    assert.equal(row(r.stdout, "<module>")[0], "1");
    assert.match(r.stdout, / esm\.mts:1\(sq\)\n/);
  });

  test("bad input: one line, exit 2", () => {
    const cases: Array<[string[], RegExp]> = [
      [["prof"], /^tsprof prof: no script given; for example: tsprof prof app\.ts/],
      [["prof", "missing.ts"], /^tsprof prof: missing\.ts: no such file/],
      [["prof", "-s", "fastest", "program.ts"], /^tsprof prof: invalid sort key "fastest" for -s; keys \(unique prefixes accepted\)/],
      [["prof", "-s", "c", "program.ts"], /invalid sort key "c"/],
    ];
    fs.writeFileSync(path.join(dir, "notes.txt"), "hi");
    cases.push([["prof", "notes.txt"], /^tsprof prof: notes\.txt: cannot run \.txt files/]);
    for (const [args, message] of cases) {
      const r = prof(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });
});
