/*
 * Behaviour unchanged: each program of unchanged-cases.ts runs compiled plain, compiled with the
 * plugin's transform, and under `tsprof run`; stdout, stderr (stack lines through source maps)
 * and exit status must match, and hits must be the ones its comments say.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, expectedHits, hitsByLine, makeProject, profEnv, ROOT, runNode, tsprof, type RunResult } from "./helpers";
import { unchangedCases, type UnchangedCase } from "./unchanged-cases";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";

function hitsIn(file: string): Record<number, number> {
  return fs.existsSync(file) ? hitsByLine(mergeProfiles([readLprof(file)], { raw: true })) : {};
}

function runCase(c: UnchangedCase) {
  const dir = fs.realpathSync(makeProject("tsprof-unchanged-"));
  const sources: Record<string, string> = { "prog.ts": c.source, ...c.files };
  for (const variant of ["plain", "prof"]) fs.mkdirSync(path.join(dir, variant));
  for (const [name, text] of Object.entries(sources)) {
    const src = path.join(dir, name);
    fs.writeFileSync(src, text);
    const options = { ...c.options, compilerOptions: { inlineSourceMap: true, ...c.options?.compilerOptions } };
    const js = name.replace(/\.ts$/, ".js");
    fs.writeFileSync(path.join(dir, "plain", js), compile(text, src, { ...options, plain: true }));
    fs.writeFileSync(path.join(dir, "prof", js), compile(text, src, options));
  }
  const output = path.join(dir, "out.lprof");
  const normalize = (r: RunResult): RunResult => {
    const clean = (s: string) => s.split(path.join(dir, "plain")).join("<dir>").split(path.join(dir, "prof")).join("<dir>").split(dir).join("<dir>");
    return { ...r, stdout: clean(r.stdout), stderr: clean(r.stderr) };
  };
  const node = (variant: string) =>
    normalize(runNode(["--enable-source-maps", path.join(dir, variant, "prog.js")], { cwd: dir, env: profEnv(output) }));
  const plain = node("plain");
  const profiled = node("prof");
  const hits = hitsIn(output);
  let run: { result: RunResult; hits: Record<number, number> } | undefined;
  if (!c.pluginOnly) {
    if (c.tsconfigOptions) fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: c.tsconfigOptions }));
    const runOut = path.join(dir, "run.lprof");
    const result = normalize(tsprof(["run", "-o", runOut, "prog.ts"], { cwd: dir, env: profEnv(runOut) }));
    // `tsprof run` ends by saying where the profile went, as kernprof does: not the program's output.
    // (Printed at exit: a program's own exit listeners may print after it.)
    const stdout = result.stdout.replace(/Wrote profile results to [^\n]*\nInspect results with:\n[^\n]*\n/, "");
    run = { result: { ...result, stdout }, hits: hitsIn(runOut) };
  }
  return { plain, profiled, hits, run };
}

for (const c of unchangedCases) {
  test(c.name, () => {
    const r = runCase(c);
    assert.ok(r.plain.stdout.length > 0, `the program printed nothing: ${r.plain.stderr}`);
    assert.equal(r.profiled.stdout, r.plain.stdout, "stdout differs with the transform");
    assert.equal(r.profiled.stderr, r.plain.stderr, "stderr differs with the transform");
    assert.equal(r.profiled.status, r.plain.status);
    const expected = expectedHits(c.source);
    assert.deepEqual(r.hits, expected, "hits with the transform");
    if (r.run) {
      assert.equal(r.run.result.stdout, r.plain.stdout, `stdout differs under tsprof run: ${r.run.result.stderr}`);
      assert.equal(r.run.result.status, r.plain.status);
      if (c.runStderr) assert.equal(r.run.result.stderr, r.plain.stderr, "stderr differs under tsprof run");
      assert.deepEqual(r.run.hits, expected, "hits under tsprof run");
    }
  });
}

test("a script built by tspc with module none and outFile stays a script, and is profiled; toString() reads as tsc's", () => {
  const dir = fs.realpathSync(makeProject("tsprof-unchanged-outfile-"));
  for (const dep of ["typescript", "ts-patch"]) fs.symlinkSync(path.join(ROOT, "node_modules", dep), path.join(dir, "node_modules", dep), "dir");
  const source = `var total = 0;
/** @profile */
function add(n: number) {
  total += n; // hits: 2
  return total; // hits: 2
}
console.log(add(2), add(3), typeof this, typeof (globalThis as any).exports);
console.log(String(add));
`;
  fs.writeFileSync(path.join(dir, "a.ts"), source);
  const config = (outFile: string, plugins: unknown[]) => JSON.stringify({
    compilerOptions: { target: "es2022", module: "none", outFile, ignoreDeprecations: "6.0", types: [], plugins },
    files: ["a.ts"],
  });
  fs.writeFileSync(path.join(dir, "tsconfig.json"), config("out/all.js", [{ transform: "tsprof/transformer" }]));
  fs.writeFileSync(path.join(dir, "tsconfig.plain.json"), config("plain/all.js", []));
  const build = (tool: string, project: string) => runNode([path.join(ROOT, "node_modules", ...tool.split("/")), "-p", project], { cwd: dir });
  const b1 = build("ts-patch/bin/tspc.js", "tsconfig.json");
  assert.equal(b1.status, 0, b1.stdout + b1.stderr);
  const b2 = build("typescript/bin/tsc", "tsconfig.plain.json");
  assert.equal(b2.status, 0, b2.stdout + b2.stderr);
  const output = path.join(dir, "out.lprof");
  const plain = runNode([path.join(dir, "plain", "all.js")], { cwd: dir, env: profEnv(output) });
  assert.ok(!fs.existsSync(output));
  const profiled = runNode([path.join(dir, "out", "all.js")], { cwd: dir, env: profEnv(output) });
  assert.equal(plain.stdout, "2 5 object undefined\nfunction add(n) {\n    total += n; // hits: 2\n    return total; // hits: 2\n}\n", plain.stderr);
  assert.equal(profiled.stdout, plain.stdout, profiled.stderr);
  assert.equal(profiled.stderr, plain.stderr);
  assert.deepEqual(hitsIn(output), expectedHits(source));
});

/** The frames of a Node stack trace that point into tsprof itself (its loader, runtime, CLI). */
const OWN = new RegExp(`^\\s+at .*${ROOT.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[\\\\/](dist|loader|runtime|cli|bin)[\\\\/]`, "m");

test("an uncaught error reads as unprofiled under tsprof run: the program's stack lines, no frame of tsprof's (CommonJS and ES module)", () => {
  const dir = fs.realpathSync(makeProject("tsprof-unchanged-uncaught-"));
  const source = `
/** @profile */
function boom(n: number) {
  if (n > 1) throw new Error("boom " + n);
  return n;
}
console.log(boom(1));
boom(2);
`;
  for (const [name, esm] of [["prog.ts", false], ["prog.mts", true]] as const) {
    const src = path.join(dir, name);
    fs.writeFileSync(src, source);
    const js = path.join(dir, name.replace(/ts$/, "js"));
    const options = { esm, compilerOptions: { inlineSourceMap: true } };
    fs.writeFileSync(js, compile(source, src, { ...options, plain: true }));
    const plain = runNode(["--enable-source-maps", js], { cwd: dir, env: profEnv(path.join(dir, "plain.lprof")) });
    fs.writeFileSync(js, compile(source, src, options));
    const profiled = runNode(["--enable-source-maps", js], { cwd: dir, env: profEnv(path.join(dir, "prof.lprof")) });
    const run = tsprof(["run", "-o", "run.lprof", name], { cwd: dir, env: profEnv(path.join(dir, "run.lprof")) });
    // Node's own frames below the program's first line differ by how its entry is started; the
    // heading (file:line, the line, the caret, the message) and the program's frames do not.
    const mine = (r: RunResult) => {
      const lines = r.stderr.replace(/file:\/\//g, "").replace(/\.mjs\b/g, ".mts").replace(/\.js\b/g, ".ts").split("\n");
      const at = lines.findIndex((l) => /^\s+at /.test(l));
      return [...lines.slice(0, at).filter((l) => l.trim()), ...lines.filter((l) => l.includes(dir))];
    };
    assert.equal(plain.status, 1, plain.stderr);
    assert.match(plain.stderr, /Error: boom 2/);
    assert.deepEqual(mine(profiled), mine(plain), name);
    assert.deepEqual(mine(run), mine(plain), `${name} under tsprof run:\n${run.stderr}`);
    assert.doesNotMatch(run.stderr, OWN, `${name}: tsprof's own frames under tsprof run`);
    assert.equal(run.status, plain.status);
  }
});

test("Error.prepareStackTrace call sites: the same functions and files; mapped through the file's source map, the same TypeScript lines and columns; raw lines are the plain build's", () => {
  const dir = fs.realpathSync(makeProject("tsprof-unchanged-callsites-"));
  const source = `import { findSourceMap } from "node:module";
function sites(): string[] {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, cs) => cs;
  const stack = new Error().stack as unknown as NodeJS.CallSite[];
  Error.prepareStackTrace = saved;
  return stack.slice(1, 3).map((c) => {
    const at = findSourceMap(c.getFileName()!)?.findEntry(c.getLineNumber()! - 1, c.getColumnNumber()! - 1) as { originalLine: number; originalColumn: number };
    return [c.getFunctionName(), c.getMethodName(), c.getTypeName(), c.getFileName()!.split(/[\\\\/]/).pop(), at.originalLine + 1, at.originalColumn + 1, c.getLineNumber()].map(String).join(" ");
  });
}
/** @profile */
function inner(n: number) {
  const x = n + 1;
  return sites().concat(String(x));
}
class K {
  /** @profile */
  outer() {
    let s = 0;
    for (let i = 0; i < 2; i++) s += i;
    if (s > 0) { s++; return inner(s); }
    return [];
  }
}
console.log(new K().outer().join("\\n"));
`;
  const src = path.join(dir, "prog.ts");
  fs.writeFileSync(src, source);
  const options = { compilerOptions: { inlineSourceMap: true } };
  const js = path.join(dir, "prog.js");
  const run = (instrument: boolean) => {
    fs.writeFileSync(js, compile(source, src, { ...options, plain: !instrument }));
    const r = runNode(["--enable-source-maps", js], { cwd: dir, env: profEnv(path.join(dir, "out.lprof")) });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split("\n").map((l) => l.split(" "));
  };
  const plain = run(false), profiled = run(true);
  assert.deepEqual(plain.map((l) => l.slice(0, 6).join(" ")), ["inner null null prog.js 15 10", "outer outer K prog.js 22 30", "3"]);
  assert.deepEqual(profiled.map((l) => l.slice(0, 6)), plain.map((l) => l.slice(0, 6)));
  const underRun = tsprof(["run", "-o", "run.lprof", "prog.ts"], { cwd: dir, env: profEnv(path.join(dir, "run.lprof")) });
  assert.equal(underRun.status, 0, underRun.stderr);
  const ran = underRun.stdout.trim().split("\n").slice(0, 3).map((l) => l.split(" ").slice(0, 6).join(" ").replace(" prog.ts ", " prog.js "));
  assert.deepEqual(ran, plain.map((l) => l.slice(0, 6).join(" ")), "under tsprof run");
  // Raw lines: the plain build's (transformer/relayout.ts).
  assert.deepEqual(profiled.map((l) => l[6]), plain.map((l) => l[6]));
});

test("raw CallSite lines and columns (getLineNumber, getColumnNumber and the enclosing ones) are the plain build's, tspc build and tsprof run: nested functions, methods, loops, multi-line statements, a self-calling function, async, arrows", () => {
  const dir = fs.realpathSync(makeProject("tsprof-unchanged-rawlines-"));
  const source = `const seen: string[] = [];
function where(tag: string) {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, cs) => cs;
  const cs = (new Error().stack as unknown as NodeJS.CallSite[])[1];
  Error.prepareStackTrace = saved;
  seen.push([tag, cs.getLineNumber(), cs.getEnclosingLineNumber(), cs.getColumnNumber(), cs.getEnclosingColumnNumber()].join("|"));
  return 1;
}
/** @profile */
function outer(n: number) {
  let total = 0;
  // a comment
  function nested(k: number) {
    return where("nested") + k;
  }
  for (let i = 0; i < n; i++) {
    total += nested(i);
  }
  const long = [
    1,
    where("multi-line"),
    3,
  ];
  const o = { a: where("object"), b: [where("array"), 2] }; where("second statement");
  if (n > 0) where("if on one line");
  return total + long.length + o.a;
}
class Shape {
  /** @profile */
  area(w: number,
       h: number) {
    if (w > 0) {
      where("method");
    }
    return w * h;
  }
}
/** @profile */
function fact(n: number): number {
  if (n <= 1) return where("recursion base");
  return n * fact(n - 1);
}
/** @profile */
async function later(x: number) {
  await null;
  where("async after await");
  return x;
}
/** @profile */
const arrow = (x: number) => where("arrow") + x;
/** @profile */
const block = (x: number) => {
  const y = x * 2;
  return where("arrow block") + y;
};
outer(2);
new Shape().area(2, 3);
fact(1);
fact(4);
arrow(1);
block(1);
later(1).then(() => console.log(seen.join("\\n")));
`;
  const src = path.join(dir, "prog.ts");
  fs.writeFileSync(src, source);
  const js = path.join(dir, "prog.js");
  const options = { compilerOptions: { inlineSourceMap: true } };
  const run = (instrument: boolean) => {
    fs.writeFileSync(js, compile(source, src, { ...options, plain: !instrument }));
    const r = runNode([js], { cwd: dir, env: profEnv(path.join(dir, "out.lprof")) });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const plain = run(false), profiled = run(true);
  const rows = plain.trim().split("\n").map((l) => l.split("|"));
  assert.equal(rows.length, 13, plain);
  assert.deepEqual(rows.find((r) => r[0] === "nested"), ["nested", "16", "15", "16", "5"]);
  // The differences (docs/semantics.md, "Limits"): a recursive call runs in the function's copy
  // (plan.ts selfCopy), which sits on the function's first line; where tsprof's code comes
  // before the call on its line (the copy, an expression arrow's body), the column is further right.
  const copy = rows.map((r) => r[0]).lastIndexOf("recursion base");
  assert.ok(copy > rows.findIndex((r) => r[0] === "recursion base"), plain);
  // Which fields each row is compared by: all of them, but lines only in the copy and no call
  // column in the expression arrow.
  const fields = rows.map((r, i) => (i === copy ? [0, 1, 2] : r[0] === "arrow" ? [0, 1, 2, 4] : [0, 1, 2, 3, 4]));
  const expected = rows.map((r, i) => (i === copy ? [r[0], r[2], r[2]] : fields[i].map((f) => r[f])));
  const judged = (stdout: string) => stdout.trim().split("\n").slice(0, rows.length).map((l, i) => fields[i].map((f) => l.split("|")[f]));
  assert.deepEqual(judged(profiled), expected);
  const underRun = tsprof(["run", "-o", "run.lprof", "prog.ts"], { cwd: dir, env: profEnv(path.join(dir, "run.lprof")) });
  assert.equal(underRun.status, 0, underRun.stderr);
  assert.deepEqual(judged(underRun.stdout), expected, "under tsprof run");
});
