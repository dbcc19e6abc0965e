/*
 * The text emitter (magic-string) against the TypeScript emitter, on every hit fixture: the same
 * probes in the output, the same hits per line when run, and the program's output unchanged.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { compile, expectedHits, hitsByLine, makeProject, profEnv, runNode, runProfiled, type CompileOptions, type RunResult } from "./helpers";
import { cases } from "./hit-cases";
import { planFile } from "../transformer/plan";
import { emitText } from "../transformer/text-emit";
import { createTransformer } from "../transformer/index";
import { mergeProfiles, type Profile } from "../report/profile";
import { readLprof } from "../report/read";

/** The probe calls of an emitted program, in order, with the emitter's unique names normalized. */
function probeCalls(js: string): string[] {
  return [...js.matchAll(/(?:__tsp_s|__tsp_load(?:_\d+)?\.c)(?:_\d+)?\.(\w+)\(([\d, ]*)/g)].map((m) => `${m[1]}(${m[2]}`).sort();
}

/**
 * The probes, once each, a self-calling function's copy folded into it: the TypeScript emitter
 * copies a self-calling function whatever its text, the text emitter only one whose text joins
 * onto one line as the same program (no JSX, no `@ts-` comment), so the two place the same
 * probes, not always as many.
 */
function probeKinds(js: string): string[] {
  return [...new Set(probeCalls(js).map((p) => (p === "close(" ? "exit(" : p)))];
}

/** Text-level edge cases for the text emitter: where insertions meet (ends of nested bodies, no whitespace, directives). */
const textCases: typeof cases = [
  {
    name: "no whitespace between tokens; for (;;); nested braceless bodies ending together",
    source: `
/** @profile */
function f(n: number){let i=0;for(;;){if(i++>n)break}if(n>1)if(n>2)for(const x of [1,2])i+=x;else i--;return i}
console.log(f(1), f(3));
`,
  },
  {
    name: "a directive prologue, a shebang-free header, an object literal arrow body, a cast body",
    source: `"use strict";
/** @profile */
const mk = (k: string) => ({ [k]: k.length });
/** @profile */
const len = (x: unknown) => (x as string).length;
/** @profile */
function strict() {
  "use strict";
  return this === undefined;
}
console.log(JSON.stringify(mk("ab")), len("abc"), strict());
`,
  },
  {
    name: "yield without operand, await in a for-of header and in an arrow body, labels before loops",
    source: `
/** @profile */
function* g() { const a = yield; const b = yield a; return b; }
/** @profile */
const twice = async (x: number) => await Promise.resolve(x * 2);
/** @profile */
async function h() {
  let n = 0;
  out: for (const v of await Promise.resolve([1, 2, 3])) {
    for (;;) { if (v === 2) continue out; n += await twice(v); break; }
  }
  do n++; while (n < 10);
  return n;
}
const it = g(); it.next(); it.next(1);
console.log(it.next(2).value);
h().then(console.log);
`,
  },
  {
    name: "for...of bodies ending without a semicolon, a continue in a braceless body, for await with continue and yield*",
    source: `
/** @profile */
function f(xs: number[]) {
  let t = 0
  out: for (const x of xs) {
    for (const y of [x, 1]) if (y > 1) continue out; else t += y
    t += x }
  for (const z of xs) { t += z
  }
  for (const k of xs) t++
  return t
}
/** @profile */
async function* g(it: AsyncIterable<number>) { for await (const v of it) { if (v === 2) continue; yield* [v] } }
async function* src() { yield 1; yield 2; yield 3; }
(async () => { const seen: number[] = []; for await (const v of g(src())) seen.push(v); console.log(f([1, 2, 3]), seen.join()); })();
`,
  },
  {
    name: "a function declaration a var of its name would clash with leaves the try; others stay",
    source: `
/** @profile */
function f() {
  var g: any;
  function g() { return 1; }
  return typeof g;
}
/** @profile */
function h(x: number) {
  var k: any;
  if (x > 0) return k();
  function k() {
    return "hoisted";
  }
  let self = "closed over";
  function inner() { return self; }
  return inner();
}
console.log(f(), h(1), h(0));
`,
  },
];

/** The program compiled without tsprof and run, in a project where `tsprof` resolves. */
function runPlain(source: string, options: CompileOptions = {}) {
  const dir = makeProject();
  const src = path.join(dir, "prog.ts");
  fs.writeFileSync(src, source);
  const file = path.join(dir, `plain${options.esm ? ".mjs" : ".js"}`);
  fs.writeFileSync(file, compile(source, src, { ...options, plain: true }));
  return { dir, plain: runNode([file], { cwd: dir, env: profEnv(path.join(dir, "plain.lprof")) }) };
}

for (const c of [...cases, ...textCases]) {
  test(`text emitter: ${c.name}`, () => {
    const fixture = cases.includes(c);
    // A fixture's hits are its annotations, which hits.test.ts holds the TypeScript emitter to;
    // the other programs are compared with the TypeScript emitter's run.
    const r: { dir: string; plain: RunResult; profile?: Profile } = fixture ? runPlain(c.source, c.options) : runProfiled(c.source, c.options);
    const src = path.join(r.dir, "prog.ts");
    const sf = ts.createSourceFile(src, c.source, ts.ScriptTarget.Latest, true);
    const { code, map } = emitText(ts, sf, planFile(ts, sf, c.options));
    // Every original line keeps its number (the footer comes after the last one).
    const out = code.split("\n");
    c.source.split("\n").forEach((line, i) => {
      const comment = /\/\/ hits: \d+$/.exec(line)?.[0];
      if (comment) assert.ok(out[i].endsWith(comment), `line ${i + 1} moved: ${JSON.stringify(out[i])}`);
    });
    // The footer: the registration (and its types' line), and a copy's return helper.
    assert.equal(out.length, c.source.split("\n").length + 3 + (code.includes("function __tsp_ret") ? 1 : 0), "lines added before the footer");
    const js = compile(code, src, { ...c.options, plain: true });
    assert.ok(probeCalls(js).length > 0, "no probe found in the text emitter's output");
    const viaTs = compile(c.source, src, c.options);
    const probes = viaTs.includes(".close(") || js.includes(".close(") ? probeKinds : probeCalls;
    assert.deepEqual(probes(js), probes(viaTs), "the two emitters place different probes");
    const file = path.join(r.dir, `text${c.options?.esm ? ".mjs" : ".js"}`);
    fs.writeFileSync(file, js);
    const output = path.join(r.dir, "text.lprof");
    const run = runNode([file], { cwd: r.dir, env: profEnv(output) });
    assert.equal(run.stderr, r.plain.stderr);
    assert.equal(run.stdout, r.plain.stdout);
    assert.equal(run.status, r.plain.status);
    const hits = hitsByLine(mergeProfiles([readLprof(output)], { raw: true }));
    assert.ok(Object.keys(hits).length > 0);
    assert.deepEqual(hits, r.profile ? hitsByLine(r.profile) : expectedHits(c.source));
    assert.deepEqual(map.sources, [src]);
  });
}

test("text emitter: the source map sends every original token back to its own line", () => {
  const source = cases[0].source;
  const sf = ts.createSourceFile("/p/a.ts", source, ts.ScriptTarget.Latest, true);
  const { code, map } = emitText(ts, sf, planFile(ts, sf));
  // Each generated line holding `s += i` must map to the original line of `s += i`.
  const decoded = map.mappings.split(";");
  const genLine = code.split("\n").findIndex((l) => l.includes("s += i"));
  const origLine = source.split("\n").findIndex((l) => l.includes("s += i"));
  assert.ok(genLine >= 0 && decoded[genLine].length > 0);
  let line = 0;
  for (let g = 0; g <= genLine; g++) {
    for (const seg of decoded[g].split(",").filter(Boolean)) line += vlq(seg)[2] ?? 0;
  }
  assert.equal(line, origLine);
});

/** Decodes one base64 VLQ segment of a source map. */
function vlq(seg: string): number[] {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const out: number[] = [];
  let value = 0, shift = 0;
  for (const ch of seg) {
    const d = chars.indexOf(ch);
    value += (d & 31) << shift;
    if (d & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >> 1) : value >> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

test("text emitter: typed declarations, so the output type-checks under strict settings", () => {
  const dir = runProfiled("console.log(1);").dir;
  const src = path.join(dir, "prog.ts");
  const source = [
    "/** @profile */",
    "export async function f(xs: number[]): Promise<number> {",
    "  let t = 0;",
    "  for (const x of xs) t += await Promise.resolve(x);",
    "  for await (const y of g(2)) t += y;",
    "  for (const k in { a: 1 }) t += k.length;",
    "  return t;",
    "}",
    "/** @profile */",
    "export async function* g(n: number): AsyncGenerator<number> {",
    "  for (let i = 0; i < n; i++) yield i;",
    "  yield* [n];",
    "}",
    "/** @profile */",
    "export const h = (s: string): number => s.length;",
  ].join("\n");
  const sf = ts.createSourceFile(src, source, ts.ScriptTarget.Latest, true);
  const strict: ts.CompilerOptions = {
    strict: true, noImplicitAny: true, noUnusedLocals: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, types: [],
  };
  const check = (file: string, code: string) => {
    fs.writeFileSync(file, code);
    return ts.getPreEmitDiagnostics(ts.createProgram([file], strict)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  };
  assert.deepEqual(check(path.join(dir, "emitted.ts"), emitText(ts, sf, planFile(ts, sf)).code), []);
  // The TypeScript emitter's output, printed as TypeScript (what a tool that checks the transformed
  // source sees), type-checks under the same settings.
  const transformed = ts.transform(sf, [createTransformer(ts)], { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 });
  const printed = ts.createPrinter().printFile(transformed.transformed[0]);
  transformed.dispose();
  assert.match(printed, /__tsp_load_\d+\.c\.hit\(/);
  assert.deepEqual(check(path.join(dir, "emitted-factory.ts"), printed), []);
});
