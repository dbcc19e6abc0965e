/*
 * The fidelity bench's ground truth: how samples of V8's CPU profile become per-line truth
 * (bench/fidelity.ts), checked on a constructed profile of a compiled program.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, hitsByLine, makeProject, profEnv, runNode } from "./helpers";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";
import { formatFidelity, generatedToSource, score, sourceShape, spreadOf, truthFromCpuProfile, withoutTry, type FidelityResults } from "../bench/fidelity";

const SOURCE = [
  "interface Row { a: number }", // erased: generated lines shift
  "function helper(x: number): number {",
  "  return x * 2;",
  "}",
  "function other(x: number): number { return x + 1; }",
  "function main(xs: string[]): number {",
  "  let s = 0;",
  "  for (const x of xs) {",
  "    s += helper(x.length);",
  "    s += other(/a+/.exec(x)?.length ?? 0);",
  "  }",
  "  return s;",
  "}",
].join("\n");

test("V8 samples map to TS lines: own lines, inlined helpers and callees to their call lines, RegExps to the exec line", () => {
  const js = compile(SOURCE, "/p/main.ts", { plain: true, compilerOptions: { inlineSourceMap: true } });
  const genToSrc = generatedToSource(js);
  const genLine = (src: number) => genToSrc.indexOf(src);
  for (const l of [3, 5, 6, 7, 9, 10]) assert.ok(genLine(l) > 0, `line ${l} is in the source map`);
  const shape = sourceShape(SOURCE, "/p/main.ts", "main");
  assert.deepEqual([shape.first, shape.last], [6, 13]);
  const url = "file:///p/main.js";
  const frame = (functionName: string, line: number, u = url) => ({ functionName, url: u, lineNumber: line, columnNumber: 0 });
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", -1, ""), hitCount: 0, children: [2, 7] },
      {
        id: 2, callFrame: frame("main", genLine(6) - 1), hitCount: 0, children: [3, 4, 5],
        // Own lines; a line of `helper` (inlined into main); a line of code from another file.
        positionTicks: [{ line: genLine(7), ticks: 10 }, { line: genLine(9), ticks: 20 }, { line: genLine(3), ticks: 30 }, { line: 900, ticks: 40 }],
      },
      { id: 3, callFrame: frame("other", genLine(5) - 1), hitCount: 50, children: [6] },
      { id: 4, callFrame: frame("RegExp: a+", -1, ""), hitCount: 60 },
      // main called recursively from main: counted once, as the callee of its call line (none here: shared).
      { id: 5, callFrame: frame("main", genLine(6) - 1), hitCount: 5, positionTicks: [{ line: genLine(7), ticks: 5 }] },
      { id: 6, callFrame: frame("(anonymous)", 1, "node:internal"), hitCount: 7 },
      { id: 7, callFrame: frame("(garbage collector)", -1, ""), hitCount: 11 },
    ],
    samples: [], timeDeltas: [],
  };
  const t = truthFromCpuProfile(profile, url, genToSrc, shape, "main");
  assert.equal(t.total, 10 + 20 + 30 + 40 + 57 + 60 + 5);
  assert.equal(t.gc, 11);
  const line = (l: number) => Math.round(100 * (t.lines.get(l) ?? 0)) / 100;
  assert.equal(line(7), 10);
  // Line 9: its own 20, helper's inlined 30; line 10: other's 57 inclusive and the RegExp's 60.
  // The 40 from another file and the recursive call's 5 are shared by the call lines, 50/117 to 67/117.
  assert.equal(line(9) + line(10), 20 + 30 + 57 + 60 + 45);
  assert.equal(line(9), Math.round(100 * (50 + (45 * 50) / 167)) / 100);
  assert.equal(t.shared, 45);
});

test("score: worst line and mean in points of % Time, over every line either side timed", () => {
  const s = score(new Map([[1, 25], [2, 75]]), new Map([[1, 30], [2, 60], [3, 10]]));
  assert.equal(s.worstLine, 2);
  assert.ok(Math.abs(s.worst - 15) < 1e-9);
  assert.ok(Math.abs(s.mean - (5 + 15 + 10) / 3) < 1e-9);
});

test("the truth's floor scores each truth against the sum of the others, the largest over the truths", () => {
  // Shares of line 1: 20%, 30%, 40% (100 samples each). Against the others' sum: 35, 30, 25.
  const t = (a: number) => new Map([[1, a], [2, 100 - a]]);
  const s = spreadOf([t(20), t(30), t(40)]);
  assert.equal(s.sets, 3);
  assert.ok(Math.abs(s.worst - 20) < 1e-9, `pairwise worst ${s.worst}`);
  assert.ok(Math.abs(s.floor! - 15) < 1e-9, `floor ${s.floor}`);
  // Pair means: |20-30|, |20-40|, |30-40| over both lines.
  assert.ok(Math.abs(s.mean - (10 + 20 + 10) / 3) < 1e-9);
});

test("the table shows the truth's own spread and floor next to each program and names fixtures whose floor exceeds the target", () => {
  const s = score(new Map([[1, 25], [2, 75]]), new Map([[1, 27], [2, 73]]));
  const f: FidelityResults = {
    node: "v0", date: "", loadavg: [0, 0, 0], seconds: 1,
    modes: [{ name: "v8", env: {} }],
    results: [
      { program: "small", kind: "fixture", truthSamples: 100, sharedSamples: 0, gcSamples: 0, truth: {}, truthSpread: { worst: 3.25, mean: 1.5, sets: 3, floor: 2.25 }, modes: { v8: { idle: s, loaded: undefined } } },
      { program: "csv", kind: "program", truthSamples: 100, sharedSamples: 0, gcSamples: 0, truth: {}, truthSpread: { worst: 0.5, mean: 0.25, sets: 3, floor: 0.4 }, modes: { v8: { idle: s, loaded: undefined } } },
    ],
  };
  const out = formatFidelity(f);
  assert.match(out, /truth±/);
  assert.match(out, /^small .* 3\.3 \/ 1\.5 +2\.3$/m);
  assert.match(out, /^csv .* 0\.5 \/ 0\.3 +0\.4$/m);
  assert.match(out, /floor exceeds the target on small \(2\.3 pts\)/);
  assert.doesNotMatch(out, /csv \(0\.4 pts\)/);
  // The fixture's verdict stays "not met", with the floor it was measured against.
  assert.match(out, /v8: NOT met on small idle \(2\.0 against a floor of 2\.3\)/);
  assert.match(out, /between 3 independent truths/);
});

test("the first-hit artifact is printed per mode with its verdict against 5 µs", () => {
  const f: FidelityResults = {
    node: "v0", date: "", loadavg: [0, 0, 0], seconds: 1, modes: [{ name: "v8", env: {} }], results: [],
    firstHit: [
      { mode: "exact", processes: 30, meanUs: 0.74, medianUs: 0.4, billed: 30, firstCallExtraUs: 31.6 },
      { mode: "v8", processes: 30, meanUs: 6.67, medianUs: 0, billed: 2, firstCallExtraUs: 40.2 },
    ],
  };
  const out = formatFidelity(f);
  assert.match(out, /^ {2}exact +mean 0\.7, median 0\.4 \(30 of 30 processes billed it anything\); first call 32 µs over plain/m);
  assert.match(out, /^ {2}v8 +mean 6\.7, median 0\.0 \(2 of 30 processes/m);
  assert.match(out, /exact: first hit 0\.7 µs \(target ≤ 5 µs: met\)/);
  assert.match(out, /v8: first hit 6\.7 µs \(target ≤ 5 µs: NOT met\)/);
  // No program measured: no verdict on programs.
  assert.doesNotMatch(out, /^ {2}v8: (?:met|NOT met)/m);
});

const EXITS = [
  "const out: number[] = [];",
  "/** @profile */",
  "function pick(xs: number[]): number {",
  "  let best = 0; // hits: 2",
  "  for (const x of xs) {",
  "    if (x > 100) return x; // hits: 5",
  "    if (x > best) best = x; // hits: 4",
  "  }",
  "  return best; // hits: 1",
  "}",
  "/** @profile */",
  "function tally(n: number): void {",
  "  const twice = (k: number) => { return k * 2; }; // hits: 1",
  "  let s = 0; // hits: 1",
  "  for (let i = 0; i < n; i++) s += twice(i);",
  "  out.push(s); // hits: 1",
  "}",
  "/** @profile */",
  "function fact(n: number): number {",
  "  if (n < 2) return 1; // hits: 5",
  "  return n * fact(n - 1); // hits: 4",
  "}",
  "tally(5);",
  "out.push(pick([1, 5, 3]), pick([1, 200, 3]), fact(5));",
  "console.log(JSON.stringify(out));",
].join("\n");

test("without its try/finally the instrumented program prints the same and counts the same hits", () => {
  const dir = makeProject();
  const src = path.join(dir, "exits.ts");
  fs.writeFileSync(src, EXITS);
  const js = compile(EXITS, src);
  const bare = withoutTry(js);
  assert.match(js, /finally/);
  assert.doesNotMatch(bare, /\btry\b|finally/, "every profiled function's handler is gone");
  // Returns of the function itself go through the helper; the arrow's own return is left alone.
  assert.match(bare, /return __tsp_notry_ret\(x\)/);
  assert.match(bare, /return k \* 2/);
  const run = (code: string, name: string) => {
    const file = path.join(dir, `${name}.js`), output = path.join(dir, `${name}.lprof`);
    fs.writeFileSync(file, code);
    const r = runNode([file], { cwd: dir, env: profEnv(output, { TSPROF_TIMING: "v8" }) });
    assert.equal(r.status, 0, r.stderr);
    return { stdout: r.stdout, profile: mergeProfiles([readLprof(output)], { raw: true }) };
  };
  const a = run(js, "with"), b = run(bare, "without");
  assert.equal(a.stdout.trim(), "[20,5,200,120]");
  assert.equal(b.stdout, a.stdout);
  const expected: Record<number, number> = {};
  EXITS.split("\n").forEach((text, i) => {
    const m = /\/\/ hits: (\d+)/.exec(text);
    if (m) expected[i + 1] = Number(m[1]);
  });
  assert.deepEqual(hitsByLine(b.profile), hitsByLine(a.profile));
  for (const [line, hits] of Object.entries(expected)) assert.equal(hitsByLine(b.profile)[Number(line)], hits, `line ${line}`);
  assert.equal(Object.keys(expected).length, 9);
});
