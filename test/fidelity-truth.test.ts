/*
 * The fidelity bench's ground truth: how samples of V8's CPU profile become per-line truth
 * (bench/fidelity.ts), checked on a constructed profile of a compiled program.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { compile } from "./helpers";
import { formatFidelity, generatedToSource, score, sourceShape, truthFromCpuProfile, type FidelityResults } from "../bench/fidelity";

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

test("the table shows the truth's own spread next to each program and names fixtures whose spread exceeds the target", () => {
  const s = score(new Map([[1, 25], [2, 75]]), new Map([[1, 27], [2, 73]]));
  const f: FidelityResults = {
    node: "v0", date: "", loadavg: [0, 0, 0], seconds: 1,
    modes: [{ name: "v8", env: {} }],
    results: [
      { program: "small", kind: "fixture", truthSamples: 100, sharedSamples: 0, gcSamples: 0, truth: {}, truthSpread: { worst: 3.25, mean: 1.5, sets: 3 }, modes: { v8: { idle: s, loaded: undefined } } },
      { program: "csv", kind: "program", truthSamples: 100, sharedSamples: 0, gcSamples: 0, truth: {}, truthSpread: { worst: 0.5, mean: 0.25, sets: 3 }, modes: { v8: { idle: s, loaded: undefined } } },
    ],
  };
  const out = formatFidelity(f);
  assert.match(out, /truth±/);
  assert.match(out, /^small .* 3\.3 \/ 1\.5$/m);
  assert.match(out, /^csv .* 0\.5 \/ 0\.3$/m);
  assert.match(out, /spread exceeds the target on small \(3\.3 pts\)/);
  assert.doesNotMatch(out, /csv \(0\.5 pts\)/);
  assert.match(out, /between 3 independent truths/);
});
