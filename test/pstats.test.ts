/*
 * The pstats side, on constructed data: every sort key, restrictions, callers/callees, strip_dirs
 * and add print exactly what Python's pstats prints for the same figures (checked against
 * python3 itself when it is installed, and against a golden report always); the file format's
 * validation; the interactive browser driven through stdin.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import type { ProfFile, ProfFunction } from "../runtime/prof-format";
import { parseRestriction, SORT_KEYS, sortKeyTable, type Restriction, type Stats } from "../report/pstats";
import { dumpStats, loadStats, statsFromProf } from "../report/pstats-read";
import { tsprof } from "./helpers";

const fn = (file: string, line: number, name: string, ncalls: number, pcalls: number, tottime: number, cumtime: number, callers: ProfFunction["callers"] = []): ProfFunction =>
  ({ file, line, name, ncalls, pcalls, tottime, cumtime, callers });

// Chosen so each sort key gives its own order, with ties to show the sort is stable.
const FUNCTIONS: ProfFunction[] = [
  fn("/src/app/main.ts", 1, "<module>", 1, 1, 0.0004, 0.25),
  fn("/src/app/main.ts", 12, "main", 1, 1, 0.0121, 0.2496, [[0, 1, 1, 0.0121, 0.2496]]),
  fn("/src/lib/fib.ts", 3, "fib", 21891, 1, 0.1875, 0.1875, [[2, 21890, 2, 0.17, 0.1875], [1, 1, 1, 0.0175, 0.1875]]),
  fn("/src/lib/parity.ts", 7, "isEven", 6, 1, 0.0001, 0.0002, [[4, 5, 1, 0.00008, 0.00015], [1, 1, 1, 0.00002, 0.0002]]),
  fn("/src/lib/parity.ts", 2, "isOdd", 5, 1, 0.0001, 0.00015, [[3, 5, 1, 0.0001, 0.00015]]),
  fn("/src/app/util.ts", 40, "parse", 300, 300, 0.03, 0.04, [[1, 300, 300, 0.03, 0.04]]),
  fn("~", 0, "<built-in method JSON.parse>", 300, 300, 0.01, 0.01, [[5, 300, 300, 0.01, 0.01]]),
  fn("/src/lib/util.ts", 40, "parse", 12, 12, 0.0625, 0.0625, [[1, 12, 12, 0.0625, 0.0625]]),
  fn("/src/app/util.ts", 9, "Cart.get total", 2, 2, 0.0005, 0.0005, [[1, 2, 2, 0.0005, 0.0005]]),
];

function profOf(functions: ProfFunction[]): ProfFile {
  return {
    format: "tsprof-prof", version: 1,
    runs: [{ id: "r", session: "s", pid: 1, threadId: 0, argv: [], cwd: "/", node: "v20", start: "", end: "", duration: 1, mode: "deterministic", functions }],
  };
}

const fresh = () => statsFromProf(profOf(FUNCTIONS));

type Op = ["sort", ...string[]] | ["reverse"] | ["strip"] | ["add"] | ["stats" | "callers" | "callees", ...(number | string)[]];

function ours(ops: Op[]): string {
  const s: Stats = fresh();
  let out = "";
  for (const [op, ...args] of ops) {
    const r = args.map((a) => (typeof a === "number" && !Number.isInteger(a) ? { fraction: a } : a)) as Restriction[];
    if (op === "sort") s.sort(...(args as string[]));
    else if (op === "reverse") s.reverse();
    else if (op === "strip") s.stripDirs();
    else if (op === "add") s.add(fresh());
    else if (op === "stats") out += s.printStats(...r);
    else if (op === "callers") out += s.printCallers(...r);
    else out += s.printCallees(...r);
    out += "@@\n";
  }
  return out;
}

const SCENARIOS: Op[][] = [
  [["stats"]],
  ...Object.keys(SORT_KEYS).map((k): Op[] => [["sort", k], ["stats"]]),
  [["sort", "cumu"], ["stats"]],
  [["sort", "tim"], ["stats"]],
  [["sort", "pc"], ["stats"]],
  [["sort", "file", "line"], ["stats"]],
  [["sort", "calls", "name"], ["stats"]],
  [["sort", "time"], ["reverse"], ["stats"]],
  [["sort", "cumulative"], ["stats", 3]],
  [["sort", "cumulative"], ["stats", 0.5]],
  [["sort", "cumulative"], ["stats", "parse"]],
  [["sort", "cumulative"], ["stats", "parse", 1]],
  [["sort", "cumulative"], ["stats", 4, "lib"]],
  [["sort", "cumulative"], ["stats", "("]],
  [["sort", "stdname"], ["callers"]],
  [["sort", "stdname"], ["callees"]],
  [["sort", "time"], ["callers", "fib|is"]],
  [["callees", 2]],
  [["strip"], ["sort", "stdname"], ["stats"], ["callers"], ["callees"]],
  [["add"], ["sort", "time"], ["stats"], ["callers", "parse"]],
];

function python(): string | undefined {
  const r = spawnSync("python3", ["-c", "import pstats, marshal"], { encoding: "utf8" });
  return r.status === 0 ? "python3" : undefined;
}

/** What Python's pstats prints for the same figures and operations. */
function theirs(ops: Op[][]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-pstats-"));
  const data = FUNCTIONS.map((f) => [f.file, f.line, f.name, f.pcalls, f.ncalls, f.tottime, f.cumtime,
    f.callers.map(([c, nc, cc, tt, ct]) => [FUNCTIONS[c].file, FUNCTIONS[c].line, FUNCTIONS[c].name, nc, cc, tt, ct])]);
  fs.writeFileSync(path.join(dir, "data.json"), JSON.stringify({ data, ops }));
  const script = `
import io, json, marshal, pstats, sys
spec = json.load(open(sys.argv[1]))
stats = {}
for file, line, name, cc, nc, tt, ct, callers in spec["data"]:
    stats[(file, line, name)] = (cc, nc, tt, ct, {(f, l, n): (a, b, c, d) for f, l, n, a, b, c, d in callers})
path = sys.argv[1] + ".prof"
marshal.dump(stats, open(path, "wb"))
for ops in spec["ops"]:
    out = io.StringIO()
    s = pstats.Stats(path, stream=out)
    s.files = []
    for op, *args in ops:
        if op == "sort": s.sort_stats(*args)
        elif op == "reverse": s.reverse_order()
        elif op == "strip": s.strip_dirs()
        elif op == "add":
            t = pstats.Stats(path); t.files = []; s.add(t)
        elif op == "stats": s.print_stats(*args)
        elif op == "callers": s.print_callers(*args)
        else: s.print_callees(*args)
        out.write("@@\\n")
    sys.stdout.write(json.dumps(out.getvalue()) + "\\n")
`;
  const r = spawnSync("python3", ["-c", script, path.join(dir, "data.json")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split("\n").map((l) => JSON.parse(l) as string);
}

describe("pstats text", () => {
  test("every sort key, restriction, callers/callees, strip_dirs and add print what Python's pstats prints", { skip: python() ? false : "python3 is not installed (apt-get install -y python3)" }, () => {
    const expected = theirs(SCENARIOS);
    SCENARIOS.forEach((ops, i) => assert.equal(ours(ops), expected[i], `scenario ${JSON.stringify(ops)}`));
  });

  test("golden report: cProfile's header, %8.3f columns, total/primitive ncalls, built-ins in braces", () => {
    const s = fresh().sort("time");
    assert.equal(s.printStats(4), [
      "         22518 function calls (619 primitive calls) in 0.303 seconds",
      "",
      "   Ordered by: internal time",
      "   List reduced from 9 to 4 due to restriction <4>",
      "",
      "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)",
      "  21891/1    0.188    0.000    0.188    0.188 /src/lib/fib.ts:3(fib)",
      "       12    0.062    0.005    0.062    0.005 /src/lib/util.ts:40(parse)",
      "      300    0.030    0.000    0.040    0.000 /src/app/util.ts:40(parse)",
      "        1    0.012    0.012    0.250    0.250 /src/app/main.ts:12(main)",
      "", "", "",
    ].join("\n"));
    assert.match(fresh().printStats("JSON"), /\n {6}300 {4}0\.010 {4}0\.000 {4}0\.010 {4}0\.000 \{built-in method JSON\.parse\}\n/);
  });

  test("each sort key orders rows as its pstats definition says", () => {
    const names = (key: string) => fresh().sort(key).printStats().split("\n").filter((l) => /^\s+[\d/]+\s+\d+\.\d{3} /.test(l)).map((l) => l.slice(46));
    const byTime = names("time");
    assert.equal(byTime[0], "/src/lib/fib.ts:3(fib)");
    assert.deepEqual(names("tottime"), byTime);
    assert.equal(names("cumulative")[0], "/src/app/main.ts:1(<module>)");
    assert.equal(names("calls")[0], "/src/lib/fib.ts:3(fib)");
    assert.equal(names("pcalls")[0], "/src/app/util.ts:40(parse)", "300 primitive calls first, before the 300 of JSON.parse (stable)");
    assert.equal(names("line")[0], "{built-in method JSON.parse}");
    assert.equal(names("name")[0], "{built-in method JSON.parse}", "by the name field: <built-in …> before <module>");
    assert.deepEqual(names("nfl").slice(-2), ["/src/app/util.ts:40(parse)", "/src/lib/util.ts:40(parse)"]);
    assert.equal(names("stdname")[0], "/src/app/main.ts:1(<module>)");
    assert.equal(names("file").at(-1), "{built-in method JSON.parse}", "file ~ sorts after every path");
    assert.deepEqual(names("module"), names("filename"));
    // Unique prefixes; "c" and "cum" (calls, cumulative, cumtime) are not.
    const table = sortKeyTable();
    assert.ok(table.has("cumu") && table.has("tot") && table.has("std") && table.has("p"));
    assert.ok(!table.has("c") && !table.has("cum") && !table.has("t") && !table.has("n"), "ambiguous prefixes are refused, as by pstats");
  });

  test("restrictions parse as pstats' browser reads them", () => {
    assert.equal(parseRestriction("10"), 10);
    assert.deepEqual(parseRestriction("0.25"), { fraction: 0.25 });
    assert.equal(parseRestriction("fib|parse"), "fib|parse");
    assert.ok(parseRestriction("1.5") instanceof Error);
  });
});

describe("the .prof file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-prof-file-"));
  const write = (name: string, content: string | object) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
  };

  test("dump and read back: the same report; two files merge as pstats' add", () => {
    const a = write("a.prof", profOf(FUNCTIONS));
    const dumped = path.join(dir, "dumped.prof");
    dumpStats(loadStats(a), dumped);
    const strip = (t: string) => t.split("\n").slice(2).join("\n");
    assert.equal(strip(loadStats(dumped).sort("time").printStats()), strip(loadStats(a).sort("time").printStats()));
    const r = tsprof(["stats", "-s", "calls", "-r", "1", a, dumped]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^.* {4}.*a\.prof\n.* {4}.*dumped\.prof\n\n {9}45036 function calls \(1238 primitive calls\)/);
    assert.match(r.stdout, /\n  43782\/2 {4}0\.375 {4}0\.000 {4}0\.375 {4}0\.188 \/src\/lib\/fib\.ts:3\(fib\)\n/);
    const merged = path.join(dir, "merged.prof");
    assert.equal(tsprof(["stats", "--dump", merged, a, a]).status, 0);
    assert.match(tsprof(["stats", merged]).stdout, /45036 function calls/);
  });

  test("bad files: one line naming the file, the problem and the fix; exit 1", () => {
    const lprof = write("x.lprof", { format: "tsprof-lprof", version: 1, unit: 1e-9, runs: [] });
    const cases: Array<[string, RegExp]> = [
      [path.join(dir, "missing.prof"), /missing\.prof: no such file; write one with tsprof prof -o/],
      [write("empty.prof", ""), /empty\.prof is empty/],
      [write("trunc.prof", '{"format": "tsprof-prof", "runs": ['), /trunc\.prof is not a tsprof profile \(truncated JSON at byte 35\)/],
      [write("bin.prof", "\u00fb\u0001\u0002"), /bin\.prof is not a tsprof profile \(not JSON/],
      [lprof, /x\.lprof is not a function profile .*it is a line profile: read it with tsprof view/],
      [write("new.prof", { ...profOf([]), version: 99 }), /newer tsprof \(format version 99/],
      [write("calls.prof", profOf([fn("/a.ts", 1, "f", 1, 2, 0, 0)])), /runs\[0\]\.functions\[0\] has ncalls\/pcalls that are not counts with pcalls <= ncalls/],
      [write("edge.prof", profOf([fn("/a.ts", 1, "f", 1, 1, 0, 0, [[5, 1, 1, 0, 0]])])), /functions\[0\]\.callers\[0\] is not \[caller index \(-1\.\.0\)/],
    ];
    // A named pipe is refused at once, never read (it would block until a writer came).
    const fifo = path.join(dir, "pipe.prof");
    if (spawnSync("mkfifo", [fifo]).status === 0) cases.push([fifo, /pipe\.prof is not a regular file \(a named pipe\); pass a \.prof file/]);
    for (const [file, message] of cases) {
      const r = tsprof(["stats", file]);
      assert.equal(r.status, 1, `${file}: ${r.stdout}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    const bad = tsprof(["stats", "-s", "speed", write("ok.prof", profOf(FUNCTIONS))]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /invalid sort key "speed" for -s; keys \(unique prefixes accepted\): calls, ncalls/);
    assert.equal(tsprof(["stats"]).status, 2);
  });

  test("the interactive browser, driven through stdin", () => {
    const file = write("browse.prof", profOf(FUNCTIONS));
    const other = write("other.prof", profOf(FUNCTIONS.slice(0, 3)));
    const script = ["sort tim", "stats 2", "callers fib", "strip", "callees ^main", "add " + other, "sort time", "reverse", "stats 1", "sort nope",
      "help stats", "bogus", "stats 7.5", "read " + path.join(dir, "gone.prof"), "read", "quit", "stats"].join("\n");
    const r = tsprof(["stats", "-i", file], { input: `${script}\n` });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.ok(out.startsWith("Welcome to the profile statistics browser.\n"), out);
    assert.ok(out.endsWith("Goodbye.\n"), out);
    const prompt = `${file}% `;
    assert.equal(out.split(prompt).length - 1, 16, "a prompt before each command read until quit");
    const chunk = (i: number) => out.split(prompt)[i + 1];
    assert.match(chunk(1), /Ordered by: internal time\n {3}List reduced from 9 to 2 due to restriction <2>\n\n {3}ncalls.*\n {2}21891\/1 {4}0\.188.*\/src\/lib\/fib\.ts:3\(fib\)\n {7}12 /);
    assert.ok(chunk(2).includes([
      "/src/lib/fib.ts:3(fib)  <-       1    0.018    0.188  /src/app/main.ts:12(main)",
      "                           21890/2    0.170    0.188  /src/lib/fib.ts:3(fib)",
    ].join("\n")), chunk(2));
    assert.match(chunk(4), /main\.ts:12\(main\) +->/);
    assert.ok(!chunk(4).includes("/src/"), "strip took the directories off");
    assert.match(chunk(8), /^.*browse\.prof\n.*other\.prof\n\n {9}44411 function calls \(622 primitive calls\)/, "add merged the second file");
    assert.match(chunk(8), /Ordered by: internal time\n.*List reduced from 11 to 1 due to restriction <1>\n\n.*\n.*parity\.ts:2\(isOdd\)\n/, "reverse put the cheapest (0.0001 s) first");
    assert.match(chunk(9), /Valid sort keys \(unique prefixes are accepted\):\ncalls -- call count\n/);
    assert.match(chunk(10), /^Print statistics from the current stat object\.\nArguments may be:/);
    assert.match(chunk(11), /^\*\*\* Unknown syntax: bogus\n/);
    assert.match(chunk(12), /^Fraction argument must be in \[0, 1\]\n/);
    assert.match(chunk(13), /gone\.prof: no such file/);
    assert.doesNotMatch(out.split(prompt).at(-1)!, /function calls/, "nothing runs after quit");
    // An empty line repeats the last command, as in Python's cmd.
    const again = tsprof(["stats", "-i", file], { input: "stats 1\n\nquit\n" });
    assert.equal(again.stdout.split("List reduced from 9 to 1 due to restriction <1>").length - 1, 2, again.stdout);
    // End of input quits too.
    const eof = tsprof(["stats", "-i", file], { input: "stats 1\n" });
    assert.equal(eof.status, 0);
    assert.ok(eof.stdout.endsWith(`${prompt}\nGoodbye.\n`), eof.stdout);
    // No file: commands say so.
    const none = tsprof(["stats", "-i"], { input: "stats\nsort time\n" });
    assert.match(none.stdout, /^Welcome to the profile statistics browser\.\n% No statistics object is loaded\.\n% No statistics object is loaded\.\n% \nGoodbye\.\n$/);
  });
});
