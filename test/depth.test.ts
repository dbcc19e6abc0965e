/*
 * Recursion depth: an instrumented recursive function must reach most of the depth it reaches
 * plain, in every timing mode, with exact hits at that depth. Depth is a count of stack frames,
 * not a time: it does not move with load. Measured on interpreter frames (what a cold function
 * runs in; the same depths as a fresh process without the flags, docs/semantics.md), by
 * bisection inside one process per build and mode.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { compile, expectedHits, hitsByLine, makeProject, profEnv, ROOT, runNode } from "./helpers";
import { planFile } from "../transformer/plan";
import { emitText } from "../transformer/text-emit";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";

const SOURCE = `/** @profile */
export function depth(n: number): number {
  return n === 0 ? 0 : 1 + depth(n - 1);
}
`;

/**
 * The lowest instrumented/plain depth ratio accepted. Measured (npm run bench:depth, fresh
 * processes): 0.922 on Node 20, 0.928 on Node 22 and 24, where the recursion runs in the
 * function's copy without the `try/finally` (104 / 96 stack bytes per frame on Node 20); 0.75 /
 * 0.72 before the copy, and 0.42 in the first design. A depth is a count of frames: load does not
 * move it (this test's in-process bisection gives the same depths within 3 frames).
 */
const LOWEST_RATIO = 0.85;
/** A depth every build reaches, as a share of the plain one: where the hits are checked. */
const CHECKED_RATIO = 0.84;

const INTERPRETED = ["--no-opt", "--no-maglev", "--no-sparkplug", "--stack-size=984"];

/** The deepest `depth(n)` that returns, bisected in one process. */
function deepest(dir: string, file: string, env: NodeJS.ProcessEnv): number {
  const script = `
const { depth } = require(${JSON.stringify(file)});
const ok = (n) => { try { depth(n); return true; } catch (e) { if (e instanceof RangeError) return false; throw e; } };
let lo = 100, hi = 200000;
while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ok(mid)) lo = mid; else hi = mid - 1; }
console.log(lo);`;
  const r = runNode([...INTERPRETED, "-e", script], { cwd: dir, env });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

test("recursion: an instrumented two-line function reaches at least 0.85x its plain depth in every timing mode, with exact hits there", (t) => {
  const dir = fs.realpathSync(makeProject("tsprof-depth-"));
  const src = path.join(dir, "depth.ts");
  fs.writeFileSync(src, SOURCE);
  const plain = path.join(dir, "plain.js"), prof = path.join(dir, "prof.js");
  fs.writeFileSync(plain, compile(SOURCE, src, { plain: true }));
  fs.writeFileSync(prof, compile(SOURCE, src));
  const output = path.join(dir, "out.lprof");
  const plainDepth = deepest(dir, plain, profEnv(output));
  assert.ok(plainDepth > 1000, `plain depth ${plainDepth}`);
  for (const mode of ["exact", "sampled", "v8"]) {
    const env = profEnv(output, { TSPROF_TIMING: mode });
    const d = deepest(dir, prof, env);
    t.diagnostic(`${mode}: ${d} / ${plainDepth} = ${(d / plainDepth).toFixed(3)}x`);
    assert.ok(d / plainDepth >= LOWEST_RATIO, `${mode}: instrumented depth ${d} is ${(d / plainDepth).toFixed(3)}x of plain ${plainDepth}`);
    // A fresh process just below that depth: the same value as plain, and the exact hits.
    const n = Math.floor(plainDepth * CHECKED_RATIO);
    fs.rmSync(output, { force: true });
    const call = `console.log(require(${JSON.stringify(prof)}).depth(${n}))`;
    const r = runNode(["-e", call], { cwd: dir, env });
    const p = runNode(["-e", call.replace(prof, plain)], { cwd: dir, env: profEnv(path.join(dir, "plain.lprof")) });
    assert.equal(r.status, 0, `${mode}: ${r.stderr}`);
    assert.equal(r.stdout, p.stdout);
    assert.equal(r.stdout.trim(), String(n));
    assert.deepEqual(hitsByLine(mergeProfiles([readLprof(output)], { raw: true })), { 3: n + 1 }, mode);
  }
});

const OVERFLOW = `/** @profile */
export function depth(n: number): number {
  return n === 0 ? 0 : 1 + depth(n - 1);
}
function pad(k: number, run: () => string): string {
  return k === 0 ? run() : pad(k - 1, run);
}
/** @profile */
export function outer(n: number): string {
  let r = ""; // hits: 32
  try {
    r = String(depth(n)); // hits: 32
  } catch (e) {
    r = (e as Error).constructor.name; // hits: 16
  }
  return r + depth(2); // hits: 32
}
const seen = new Set<string>();
for (let k = 0; k < 16; k++) seen.add(pad(k, () => outer(1e6)) + " " + pad(k, () => outer(5)));
console.log([...seen].join(", "));
`;

test("recursion: a stack overflow, wherever in the probes it strikes, leaves the caller that catches it its own invocation: exact hits after the catch, both emitters, every mode", () => {
  const dir = fs.realpathSync(makeProject("tsprof-overflow-"));
  const src = path.join(dir, "overflow.ts");
  fs.writeFileSync(src, OVERFLOW);
  const plain = path.join(dir, "plain.js"), prof = path.join(dir, "prof.js"), text = path.join(dir, "text.js");
  fs.writeFileSync(plain, compile(OVERFLOW, src, { plain: true }));
  fs.writeFileSync(prof, compile(OVERFLOW, src));
  const sf = ts.createSourceFile(src, OVERFLOW, ts.ScriptTarget.ES2022, true);
  const { code } = emitText(ts, sf, planFile(ts, sf), { format: "cjs" });
  // Both emitters run `depth`'s recursion in its copy (its body is one line), closed by the entry.
  for (const out of [code, fs.readFileSync(prof, "utf8")]) assert.match(out, /function depth\(n[^)]*\)[^]*function depth\(n[^]*\.close\(/);
  fs.writeFileSync(text, ts.transpileModule(code, { fileName: src, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText);
  const p = runNode([plain], { cwd: dir, env: profEnv(path.join(dir, "plain.lprof")) });
  assert.equal(p.stdout, "RangeError2 52\n", p.stderr);
  const expected = expectedHits(OVERFLOW);
  for (const file of [prof, text]) {
    for (const mode of ["exact", "sampled", "v8"]) {
      const output = path.join(dir, "out.lprof");
      fs.rmSync(output, { force: true });
      // Each pad frame starts the recursion further down the stack by a size that is not a
      // multiple of the recursion's frame: the overflow strikes at different points of the
      // deepest frame's entry, probe, call and exit (an exit that ran before the invocation
      // stopped being current loses 13 of outer's 16 catches here, in exact mode).
      const r = runNode([file], { cwd: dir, env: profEnv(output, { TSPROF_TIMING: mode }) });
      assert.equal(r.stdout, p.stdout, `${path.basename(file)} ${mode}: ${r.stderr}`);
      const hits = hitsByLine(mergeProfiles([readLprof(output)], { raw: true }));
      const outer = Object.fromEntries(Object.keys(expected).map((l) => [l, hits[Number(l)]]));
      assert.deepEqual(outer, expected, `${path.basename(file)} ${mode}`);
    }
  }
});

const THROUGH = `const sampler = process.env.DEPTH_SAMPLER ? require(process.env.DEPTH_SAMPLER) : undefined;
const frames = (): number => (sampler ? sampler.stack[0] : 0);
const seen: number[] = [frames()];
/** @profile */
export function down(n: number, at: number, boom: boolean): number {
  if (n === at) return guard(n); // hits: 18
  if (n === 0) { // hits: 17
    if (boom) throw new Error("bottom"); // hits: 3
    return 0; // hits: 1
  }
  return 1 + down(n - 1, at, boom); // hits: 14
}
function guard(n: number): number {
  try {
    return down(n - 1, -1, true);
  } catch {
    seen.push(frames());
    return 100;
  }
}
const out: string[] = [String(down(6, 3, false))];
seen.push(frames());
try {
  down(5, -1, true);
} catch (e) {
  out.push((e as Error).message);
}
seen.push(frames());
out.push(String(down(4, -1, false)));
seen.push(frames());
console.log(out.join(" "));
console.error(JSON.stringify(seen));
`;

test("recursion: an exception through a self-calling function's copies closes every one of them, caught by an unprofiled caller mid-recursion or above it: exact hits, sampled mode's line stack, mprof's brackets", () => {
  const dir = fs.realpathSync(makeProject("tsprof-through-"));
  const src = path.join(dir, "through.ts");
  fs.writeFileSync(src, THROUGH);
  const plain = path.join(dir, "plain.js"), prof = path.join(dir, "prof.js"), text = path.join(dir, "text.js");
  fs.writeFileSync(plain, compile(THROUGH, src, { plain: true }));
  const emitted = compile(THROUGH, src);
  // The form under test: a copy of `down` inside it, closed by the entry's `close`.
  assert.match(emitted, /function down\(n, at, boom\) \{[^]*function down\(n, at, boom\) \{[^]*\.close\(/);
  fs.writeFileSync(prof, emitted);
  const sf = ts.createSourceFile(src, THROUGH, ts.ScriptTarget.ES2022, true);
  const { code } = emitText(ts, sf, planFile(ts, sf), { format: "cjs" });
  fs.writeFileSync(text, ts.transpileModule(code, { fileName: src, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText);
  const p = runNode([plain], { cwd: dir, env: profEnv(path.join(dir, "plain.lprof")) });
  assert.equal(p.stdout, "103 bottom 4\n", p.stderr);
  const expected = expectedHits(THROUGH);
  const sampler = path.join(ROOT, "dist", "runtime", "sampler.js");
  for (const file of [prof, text]) {
    const name = path.basename(file);
    for (const mode of ["exact", "sampled", "v8"]) {
      const output = path.join(dir, "out.lprof");
      fs.rmSync(output, { force: true });
      const r = runNode([file], { cwd: dir, env: profEnv(output, { TSPROF_TIMING: mode, DEPTH_SAMPLER: sampler }) });
      assert.equal(r.stdout, p.stdout, `${name} ${mode}: ${r.stderr}`);
      assert.deepEqual(hitsByLine(mergeProfiles([readLprof(output)], { raw: true })), expected, `${name} ${mode}`);
      if (mode === "sampled") {
        // The line stack: 4 frames open (n = 6..3) where guard catches, none once each call returned or threw.
        const seen = JSON.parse(r.stderr.trim().split("\n").pop()!) as number[];
        const base = seen[0];
        assert.deepEqual(seen.map((d) => d - base), [0, 4, 0, 0, 0], `${name}: sampler stack depths ${JSON.stringify(seen)}`);
      }
    }
    // mprof's brackets: one per call, each at its call's level (an unclosed copy would leave
    // every later call a level deeper, and lose its own bracket).
    const mdir = fs.mkdtempSync(path.join(dir, "mprof-"));
    const r = runNode([file], { cwd: dir, env: profEnv(path.join(dir, "m.lprof"), { TSPROF_MPROF_DIR: mdir }) });
    assert.equal(r.stdout, p.stdout, `${name} mprof: ${r.stderr}`);
    const bin = fs.readdirSync(mdir).find((f) => f.endsWith(".bin"));
    assert.ok(bin, `${name}: no brackets written`);
    const buf = fs.readFileSync(path.join(mdir, bin!));
    const records = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
    const levels: number[] = [];
    for (let i = 0; i < records.length; i += 4) levels.push(records[i + 3]);
    const range = (k: number) => Array.from({ length: k }, (_, i) => i);
    assert.deepEqual(levels.sort((a, b) => a - b), [...range(7), ...range(6), ...range(5)].sort((a, b) => a - b), `${name} mprof levels`);
  }
});

test("recursion: which functions run their recursive calls in a copy: self-calling sync declarations whose copy cannot differ", () => {
  const cases: [string, boolean][] = [
    ["function f(n: number): number { return n ? f(n - 1) : 0; }", true],
    ["function f(n: number): void { if (n) f(n - 1); }", true],
    ["function f(n: number, ...rest: number[]): number { for (const x of rest) n += x; return n > 0 ? f(n - 1) : n; }", true],
    ["function f(n: number): number { return n; }", false], // no call of itself
    ["function f(n: number): number { const g = () => n; return n ? f(n - 1) : g(); }", false], // a closure
    ["function f(n: number): number { try { return n ? f(n - 1) : 0; } catch { return -1; } }", false], // a try
    ["function f(n: number): number { return arguments.length + (n ? f(n - 1) : 0); }", false],
    ["function f(this: unknown, n: number): number { return n ? f.call(this, n - 1) : 0; }", false], // f as a value
    ["function f(n = 1): number { return n ? f(n - 1) : 0; }", false], // a default runs
    ["function f({ n }: { n: number }): number { return n ? f({ n: n - 1 }) : 0; }", false], // destructuring runs
    ["function f(n: number): number { return n ? f(n - 1) : 0; }\nf = (n: number) => n;", false], // reassigned
    ["function f(n: number): number { return n ? f(n - 1) : 0; }\nexport const g = f;", false], // passed on
    ["function f(n: number): number { while (true) { if (n) return f(n - 1); return 0; } }", false], // an end not plain
    ["function f(n: number): string { return n ? f(n - 1) : String.raw`x`; }", false], // a template site's strings array is its own
    ["function* f(n: number): Generator<number> { if (n) yield* f(n - 1); }", false],
    ["async function f(n: number): Promise<number> { return n ? f(n - 1) : 0; }", false],
  ];
  for (const [source, copied] of cases) {
    const sf = ts.createSourceFile("f.ts", source, ts.ScriptTarget.ES2022, true);
    const plan = planFile(ts, sf, { all: true });
    assert.equal(!!plan.functions[0].copy, copied, source);
  }
});

/*
 * The text emitter (bundlers, test runners, TypeScript 7) keeps every original line at its
 * number: a copy goes onto the line of the body's first statement, its text joined onto it. A
 * CommonJS JavaScript source, so that the emitted text runs as it is, line for line: comments
 * (these `// hits:` ones too), a template and a string over lines, a regular expression,
 * statements that automatic semicolon insertion ends (`return` before a line break, `k` before
 * `++k`, `break` before `else`, `do … while`), parameters over lines.
 */
const JOINED = `Error.stackTraceLimit = Infinity;
/** @profile */
function walk(
  n, // how deep
  acc,
) {
  const re = /a\\/b/g // hits: 4
  let s = // hits: 4
    \`row \${n}
next\\
\`
  const t = // hits: 4
    "x\\
y" + "\\u2028".length
  acc.push(s.replace(re, "-") + t + "a/b") // hits: 4
  if (n === 0) { // hits: 4
    return acc.join("|") // hits: 1
  }
  let k = n // hits: 3
  k // hits: 3
  ++k // hits: 3
  /* a comment
     over lines */ if (k > 1e9) return // hits: 3
    "never" // hits: 3
  do k-- // hits: 3
  while (k > n) // hits: 3
  for (let i = 0; i < 3; i++) { if (i > 0) break // hits: 6
    else continue } // hits: 3
  return walk(n - 1, acc) // hits: 3
}
/** @profile */
function boom(n) {
  if (n === 0) // hits: 31
    throw new Error("deep") // hits: 1
  return 1 + // hits: 30
    boom(n - 1)
}
console.log(JSON.stringify(walk(3, [])));
try {
  boom(30);
} catch (e) {
  const frames = e.stack.split("\\n").filter((l) => l.includes("at boom "));
  console.log(e.message, frames.length);
  console.error(JSON.stringify(frames.map((l) => /:(\\d+):(\\d+)\\)$/.exec(l).slice(1).map(Number))));
}
`;

test("recursion: the text emitter joins a multi-line self-calling function's copy onto one line: its depth, exact hits, the output, and stack frames on the body's lines (raw for the entry, through the map for the copies)", (t) => {
  const dir = fs.realpathSync(makeProject("tsprof-joined-"));
  const plain = path.join(dir, "plain.js"), prof = path.join(dir, "prof.js");
  fs.writeFileSync(plain, JOINED);
  const sf = ts.createSourceFile(plain, JOINED, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const { code, map } = emitText(ts, sf, planFile(ts, sf), { format: "cjs" });
  // Every original line where it was, each function with a copy, closed by its entry.
  const lines = code.split("\n"), source = JOINED.split("\n");
  assert.ok(lines.length >= source.length);
  for (const name of ["walk", "boom"]) assert.match(code, new RegExp(`function ${name}\\([^]*function ${name}\\([^]*\\.close\\(`));
  assert.match(lines[6], /^ {2}function walk\( n, acc, \) \{ .*return __tsp_ret\(walk\(n - 1, acc\)\); \} try \{/);
  fs.writeFileSync(prof, code);
  const p = runNode([plain], { cwd: dir, env: profEnv(path.join(dir, "plain.lprof")) });
  assert.equal(p.stdout, `${JSON.stringify(["row 3\nnext", "row 2\nnext", "row 1\nnext", "row 0\nnext"].map((r) => `${r}xy1a/b`).join("|"))}\ndeep 31\n`, p.stderr);
  const plainFrames = JSON.parse(p.stderr) as [number, number][];
  const expected = expectedHits(JOINED);
  const { SourceMap } = require("node:module") as { SourceMap: new (payload: unknown) => { findEntry(line: number, column: number): { originalLine: number; originalColumn: number } } };
  const consumer = new SourceMap(JSON.parse(map.toString()));
  for (const mode of ["exact", "sampled", "v8"]) {
    const output = path.join(dir, "out.lprof");
    fs.rmSync(output, { force: true });
    const r = runNode([prof], { cwd: dir, env: profEnv(output, { TSPROF_TIMING: mode }) });
    assert.equal(r.stdout, p.stdout, `${mode}: ${r.stderr}`);
    assert.deepEqual(hitsByLine(mergeProfiles([readLprof(output)], { raw: true })), expected, mode);
    const frames = JSON.parse(r.stderr.trim().split("\n").pop()!) as [number, number][];
    assert.equal(frames.length, plainFrames.length);
    // The entry (the outermost frame) is the original body, on its lines; the copies are on the
    // first statement's line, and the map gives each the line and column of the plain frame.
    assert.deepEqual(frames[frames.length - 1][0], plainFrames[plainFrames.length - 1][0], `${mode}: the entry's line`);
    for (const [line] of frames.slice(0, -1)) assert.equal(line, 33, `${mode}: a copy's line`);
    const mapped = frames.map(([line, column]) => {
      const e = consumer.findEntry(line - 1, column - 1);
      return [e.originalLine + 1, e.originalColumn + 1];
    });
    assert.deepEqual(mapped, plainFrames, `${mode}: frames through the map`);
  }
  // As deep as the one-line form: the copy's frame, not the entry's, runs the recursion.
  const SOURCE = "exports.depth = (n) => depth(n);\n/** @profile */\nfunction depth(n) {\n  if (n === 0) return 0\n  const m = n - 1\n  return 1 + depth(m)\n}\n";
  const dsf = ts.createSourceFile(path.join(dir, "depth.js"), SOURCE, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  fs.writeFileSync(path.join(dir, "depth.plain.js"), SOURCE);
  const depthCode = emitText(ts, dsf, planFile(ts, dsf), { format: "cjs" }).code;
  assert.match(depthCode, /function depth\(n\) \{[^]*function depth\(n\) \{[^\n]*\} try \{/);
  fs.writeFileSync(path.join(dir, "depth.prof.js"), depthCode);
  const plainDepth = deepest(dir, path.join(dir, "depth.plain.js"), profEnv(path.join(dir, "d.lprof")));
  for (const mode of ["exact", "v8"]) {
    const d = deepest(dir, path.join(dir, "depth.prof.js"), profEnv(path.join(dir, "d.lprof"), { TSPROF_TIMING: mode }));
    t.diagnostic(`text emitter, ${mode}: ${d} / ${plainDepth} = ${(d / plainDepth).toFixed(3)}x`);
    assert.ok(d / plainDepth >= LOWEST_RATIO, `${mode}: ${d} / ${plainDepth}`);
  }
});
