/*
 * `tsprof export` and kernprof interop: each format parses as its own kind of file and carries
 * the profile's numbers; Python's viewer prints tsprof's pickles; `tsprof view` prints kernprof's.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeProject, ROOT, runNode, tsprof } from "./helpers";
import { sampleProfile, tempDir, writeJson } from "./html-fixture";
import { mergeProfiles } from "../report/profile";
import { readAnyProfile } from "../report/read-any";
import type { SpeedscopeFile } from "../report/export-speedscope";
import type { Table } from "../report/export-json";
import * as libCoverage from "istanbul-lib-coverage";
import * as libReport from "istanbul-lib-report";
import * as reports from "istanbul-reports";
import Ajv from "ajv";

const dir = tempDir("tsprof-export-");
const KERNPROF = path.join(ROOT, "fixtures", "kernprof");
const PYTHON = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import line_profiler"]).status === 0);
const NO_PYTHON = "Python's line_profiler is not installed (Debian: apt-get install python3-line-profiler; .ci/run installs it)";

writeJson(path.join(dir, "out.lprof"), sampleProfile());
const profile = mergeProfiles([sampleProfile()]);

function run(args: string[], cwd = dir) {
  const r = tsprof(args, { cwd });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

/** The numeric rows of a kernprof report: `line hits time perhit percent`, by function name. */
function reportRows(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let fn = "";
  for (const line of text.split("\n")) {
    const m = /^Function: (.*) at line \d+$/.exec(line);
    if (m) out.set((fn = m[1]), []);
    else if (fn && /^\s+\d+\s+\d+\s/.test(line)) out.get(fn)!.push(line.slice(0, 47).trim().split(/\s+/).join(" "));
  }
  return out;
}

/** Each function's numeric rows, whether or not the viewer found its source (then it names no function). */
function reportBlocks(text: string): string[] {
  return text.split("\nTotal time: ").slice(1).map((block) => [...reportRows(`Function: f at line 1\n${block}`).values()].pop()!.join(" | ")).sort();
}

test("tsprof view prints kernprof's own .lprof pickle exactly as python -m line_profiler does", () => {
  const r = run(["view", "wl.py.lprof"], KERNPROF);
  assert.equal(r.stdout, fs.readFileSync(path.join(KERNPROF, "wl.py.report.txt"), "utf8"));
  // Merged with itself, hits add up, as kernprof merges files.
  const twice = run(["view", "wl.py.lprof", "wl.py.lprof"], KERNPROF);
  assert.match(twice.stdout, /\n {5}7 {5}40000 /);
});

test("a pickle Python writes now reads the same in tsprof view", { skip: PYTHON ? false : NO_PYTHON }, () => {
  const work = tempDir("tsprof-kernprof-");
  for (const f of ["wl.py", "make.py"]) fs.copyFileSync(path.join(KERNPROF, f), path.join(work, f));
  const made = spawnSync(PYTHON!, ["make.py"], { cwd: work, encoding: "utf8" });
  assert.equal(made.status, 0, made.stderr);
  const py = spawnSync(PYTHON!, ["-m", "line_profiler", "wl.py.lprof"], { cwd: work, encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(run(["view", "wl.py.lprof"], work).stdout, py.stdout);
});

test("--to kernprof: python -m line_profiler prints the same hits and times, source included", { skip: PYTHON ? false : NO_PYTHON }, () => {
  const r = run(["export", "--to", "kernprof", "out.lprof", "-o", "out.pickle.lprof"]);
  assert.equal(r.stderr, "Wrote kernprof export to 'out.pickle.lprof'\n");
  const py = spawnSync(PYTHON!, ["-m", "line_profiler", "out.pickle.lprof"], { cwd: dir, encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const ours = reportRows(run(["view", "out.lprof"]).stdout);
  const theirs = reportRows(py.stdout);
  assert.deepEqual(theirs, ours);
  assert.deepEqual(ours.get("foo"), ["3 1 0.5 0.5 0.1", "4 1001 250.0 0.2 25.0", "5 1000 749.0 0.7 74.9", "7 1 0.5 0.5 0.1"]);
  // Each function's source is shown, a method's too (Python's tokenizer is given a block it can end).
  assert.match(py.stdout, /File: out\.pickle\.lprof\.src\/src\/cart\.ts\/line-10\.ts\nFunction: Cart\.bar at line 10\n/);
  assert.ok(py.stdout.includes("\n    13     60003        150.0      0.0     97.7      for (const item of items) seen.add(item);\n"));
  assert.ok(py.stdout.includes(`\n    15${" ".repeat(45)}}\n`));
});

test("--to kernprof round-trips through tsprof's own pickle reader", () => {
  run(["export", "--to", "kernprof", "out.lprof", "-o", "rt.pickle.lprof"]);
  const back = mergeProfiles([readAnyProfile(path.join(dir, "rt.pickle.lprof"))]);
  const numbers = (p: typeof profile) => p.functions.map((f) => [f.name, f.line, [...f.lines].map(([l, t]) => [l, t.hits, t.time])]);
  assert.deepEqual(numbers(back), numbers(profile));
  assert.deepEqual(back.functions.find((f) => f.name === "foo")!.source, profile.functions.find((f) => f.name === "foo")!.source);
});

test("a source Python's tokenizer cannot follow is left out; Python still prints its numbers", { skip: PYTHON ? false : NO_PYTHON }, () => {
  const odd = sampleProfile();
  odd.runs[0].functions[0].source[2] = "  let s = `{`.length - 1;";
  writeJson(path.join(dir, "odd.lprof"), odd);
  run(["export", "--to", "kernprof", "odd.lprof"]);
  const py = spawnSync(PYTHON!, ["-m", "line_profiler", "odd.pickle.lprof"], { cwd: dir, encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  assert.match(py.stdout, /Could not find file out|Could not find file odd\.pickle\.lprof\.src\/src\/a\.ts\/line-1\.ts/);
  assert.deepEqual(reportRows(py.stdout).get("Cart.bar"), reportRows(run(["view", "odd.lprof"]).stdout).get("Cart.bar"));
  assert.match(py.stdout, /\n {5}5 {6}1000 {8}749\.0 /);
});

test("a pickle that names anything but line_profiler's LineStats is refused, never run", () => {
  const str = (s: string) => [0x8c, s.length, ...Buffer.from(s)];
  const cases: [string, number[], RegExp][] = [
    // What `pickle.dumps(obj)` gives for an object whose __reduce__ returns (os.system, ("touch pwned",)).
    ["system.lprof", [0x80, 4, ...str("posix"), ...str("system"), 0x93, ...str("touch pwned"), 0x85, 0x52, 0x2e], /it names posix\.system, which a line_profiler pickle never does; opcode at byte 17/],
    ["reduce.lprof", [0x80, 2, 0x29, 0x52, 0x2e], /opcode 0x52 \(REDUCE\), which a line_profiler pickle never uses; opcode at byte 3/],
    ["cut.lprof", [0x80, 4, 0x95, 30, 0, 0, 0, 0, 0, 0, 0, ...str("line_profiler._line_profiler").slice(0, 10)], /truncated at byte 21; opcode at byte 2/],
  ];
  for (const [name, bytes, message] of cases) {
    fs.writeFileSync(path.join(dir, name), Buffer.from(bytes));
    const r = tsprof(["view", name], { cwd: dir });
    assert.equal(r.status, 1, name);
    assert.match(r.stderr, new RegExp(`^tsprof: ${name.replace(".", "\\.")} is a pickle tsprof will not read \\(${message.source}\\); tsprof reads line_profiler's \\.lprof files, as data only\\n$`));
  }
  assert.ok(!fs.existsSync(path.join(dir, "pwned")));
  // A pickle of plain data that is not a LineStats.
  fs.writeFileSync(path.join(dir, "list.lprof"), Buffer.from([0x80, 4, 0x5d, 0x2e]));
  const list = tsprof(["view", "list.lprof"], { cwd: dir });
  assert.equal(list.stderr, "tsprof: list.lprof is a pickle but not line_profiler's LineStats (no object with fields); pass a .lprof written by kernprof\n");
});

test("--to speedscope: a profile per function, lines as frames weighted by their time", () => {
  run(["export", "--to", "speedscope", "out.lprof"]);
  const file = JSON.parse(fs.readFileSync(path.join(dir, "out.speedscope.json"), "utf8")) as SpeedscopeFile;
  assert.equal(file.$schema, "https://www.speedscope.app/file-format-schema.json");
  // speedscope's own schema, from its npm package, says the file is one it opens.
  const schema = JSON.parse(fs.readFileSync(require.resolve("speedscope/dist/release/file-format-schema.json"), "utf8"));
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  assert.ok(validate(file), JSON.stringify(validate.errors));
  assert.ok(!validate({ ...file, profiles: [{ ...file.profiles[0], unit: "furlongs" }] }), "the schema rejects what speedscope would");
  assert.equal(file.profiles.length, 1 + profile.functions.length);
  for (const p of file.profiles) {
    assert.equal(p.type, "sampled");
    assert.equal(p.unit, "nanoseconds");
    assert.equal(p.samples.length, p.weights.length);
    assert.equal(p.endValue - p.startValue, p.weights.reduce((a, b) => a + b, 0));
    for (const stack of p.samples) for (const i of stack) assert.ok(Number.isInteger(i) && i >= 0 && i < file.shared.frames.length);
  }
  // Round trip: each function's per-line times come back from its profile's stacks.
  for (const fn of profile.functions) {
    const p = file.profiles.find((x) => x.name === `${fn.name} ${path.relative("/work/app", fn.file)}:${fn.line}`)!;
    const back = new Map(p.samples.map((s, i) => [file.shared.frames[s[1]].line!, p.weights[i]]));
    const expected = new Map([...fn.lines].filter(([, t]) => t.time > 0).map(([l, t]) => [l, t.time]));
    assert.deepEqual(back, expected, fn.name);
  }
  assert.equal(file.shared.frames[file.profiles[1].samples[0][0]].name, "foo (src/a.ts:1)");
  assert.equal(file.profiles[0].endValue, 1_000_000 + 153_600 + 8_150);
});

test("--to istanbul: istanbul's own libraries read the hits, and its lcov reporter writes them", () => {
  run(["export", "--to", "istanbul", "out.lprof", "-o", "coverage-final.json"]);
  const json = JSON.parse(fs.readFileSync(path.join(dir, "coverage-final.json"), "utf8"));
  const map = libCoverage.createCoverageMap(json);
  assert.deepEqual(map.files().sort(), ["/work/app/src/a.ts", "/work/app/src/cart.ts", "/work/app/src/net.ts"]);
  assert.deepEqual({ ...map.fileCoverageFor("/work/app/src/a.ts").getLineCoverage() }, { 3: 1, 4: 1001, 5: 1000, 7: 1 });
  assert.deepEqual({ ...map.fileCoverageFor("/work/app/src/cart.ts").getLineCoverage() }, { 12: 3, 13: 60003, 14: 3 });
  assert.deepEqual(JSON.parse(JSON.stringify(map.toJSON())), json, "istanbul keeps the file as written");
  // Functions: a called function counts its first line's entries; one never called counts 0.
  const a = map.fileCoverageFor("/work/app/src/a.ts");
  assert.deepEqual(Object.values(a.data.fnMap).map((f) => f.name), ["foo", "never"]);
  assert.deepEqual(Object.values(a.f), [1, 0]);
  const out = path.join(dir, "lcov");
  const context = libReport.createContext({ dir: out, coverageMap: map, sourceFinder: () => "" });
  (reports.create("lcovonly", { file: "lcov.info" }) as unknown as { execute(c: unknown): void }).execute(context);
  const lcov = fs.readFileSync(path.join(out, "lcov.info"), "utf8");
  assert.match(lcov, /SF:.*app\/src\/a\.ts\n(?:.*\n)*?DA:3,1\nDA:4,1001\nDA:5,1000\nDA:7,1\n/);
  assert.match(lcov, /FNDA:0,never\n/);
});

test("--to json: a flat table of every line that ran, with the report's numbers", () => {
  const r = run(["export", "--to", "json", "out.lprof", "-o", "-"]);
  const table = JSON.parse(r.stdout) as Table;
  assert.equal(table.format, "tsprof-table");
  assert.equal(table.unit, 1e-9);
  assert.equal(table.cwd, "/work/app");
  assert.equal(table.rows.length, [...profile.functions].reduce((a, f) => a + f.lines.size, 0));
  assert.deepEqual(table.rows[2], {
    file: "/work/app/src/a.ts", path: "src/a.ts", function: "foo", functionLine: 1, kind: "sync", line: 5, hits: 1000, time: 749000,
    wait: 0, samples: 0, memory: 0, allocated: 0, percent: 74.9, source: "    s += i;",
  });
  const wait = table.rows.find((row) => row.function === "fetchAll" && row.line === 23)!;
  assert.equal(wait.wait, 5_000_000);
  // Round trip: summing the rows gives back each function's totals.
  for (const fn of profile.functions) {
    const rows = table.rows.filter((row) => row.function === fn.name);
    assert.equal(rows.reduce((a, row) => a + row.time, 0), [...fn.lines.values()].reduce((a, t) => a + t.time, 0));
  }
});

test("export: bad input gives one clear line and a non-zero exit", () => {
  const cases: [string[], number, RegExp][] = [
    [["export", "out.lprof"], 2, /^tsprof export: no format given; pass --to with one of kernprof, speedscope, istanbul, json, cpuprofile\n/],
    [["export", "--to", "flamegraph", "out.lprof"], 2, /^tsprof export: unknown format "flamegraph"; formats: kernprof, speedscope, istanbul, json, cpuprofile\n/],
    [["export", "--to", "cpuprofile", "out.lprof"], 1, /^tsprof: out\.lprof is not a function profile \(no "format": "tsprof-prof"\); it is a line profile: read it with tsprof view\n$/],
    [["export", "--to", "json"], 2, /^tsprof export: no \.lprof file given \(for example: tsprof export --to json out\.lprof\)\n/],
    [["export", "--to", "json", "missing.lprof"], 1, /^tsprof: missing\.lprof: no such file; /],
    [["export", "--to", "kernprof", "out.lprof", "-o", "-"], 2, /^tsprof export: a pickle is binary and its sources go beside it; write it to a file with -o FILE\n/],
  ];
  for (const [args, status, message] of cases) {
    const r = tsprof(args, { cwd: dir });
    assert.equal(r.status, status, args.join(" "));
    assert.match(r.stderr, message);
    assert.ok(r.stderr.split("\n").length <= 3, r.stderr);
  }
});

test("pickled numbers survive any size: hits past 2^31, times past 2^53 ns are written as Python longs", { skip: PYTHON ? false : NO_PYTHON }, () => {
  const big = sampleProfile();
  big.runs[0].functions[0].lines = [[3, 3_000_000_000, 2 ** 53 + 2, 0, 0, 0], [4, 255, 65_536, 0, 0, 0], [5, 70_000, 2 ** 31, 0, 0, 0]];
  writeJson(path.join(dir, "big.lprof"), big);
  run(["export", "--to", "kernprof", "big.lprof"]);
  const py = spawnSync(PYTHON!, ["-c", "import pickle,sys; s = pickle.load(open(sys.argv[1], 'rb')); print([v for k, v in s.timings.items() if k[2] == 'foo'], s.unit)", "big.pickle.lprof"], { cwd: dir, encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout, `[[(3, 3000000000, ${2 ** 53 + 2}), (4, 255, 65536), (5, 70000, 2147483648)]] 1e-09\n`);
  const back = mergeProfiles([readAnyProfile(path.join(dir, "big.pickle.lprof"))]).functions.find((f) => f.name === "foo")!;
  assert.deepEqual([...back.lines].map(([l, t]) => [l, t.hits, t.time]), [[3, 3_000_000_000, 2 ** 53 + 2], [4, 255, 65_536], [5, 70_000, 2 ** 31]]);
});

test("a real run: tsprof run, export --to kernprof, and Python's viewer agree on every row", { skip: PYTHON ? false : NO_PYTHON }, () => {
  const project = makeProject("tsprof-export-run-");
  fs.writeFileSync(path.join(project, "app.ts"), `class Words {
  counts = new Map<string, number>();
  /** @profile */
  add(text: string) {
    for (const w of text.split(/[^a-z']+/)) this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
  }
  /** @profile */
  top(n: number) {
    const all = [...this.counts];
    all.sort((a, b) => b[1] - a[1]);
    return all.slice(0, n);
  }
}
/** @profile */
function main() {
  const words = new Words();
  for (let i = 0; i < 50; i++) words.add("it was the best of times it was the worst of times");
  return words.top(2);
}
console.log(JSON.stringify(main()));
`);
  const r = runNode([path.join(ROOT, "bin", "tsprof.js"), "run", "-q", "app.ts"], { cwd: project });
  assert.equal(r.status, 0, r.stderr);
  run(["export", "--to", "kernprof", "app.ts.lprof"], project);
  const py = spawnSync(PYTHON!, ["-m", "line_profiler", "app.ts.pickle.lprof"], { cwd: project, encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const view = run(["view", "app.ts.lprof"], project).stdout;
  assert.deepEqual(reportBlocks(py.stdout), reportBlocks(view));
  const ours = reportRows(view);
  assert.deepEqual([...ours.keys()].sort(), ["Words.add", "Words.top", "main"]);
  assert.equal(ours.get("main")!.find((row) => row.startsWith("17 "))!.split(" ")[1], "51");
  // Words.add's regular expression holds a lone quote, which Python's tokenizer cannot follow.
  assert.match(py.stdout, /Could not find file app\.ts\.pickle\.lprof\.src\/app\.ts\/line-3\.ts/);
  assert.match(py.stdout, /File: app\.ts\.pickle\.lprof\.src\/app\.ts\/line-7\.ts\nFunction: Words\.top at line 7\n/);
});

test("kernprof pickles of every protocol line_profiler may write (2 to 5) read the same", { skip: PYTHON ? false : NO_PYTHON }, () => {
  const work = tempDir("tsprof-protocols-");
  fs.copyFileSync(path.join(KERNPROF, "wl.py"), path.join(work, "wl.py"));
  const py = spawnSync(PYTHON!, ["-c", `import pickle
from line_profiler import load_stats
stats = load_stats(${JSON.stringify(path.join(KERNPROF, "wl.py.lprof"))})
for p in (2, 3, 4, 5):
    with open(f"p{p}.lprof", "wb") as f:
        pickle.dump(stats, f, p)
`], { cwd: work, encoding: "utf8" });
  assert.equal(py.status, 0, py.stderr);
  const expected = fs.readFileSync(path.join(KERNPROF, "wl.py.report.txt"), "utf8");
  for (const p of [2, 3, 4, 5]) {
    assert.equal(fs.readFileSync(path.join(work, `p${p}.lprof`))[1], p);
    assert.equal(run(["view", `p${p}.lprof`], work).stdout, expected, `protocol ${p}`);
  }
});
