/*
 * `tsprof prof --mode sampler`: exact counts from the counters, times from V8's CPU profiler on
 * every thread; built-ins, Node's internals and node_modules as rows of their own. No timed
 * assertions: only which rows exist, exact counts, and generous ratios between two functions
 * of the same run.
 */
import Ajv from "ajv";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { loadStats, profFromStats, readProf, statsFromProf } from "../report/pstats-read";
import type { FuncStat, Stats } from "../report/pstats";
import { toCpuProfile, toSpeedscope } from "../report/pstats-export";
import { sampledFunctions, sampledProfile } from "../runtime/calls-sampled";
import type { ProfCaller, ProfFile, ProfFunction } from "../runtime/prof-format";
import type { CpuProfile } from "../runtime/v8-cpu";
import { cleanEnv, CLI, compile, makeProject, ROOT, runNode, type RunResult } from "./helpers";

const PROGRAM = `"use strict";
import * as path from "node:path";
import { Worker, isMainThread } from "node:worker_threads";
import { slugify } from "slug";
function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
const isEven = (n: number): boolean => (n === 0 ? true : isOdd(n - 1));
function isOdd(n: number): boolean {
  return n === 0 ? false : isEven(n - 1);
}
function busy(): number {
  let s = 0;
  for (let i = 0; i < 4e7; i++) s += i % 7;
  return s;
}
function cheap(): number {
  let s = 0;
  for (let i = 0; i < 4e5; i++) s += i % 7;
  return s;
}
function spaces(): number {
  const text = "alpha  beta\\tgamma   delta ".repeat(60);
  let c = 0;
  for (let i = 0; i < 4000; i++) c += text.replace(/\\s+/g, "-").length;
  return c;
}
function libWork(): number {
  let n = 0;
  for (let i = 0; i < 40; i++) n += slugify("A b C d").length;
  return n;
}
function paths(): number {
  let n = 0;
  for (let i = 0; i < 100000; i++) n += path.join("a", "b", "..", String(i)).length;
  return n;
}
async function later(ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
}
function inWorker(): number {
  let s = 0;
  for (let i = 0; i < 3e7; i++) s += i % 5;
  return s;
}
async function main() {
  console.log(fib(20), isEven(10), isOdd(7), busy(), cheap(), spaces(), libWork(), paths(), await later(200));
  new Worker(__filename).on("exit", () => console.log("worker done"));
}
if (isMainThread) main();
else console.log("worker", inWorker());
`;

// A library as npm installs it: plain JavaScript, not instrumented (no --node-modules).
const LIB = `function spin(s) {
  let h = 0;
  for (let i = 0; i < 2e5; i++) h = (h * 31 + s.charCodeAt(i % s.length)) | 0;
  return h;
}
exports.slugify = function slugify(s) { return s.toLowerCase().replace(/\\s+/g, "-") + (spin(s) & 1); };
`;

const API_PROGRAM = `import { Profile } from "tsprof/profile";
function work() {
  let s = 0;
  for (let i = 0; i < 2e7; i++) s += i % 3;
  return s;
}
const p = new Profile({ mode: "sampler", interval: 200 });
p.enable();
work();
p.disable();
p.printStats("time");
try { new Profile({ mode: "clock" }); } catch (e) { console.log((e as Error).message); }
`;

let dir: string;
const prof = (args: string[]): RunResult => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: cleanEnv(), encoding: "utf8", timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
};
let run: RunResult;
let stats: Stats;

const fn = (s: Stats, name: string, file?: RegExp): FuncStat => {
  const found = [...s.stats.values()].find((f) => f.func.name === name && (!file || file.test(f.func.file)));
  assert.ok(found, `no row for ${name} in\n${s.printStats()}`);
  return found;
};

before(() => {
  dir = makeProject("tsprof-prof-sampler-");
  fs.writeFileSync(path.join(dir, "program.ts"), PROGRAM);
  fs.writeFileSync(path.join(dir, "api.ts"), API_PROGRAM);
  const lib = path.join(dir, "node_modules", "slug");
  fs.mkdirSync(lib, { recursive: true });
  fs.writeFileSync(path.join(lib, "package.json"), JSON.stringify({ name: "slug", version: "1.0.0", main: "index.js" }));
  fs.writeFileSync(path.join(lib, "index.js"), LIB);
  // A sampler thread starved by a loaded machine can miss a 20 ms stretch entirely (the line
  // profiler's sampled tests measured it): such a run is taken again, at most twice.
  for (let attempt = 0; attempt < 3; attempt++) {
    run = prof(["prof", "--mode", "sampler", "-o", "program.prof", "program.ts"]);
    if (run.status !== 0) break;
    stats = loadStats(path.join(dir, "program.prof")).stripDirs();
    if (allSampled(stats)) break;
  }
});

/** Whether every stretch the tests look at got samples. */
function allSampled(s: Stats): boolean {
  const tt = (name: string) => [...s.stats.values()].find((f) => f.func.name === name)?.tt ?? 0;
  const ct = (name: string) => [...s.stats.values()].find((f) => f.func.name === name)?.ct ?? 0;
  const re = [...s.stats.values()].find((f) => f.func.name === "<regexp /\\s+/>");
  const fromSpaces = [...(re?.callers ?? new Map())].some(([k, [, , t]]) => k.endsWith("\0spaces") && t > 0);
  return tt("busy") > 0.005 && tt("busy") > 3 * tt("cheap") && tt("inWorker") > 0.002 && fromSpaces && tt("spin") > 0 && ct("join") > 0;
}

describe("tsprof prof --mode sampler", () => {
  test("the program behaves as without tsprof; the file says how times were taken", () => {
    assert.equal(run.status, 0, run.stderr);
    const plain = path.join(dir, "plain.js");
    fs.writeFileSync(plain, compile(PROGRAM, path.join(dir, "program.ts"), { plain: true }));
    const expected = runNode([plain], { cwd: dir });
    assert.equal(expected.status, 0, expected.stderr);
    assert.equal(run.stdout, expected.stdout);
    const file = readProf(path.join(dir, "program.prof"));
    assert.equal(file.version, 2);
    assert.deepEqual(file.runs.map((r) => [r.mode, r.interval, r.threadId > 0]).sort(), [["v8-sampler", 100, false], ["v8-sampler", 100, true]]);
  });

  test("exact ncalls and primitive calls from the counters: fib(20) 21891/1, mutual recursion", () => {
    const report = stats.printStats();
    const row = (name: string) => report.split("\n").find((l) => l.endsWith(`(${name})`))?.trim().split(/\s+/)[0];
    assert.equal(row("fib"), "21891/1");
    assert.equal(row("isEven"), "10/2");
    assert.equal(row("isOdd"), "9/2");
    for (const name of ["busy", "cheap", "spaces", "libWork", "paths", "later", "main", "inWorker"]) assert.equal(row(name), "1", name);
    assert.equal(row("<module>"), "2", "the module body ran in the main thread and in the worker");
  });

  test("callers and callees: exact counts per edge for the program's functions", () => {
    const callers = stats.sort("stdname").printCallers("\\((fib|isOdd)\\)");
    assert.match(callers, /\nprogram\.ts:5\(fib\) +<- 21890\/2 +\d+\.\d{3} +\d+\.\d{3}  program\.ts:5\(fib\)\n +1 +\d+\.\d{3} +\d+\.\d{3}  program\.ts:47\(main\)\n/);
    assert.match(callers, /\nprogram\.ts:9\(isOdd\) +<- +8\/2 .*program\.ts:8\(isEven\)\n +1 .*program\.ts:47\(main\)\n/);
    const callees = stats.printCallees("\\(main\\)");
    for (const name of ["fib", "isEven", "isOdd", "busy", "cheap", "spaces", "libWork", "later"]) {
      assert.match(callees, new RegExp(` 1 +\\d+\\.\\d{3} +\\d+\\.\\d{3}  program\\.ts:\\d+\\(${name}\\)\\n`), name);
    }
  });

  test("a busy function gets clearly more tottime than a cheap one, and cumtime holds its callees", () => {
    const busy = fn(stats, "busy"), cheap = fn(stats, "cheap"), main = fn(stats, "main");
    // 100 times the work: a generous margin for a loaded machine and a lazily optimized loop.
    assert.ok(busy.tt > 0.005 && busy.tt > 3 * cheap.tt, `busy ${busy.tt} s, cheap ${cheap.tt} s`);
    assert.ok(busy.ct >= busy.tt - 1e-9 && main.ct >= busy.ct - 1e-9, `main's cumtime ${main.ct} includes busy's ${busy.ct}`);
    const fib = fn(stats, "fib");
    assert.ok(fib.ct <= main.ct + 1e-9, "recursion is counted once per stack");
  });

  test("built-ins in braces, with time and their caller from the sampled stacks; ncalls 0 = not counted", () => {
    const re = fn(stats, "<regexp /\\s+/>");
    assert.equal(re.func.file, "~");
    assert.ok(re.tt > 0 && re.nc === 0 && re.sampled, JSON.stringify(re));
    const report = stats.sort("time").printStats();
    assert.match(report, /\n +0 +\d+\.\d{3} {13}\d+\.\d{3} {10}\{regexp \/\\s\+\/\}\n/, "percall blank where nothing was counted, as pstats prints ncalls 0");
    assert.match(report, /\n {3}ncalls 0: not counted \(seen by V8's sampler only: built-ins, Node's internals, code not instrumented\)\n/);
    // Both callers are listed (spaces here, slugify in the library), in the order the samples first met them.
    const reCallers = stats.printCallers("regexp");
    assert.match(reCallers, /\n\{regexp \/\\s\+\/\} +<- +0 +\d+\.\d{3} +\d+\.\d{3}  (program\.ts|index\.js):\d+\((spaces|slugify)\)\n/);
    assert.match(reCallers, /(<-| {2,}) +0 +\d+\.\d{3} +\d+\.\d{3}  program\.ts:\d+\(spaces\)\n/);
    const join = fn(stats, "join", /^node:path$/);
    assert.ok(join.ct > 0 && join.nc === 0, "Node's internals have rows of their own");
    assert.match(stats.printCallers("\\(join\\)"), /node:path:\d+\(join\) +<- +0 .* program\.ts:\d+\(paths\)\n/);
  });

  test("node_modules not instrumented: rows from the sampler, under their caller", () => {
    const spin = fn(stats, "spin", /^index\.js$/);
    assert.ok(spin.tt > 0 && spin.nc === 0, JSON.stringify(spin));
    assert.equal(spin.func.line, 1);
    assert.match(stats.printCallers("\\(spin\\)"), /index\.js:1\(spin\) +<- +0 .* index\.js:6\(slugify\)\n/);
    assert.match(stats.printCallers("\\(slugify\\)"), /index\.js:6\(slugify\) +<- +0 .* program\.ts:\d+\(libWork\)\n/);
  });

  test("worker threads are sampled too", () => {
    const w = fn(stats, "inWorker");
    assert.ok(w.tt > 0.002, `inWorker's tottime ${w.tt}`);
  });

  test("async: suspension is in neither tottime nor cumtime (the sampler sees no suspended frame), and is reported apart", () => {
    const later = fn(stats, "later");
    assert.ok(later.wait >= 0.19, `waited ${later.wait}`);
    assert.ok(later.ct < later.wait / 2, `cumtime ${later.ct}`);
  });

  test("tsprof/profile: Profile({ mode: 'sampler' }) times what ran between enable and disable", () => {
    // Taken again (at most twice) when a starved sampler thread caught none of work's samples.
    let r = prof(["prof", "api.ts"]);
    for (let i = 0; i < 2 && r.status === 0 && /\n {8}1 +0\.000 .* api\.ts:2\(work\)\n/.test(r.stdout); i++) r = prof(["prof", "api.ts"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ {9}1 function calls in \d\.\d{3} seconds\n\n {3}Ordered by: internal time\n\n.*\n {8}1 +(\d\.\d{3}) .* api\.ts:2\(work\)\n/);
    const tt = Number(/\n {8}1 +(\d\.\d{3}) .* api\.ts:2\(work\)\n/.exec(r.stdout)![1]);
    assert.ok(tt > 0, r.stdout);
    assert.match(r.stdout, /tsprof\/profile: mode "clock" needs the clock at every call; run the program with tsprof prof --mode clock\n$/);
  });

  test("the file carries the sampled stacks, and the .cpuprofile export draws them: busy under main, spin under slugify", () => {
    const file = readProf(path.join(dir, "program.prof"));
    const main = file.runs.find((r) => r.threadId === 0)!;
    assert.ok(main.stacks && main.stacks.length > 0, "stacks written");
    const r = prof(["stats", "--cpuprofile", "s.cpuprofile", "program.prof"]);
    assert.equal(r.status, 0, r.stderr);
    const cpu = JSON.parse(fs.readFileSync(path.join(dir, "s.cpuprofile"), "utf8")) as CpuJson;
    const paths = cpuPaths(cpu);
    assert.ok(paths.has("<module>/main/busy"), [...paths].join("\n"));
    // The library's frames, not instrumented, in the stack V8 sampled (allSampled saw spin's samples).
    assert.ok(paths.has("<module>/main/libWork/slugify/spin"), [...paths].join("\n"));
    const busy = cpu.nodes.find((n) => n.callFrame.functionName === "busy")!;
    assert.equal(busy.callFrame.url, `file://${fs.realpathSync(dir)}/program.ts`.replace(/^file:\/\/\/?/, "file:///"));
    assert.equal(busy.callFrame.lineNumber, 11, "0-based, of the TypeScript source (line 12)");
  });

  test("--mode and --interval: bad values are one line, exit 2", () => {
    for (const [args, message] of [
      [["prof", "--mode", "fast", "program.ts"], /^tsprof prof: invalid mode "fast" for --mode; one of: sampler, clock/],
      [["prof", "--interval", "0", "program.ts"], /^tsprof prof: invalid --interval "0"; a whole number of microseconds/],
      [["prof", "--mode", "clock", "--interval", "50", "program.ts"], /^tsprof prof: --interval is for --mode sampler/],
    ] as Array<[string[], RegExp]>) {
      const r = prof(args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});

describe("sampled times (runtime/calls-sampled.ts) on a constructed V8 profile", () => {
  // A file with no source map: its compiled positions are its own. Lines are 0-based here.
  const file = "/virtual/app.ts";
  const url = "file:///virtual/app.ts";
  const infos = [
    { file, name: "<module>", line: 1, kind: "module" },
    { file, name: "outer", line: 2, kind: "function", span: [1, 0, 5, 1] as [number, number, number, number] },
    { file, name: "inner", line: 7, kind: "function", span: [6, 0, 8, 1] as [number, number, number, number] },
    { file, name: "rec", line: 10, kind: "function", span: [9, 0, 11, 1] as [number, number, number, number] },
  ];
  const counted = infos.map((f, id) => ({
    ...f, ncalls: [1, 1, 2, 5][id], pcalls: [1, 1, 2, 1][id], tottime: 0, cumtime: 0,
    callers: ([[[-1, 1, 1, 0, 0]], [[0, 1, 1, 0, 0]], [[1, 2, 2, 0, 0]], [[1, 1, 1, 0, 0], [3, 4, 0, 0, 0]]] as ProfCaller[][])[id],
  }));
  const frame = (functionName: string, u: string, lineNumber: number, columnNumber = 4) => ({ functionName, scriptId: "1", url: u, lineNumber, columnNumber });
  const own = `file://${path.join(ROOT, "dist", "runtime", "calls-writer.js")}`;
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", "", -1, -1), children: [2, 10, 11] },
      { id: 2, callFrame: frame("", url, 0, 0), children: [3] },
      // outer's node holds 3 samples on its own line (2, 1-based) and 1 on inner's (7): V8 inlined inner.
      { id: 3, callFrame: frame("outer", url, 1), children: [4, 6, 8], positionTicks: [{ line: 2, ticks: 3 }, { line: 7, ticks: 1 }] },
      { id: 4, callFrame: frame("rec", url, 9), children: [5] },
      { id: 5, callFrame: frame("rec", url, 9) },
      { id: 6, callFrame: frame("RegExp: a+", "", -1, -1) },
      { id: 8, callFrame: frame("writeProf", own, 40), children: [9] },
      { id: 9, callFrame: frame("readFileSync", "node:fs", 400) },
      { id: 10, callFrame: frame("(garbage collector)", "", -1, -1) },
      { id: 11, callFrame: frame("(idle)", "", -1, -1) },
    ],
    startTime: 0,
    endTime: 13_000,
    samples: [3, 3, 3, 3, 5, 5, 4, 6, 10, 9, 10, 11],
    timeDeltas: Array(12).fill(1000),
  };
  const rows = sampledFunctions(profile, infos, counted);
  const at = (name: string) => rows.find((r) => r.name === name)!;
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;

  test("self samples are tottime; an inlined callee's lines are given back to it", () => {
    assert.ok(near(at("outer").tottime, 0.003) && near(at("inner").tottime, 0.001), JSON.stringify([at("outer"), at("inner")]));
    assert.ok(near(at("rec").tottime, 0.003));
    assert.ok(near(at("<regexp /a+/>").tottime, 0.001));
  });

  test("cumtime counts each stack once (recursion), and tsprof's own frames and what they call are left out", () => {
    assert.ok(near(at("rec").cumtime, 0.003), `rec ${at("rec").cumtime}`);
    // outer: 4 own samples, rec's 3, the regexp's 1; not the profile writer's read below it.
    assert.ok(near(at("outer").cumtime, 0.008) && near(at("<module>").cumtime, 0.008), `outer ${at("outer").cumtime}`);
    assert.ok(!rows.some((r) => r.name === "readFileSync" || r.name === "writeProf"));
    assert.ok(!rows.some((r) => r.name.includes("idle")));
  });

  test("the garbage collector counts when the sample before it was the program's", () => {
    assert.ok(near(at("<garbage collector>").tottime, 0.001));
    assert.deepEqual([at("<garbage collector>").file, at("<garbage collector>").line, at("<garbage collector>").sampled], ["~", 0, true]);
  });

  test("the stacks as sampled: a tree of rows with self seconds, an inlined callee above its caller, tsprof's frames left out", () => {
    const { functions, stacks } = sampledProfile(profile, infos, counted);
    const named = stacks.map(([parent, row, self]) => [parent, functions[row].name, Math.round(self * 1e6)]);
    assert.deepEqual(named, [
      [-1, "<module>", 0],
      [0, "outer", 3000],
      [1, "inner", 1000],
      [1, "rec", 1000],
      [3, "rec", 2000],
      [1, "<regexp /a+/>", 1000],
      [-1, "<garbage collector>", 1000],
    ]);
  });

  test("edges: the counters' calls with the samples' times; sampled rows' callers from the stack", () => {
    const callers = (name: string) => at(name).callers.map(([c, nc, cc, tt, ct]) => [rows[c]?.name ?? c, nc, cc, Math.round(tt * 1e6), Math.round(ct * 1e6)]);
    assert.deepEqual(callers("rec"), [["outer", 1, 1, 1000, 3000], ["rec", 4, 0, 2000, 2000]]);
    assert.deepEqual(callers("inner"), [["outer", 2, 2, 1000, 1000]]);
    assert.deepEqual(callers("<regexp /a+/>"), [["outer", 0, 0, 1000, 1000]]);
    assert.deepEqual([at("<regexp /a+/>").ncalls, at("<regexp /a+/>").pcalls, at("<regexp /a+/>").sampled], [0, 0, true]);
  });
});

type CpuJson = { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children: number[] }> };

/** Every root-to-node path of a .cpuprofile, as names joined by "/". */
function cpuPaths(cpu: CpuJson): Set<string> {
  const byId = new Map(cpu.nodes.map((n) => [n.id, n]));
  const out = new Set<string>();
  const walk = (id: number, prefix: string) => {
    const n = byId.get(id)!;
    const here = n.callFrame.functionName === "(root)" ? "" : prefix ? `${prefix}/${n.callFrame.functionName}` : n.callFrame.functionName;
    if (here) out.add(here);
    for (const c of n.children) walk(c, here);
  };
  walk(cpu.nodes[0].id, "");
  return out;
}

describe("exports of a sampler profile draw its stacks; edges alone would mislead", () => {
  // main calls x and y; both call leaf; leaf calls deep only when x called it.
  const fns: ProfFunction[] = [
    { file: "/p/app.ts", line: 1, name: "main", ncalls: 1, pcalls: 1, tottime: 0, cumtime: 1, callers: [] },
    { file: "/p/app.ts", line: 5, name: "x", ncalls: 1, pcalls: 1, tottime: 0, cumtime: 0.6, callers: [[0, 1, 1, 0, 0.6]] },
    { file: "/p/app.ts", line: 9, name: "y", ncalls: 1, pcalls: 1, tottime: 0, cumtime: 0.4, callers: [[0, 1, 1, 0, 0.4]] },
    { file: "/p/app.ts", line: 13, name: "leaf", ncalls: 2, pcalls: 2, tottime: 0.5, cumtime: 1, callers: [[1, 1, 1, 0.1, 0.6], [2, 1, 1, 0.4, 0.4]] },
    { file: "/p/app.ts", line: 17, name: "deep", ncalls: 1, pcalls: 1, tottime: 0.5, cumtime: 0.5, callers: [[3, 1, 1, 0.5, 0.5]] },
  ];
  const file = (withStacks: boolean): ProfFile => ({
    format: "tsprof-prof", version: 2,
    runs: [{
      id: "1-0-1", session: "s", pid: 1, threadId: 0, argv: [], cwd: "/p", node: "v20", start: "", end: "", duration: 1, mode: "v8-sampler", interval: 100,
      functions: fns,
      ...(withStacks ? { stacks: [[-1, 0, 0], [0, 1, 0], [1, 3, 0.1], [2, 4, 0.5], [0, 2, 0], [4, 3, 0.4]] } : {}),
    }],
  });

  test(".cpuprofile and speedscope: deep only under x, as sampled; rebuilt from edges it would show under y too", () => {
    const real = cpuPaths(toCpuProfile(statsFromProf(file(true))) as CpuJson);
    assert.deepEqual([...real].sort(), ["main", "main/x", "main/x/leaf", "main/x/leaf/deep", "main/y", "main/y/leaf"]);
    const rebuilt = cpuPaths(toCpuProfile(statsFromProf(file(false))) as CpuJson);
    assert.ok(rebuilt.has("main/y/leaf/deep"), "the edges cannot tell which leaf called deep");
    const ss = toSpeedscope(statsFromProf(file(true))) as { shared: { frames: Array<{ name: string }> }; profiles: Array<{ samples: number[][]; weights: number[] }> };
    const stacks = ss.profiles[0].samples.map((st, i) => `${st.map((f) => ss.shared.frames[f].name).join("/")} ${ss.profiles[0].weights[i]}`);
    assert.deepEqual(stacks.sort(), ["main/x/leaf 0.1", "main/x/leaf/deep 0.5", "main/y/leaf 0.4"]);
    // speedscope's own schema, from its npm package, says the file is one it opens.
    const schema = JSON.parse(fs.readFileSync(require.resolve("speedscope/dist/release/file-format-schema.json"), "utf8"));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    assert.ok(validate(ss), JSON.stringify(validate.errors));
  });

  test("stacks survive add, strip_dirs and --dump; a run without them (clock mode) falls back to the edges", () => {
    const a = statsFromProf(file(true)), b = statsFromProf(file(true));
    a.add(b).stripDirs();
    const dumped = statsFromProf(JSON.parse(JSON.stringify(profFromStats(a))) as ProfFile);
    assert.ok(dumped.hasStacks());
    const ss = toSpeedscope(dumped) as { shared: { frames: Array<{ name: string; file?: string }> }; profiles: Array<{ samples: number[][]; weights: number[] }> };
    const deep = ss.shared.frames.findIndex((f) => f.name === "deep");
    assert.equal(ss.shared.frames[deep].file, "app.ts");
    const i = ss.profiles[0].samples.findIndex((st) => st[st.length - 1] === deep);
    assert.ok(Math.abs(ss.profiles[0].weights[i] - 1.0) < 1e-9, "two runs' deep, merged");
    const mixed = statsFromProf(file(true)).add(statsFromProf(file(false)));
    assert.ok(!mixed.hasStacks());
    assert.ok(cpuPaths(toCpuProfile(mixed) as CpuJson).has("main/y/leaf/deep"));
  });

  test("a malformed stack node is refused in one line", () => {
    const bad = file(true);
    bad.runs[0].stacks![3] = [7, 4, 0.5];
    const p = path.join(makeProject("tsprof-prof-stacks-"), "bad.prof");
    fs.writeFileSync(p, JSON.stringify(bad));
    assert.throws(() => readProf(p), /^Error: tsprof: .*bad\.prof is malformed: runs\[0\]\.stacks\[3\] is not \[parent node \(-1\.\.2\), function index \(0\.\.4\), self seconds >= 0\]; re-run the program to write it again$/);
  });
});
