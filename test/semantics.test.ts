/*
 * The program behaves exactly as before: every observable below is printed, and the instrumented
 * program must print the same as the plain one (runProfiled compares them), at every target.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { createTransformer } from "../transformer/index";
import { hitsByLine, makeProject, profEnv, runNode, runProfiled } from "./helpers";

const PROGRAM = `
/** @profile */
function strictThis(this: unknown) {
  "use strict";
  return typeof this;
}
/** @profile */
function sloppyArgs(a: number, b = a * 2, ...rest: number[]) {
  arguments[0] = 99;
  return [a, b, rest.length, arguments.length].join("/");
}
/** @profile */
function hoisting() {
  const r = inner() + (typeof later);
  function inner() { return "inner:"; }
  var later = 1;
  return r + later;
}
/** @profile */
function closures() {
  const fns: (() => number)[] = [];
  for (let i = 0; i < 3; i++) fns.push(() => i);
  return fns.map((f) => f()).join();
}
class Base {
  constructor(public kind: string) {}
  describe() { return "base " + this.kind; }
}
class Child extends Base {
  extra = "field";
  /** @profile */
  constructor(public n: number) {
    const pre = n * 2;
    super("child" + pre);
    this.extra += "!";
  }
  /** @profile */
  describe() { return super.describe() + " " + this.extra + " " + this.n; }
  /** @profile */
  get twice() { return this.n * 2; }
  /** @profile */
  set twice(v: number) { this.n = v / 2; }
  /** @profile */
  static create() { return new.target === undefined ? new this(4) : null; }
}
/** @profile */
function Ctor(this: { made: boolean }) {
  if (!new.target) return "called";
  this.made = true;
}
/** @profile */
function throws(kind: string) {
  if (kind === "type") throw new TypeError("bad type");
  if (kind === "value") throw 42;
  return "no throw";
}
/** @profile */
function* gen() {
  try {
    const got = yield 1;
    yield got * 2;
  } finally {
    console.log("gen cleanup");
  }
}
/** @profile */
async function asyncFlow(fail: boolean) {
  const a = await Promise.resolve(1);
  try {
    if (fail) await Promise.reject(new RangeError("nope"));
  } catch (e) {
    return "caught " + (e as Error).constructor.name;
  }
  return a + (await 2);
}
/** @profile */
function destructure({ x, y = 5 }: { x: number; y?: number }, [first, ...others]: number[]) {
  return x + y + first + others.length;
}
/** @profile */
const bound = function (this: { v: number }) { return this.v; };
/** @profile */
const arrowThis = () => typeof this;

console.log(strictThis.call(undefined), sloppyArgs(1), sloppyArgs(1, 2, 3, 4));
console.log(hoisting(), closures());
const c = new Child(3);
console.log(c.describe(), c.twice, (c.twice = 10, c.n), Child.create()?.describe());
console.log((Ctor as unknown as () => string)(), new (Ctor as unknown as new () => { made: boolean })().made);
for (const k of ["type", "value", "none"]) {
  try { console.log(throws(k)); } catch (e) { console.log("threw", e instanceof TypeError, String(e)); }
}
const g = gen();
console.log(g.next().value, g.next(21).value, g.return(7), g.next());
const g2 = gen();
g2.next();
try { g2.throw(new Error("into gen")); } catch (e) { console.log("rethrown", (e as Error).message); }
console.log(destructure({ x: 1 }, [10, 20, 30]), bound.call({ v: 8 }), arrowThis());
asyncFlow(false).then((v) => console.log("async", v));
asyncFlow(true).then((v) => console.log("async", v));
`;

for (const [label, target] of [["ES2022", ts.ScriptTarget.ES2022], ["ES2017", ts.ScriptTarget.ES2017], ["ES2015", ts.ScriptTarget.ES2015]] as const) {
  test(`behaviour unchanged (${label} target): this, arguments, hoisting, closures, super, new.target, throws, generators, async`, () => {
    const r = runProfiled(PROGRAM, { target });
    assert.equal(r.plain.stderr, "");
    assert.equal(r.profiled.stderr, "");
    assert.equal(r.profiled.stdout, r.plain.stdout);
    assert.match(r.plain.stdout, /caught RangeError/);
    // Every marked function ran and was counted.
    const names = r.profile.functions.filter((f) => [...f.lines.values()].some((l) => l.hits > 0)).map((f) => f.name);
    assert.deepEqual(names.sort(), [
      "Child.constructor", "Child.create", "Child.describe", "Child.get twice", "Child.set twice", "Ctor", "arrowThis",
      "asyncFlow", "bound", "closures", "destructure", "gen", "hoisting", "sloppyArgs", "strictThis", "throws",
    ]);
  });
}

test("the directive prologue stays first: a marked 'use strict' function is still strict", () => {
  const r = runProfiled(`
/** @profile */
function f(this: unknown) {
  "use strict";
  return this === undefined; // hits: 1
}
console.log(f());
`, { compilerOptions: { alwaysStrict: false } });
  assert.equal(r.profiled.stdout, "true\n");
  assert.deepEqual(hitsByLine(r.profile), { 5: 1 });
});

test("source maps still point at the original TypeScript lines", () => {
  const dir = makeProject();
  const src = path.join(dir, "prog.ts");
  const source = `interface Unused { a: number }
type Alias = string;

/** @profile */
function deep(n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += i;
  if (acc > 5) {
    throw new Error("deep failure");
  }
  return acc;
}
deep(10);
`;
  fs.writeFileSync(src, source);
  for (const [name, instrument] of [["plain", false], ["prof", true]] as const) {
    const out = ts.transpileModule(source, {
      fileName: src,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, inlineSourceMap: true, inlineSources: true },
      transformers: instrument ? { before: [createTransformer(ts)] } : undefined,
    });
    fs.writeFileSync(path.join(dir, `${name}.js`), out.outputText);
  }
  const frame = (file: string) => {
    const r = runNode(["--enable-source-maps", file], { cwd: dir, env: profEnv(path.join(dir, "out.lprof")) });
    return /prog\.ts:(\d+):(\d+)/.exec(r.stderr)?.slice(1).map(Number);
  };
  assert.deepEqual(frame("plain.js"), [9, 11]);
  assert.deepEqual(frame("prof.js"), [9, 11]);
});
