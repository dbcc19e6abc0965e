/*
 * Programs that must behave exactly as they do unprofiled: same stdout, stderr, exit status and
 * stack lines, instrumented by the plugin's transform and under `tsprof run`, with the hits each
 * line must show in trailing `// hits: N` comments. Run by unchanged.test.ts.
 */
import * as ts from "typescript";
import type { CompileOptions } from "./helpers";

export interface UnchangedCase {
  name: string;
  source: string;
  /** Other files of the program (a module it imports), written beside it. */
  files?: Record<string, string>;
  /** The plugin path's compile options (`tsprof run` reads `tsconfig` from `tsconfigOptions`). */
  options?: CompileOptions;
  /** compilerOptions written to tsconfig.json for `tsprof run`. */
  tsconfigOptions?: Record<string, unknown>;
  /** Skip `tsprof run` (an option it does not take: target, module). */
  pluginOnly?: boolean;
  /** Compare stderr under `tsprof run` too (where the program's stderr must be all there is). */
  runStderr?: boolean;
}

const terms = (n: number) => Array.from({ length: n }, (_, i) => `a${i % 5}`).join(" + ");

export const unchangedCases: UnchangedCase[] = [
  {
    name: "function declarations in a marked body: var g; function g() {}, closures over let, TDZ",
    source: `
/** @profile */
function f() {
  var g: any; // hits: 1
  function g() { return 1; }
  return typeof g; // hits: 1
}
/** @profile */
function h(x: number) {
  if (x > 0) return k(); // hits: 1
  function k() { return "hoisted"; }
  return "no";
}
/** @profile */
function closes() {
  let self = "closed over"; // hits: 1
  function inner() { return self; }
  return inner(); // hits: 1
}
/** @profile */
function tdz() {
  function read() { return x; }
  try { read(); } catch (e) { return (e as Error).name; } // hits: 1
  let x = 1;
  return "no TDZ";
}
console.log(f(), h(1), closes(), tdz());
`,
  },
  {
    name: "a 2,000-term expression, in a marked function and in an unmarked one, builds and runs",
    source: `
const a0 = 1, a1 = 2, a2 = 3, a3 = 4, a4 = 5;
function unmarked() { return ${terms(2000)}; }
/** @profile */
function marked(x: number) {
  const y = ${terms(2000)}; // hits: 1
  return x + y + unmarked(); // hits: 1
}
console.log(marked(1));
`,
  },
  {
    name: "a script (no import or export) built with module esnext stays a script",
    source: `
var total = 0;
/** @profile */
function add(n: number) {
  total += n; // hits: 2
  return total; // hits: 2
}
console.log(add(2), add(3), typeof this, typeof require);
`,
    options: { compilerOptions: { module: ts.ModuleKind.ESNext } },
    pluginOnly: true,
  },
  {
    name: "ES5 target: for…of over a string iterates it",
    source: `
/** @profile */
function f() {
  let out = ""; // hits: 1
  for (const c of "abc") out += c.toUpperCase(); // hits: 4
  for (const n of [1, 2]) { // hits: 3
    out += n; // hits: 2
  }
  return out; // hits: 1
}
console.log(f());
`,
    options: { target: ts.ScriptTarget.ES5 },
  },
  {
    name: "@profile as a class's and a method's only decorator keeps emitDecoratorMetadata's design:* metadata",
    source: `
import { profile } from "tsprof";
const seen: string[] = [];
(Reflect as any).metadata = (k: string, v: any) => (t: any, key?: string) => {
  seen.push(\`\${key ? t.constructor.name + "." + key : t.name} \${k} \${typeof v === "function" ? v.name : Array.isArray(v) ? v.map((x: any) => x.name).join(",") : v}\`);
};
class Dep {}
@profile
class Svc {
  constructor(readonly dep: Dep) {}
  @profile
  run(x: number): string {
    return String(x); // hits: 1
  }
}
console.log(new Svc(new Dep()).run(3), seen.sort().join("; "));
`,
    options: { compilerOptions: { experimentalDecorators: true, emitDecoratorMetadata: true } },
    tsconfigOptions: { experimentalDecorators: true, emitDecoratorMetadata: true },
  },
  {
    name: "@profile as a class's only standard decorator keeps Symbol.metadata",
    source: `
import { profile } from "tsprof";
(Symbol as any).metadata ??= Symbol("Symbol.metadata");
@profile
class A {
  m() {
    return 1; // hits: 1
  }
}
const meta = (A as any)[(Symbol as any).metadata];
console.log(new A().m(), typeof meta, meta === null);
`,
    // `tsprof run` emits standard decorators as they are written, which Node 20 cannot parse yet.
    pluginOnly: true,
  },
  {
    name: "a program's own decorator named profile (a local function) is not a mark",
    source: `
const seen: string[] = [];
function profile(_t: unknown, key: string) { seen.push(key); }
class A {
  @profile
  m() {
    return 1;
  }
}
console.log(new A().m(), seen);
`,
    options: { compilerOptions: { experimentalDecorators: true } },
    tsconfigOptions: { experimentalDecorators: true },
  },
  {
    name: "a decorator named profile imported from another module is not a mark",
    source: `
import { profile, seen } from "./deco";
class A {
  @profile
  m() {
    return 2;
  }
}
/** @profile */
function marked() {
  return new A().m(); // hits: 1
}
console.log(marked(), seen);
`,
    files: {
      "deco.ts": `export const seen: string[] = [];
export function profile(_t: unknown, key: string) { seen.push("deco:" + key); }
`,
    },
    options: { compilerOptions: { experimentalDecorators: true } },
    tsconfigOptions: { experimentalDecorators: true },
  },
  {
    name: "for…of reads next once, looks up return lazily, and a throwing return getter throws only at close",
    source: `
const log: string[] = [];
function make() {
  let i = 0;
  const it: any = {};
  Object.defineProperty(it, "next", {
    configurable: true, writable: true,
    value: () => ({ done: i >= 3, value: ++i }),
  });
  const watched = new Proxy(it, { get(t, k, r) { log.push("get " + String(k)); return Reflect.get(t, k, r); } });
  return { it, iterable: { [Symbol.iterator]() { log.push("iterator"); return watched; } } };
}
/** @profile */
function run() {
  const out: number[] = []; // hits: 1
  const a = make(); // hits: 1
  for (const x of a.iterable) { // hits: 4
    a.it.next = () => ({ done: true, value: 0 }); // hits: 3
    out.push(x); // hits: 3
  }
  const b = make(); // hits: 1
  for (const x of b.iterable) { // hits: 2
    b.it.return = () => { log.push("return called"); return {}; }; // hits: 1
    break; // hits: 1
  }
  const c = make(); // hits: 1
  Object.defineProperty(c.it, "return", { get() { throw new Error("return getter"); } }); // hits: 1
  try { // hits: 1
    for (const x of c.iterable) { // hits: 2
      out.push(x * 10); // hits: 1
      break; // hits: 1
    }
  } catch (e) { // hits: 1
    log.push((e as Error).message); // hits: 1
  }
  return out; // hits: 1
}
console.log(run().join(","), log.join("|"));
`,
  },
  {
    name: "a Proxy array sees exactly the reads it sees unprofiled; non-iterables throw the same message",
    source: `
const reads: string[] = [];
const arr = new Proxy([1, 2], { get(t, k, r) { reads.push(String(k)); return Reflect.get(t, k, r); } });
/** @profile */
function run(o: any, n: any) {
  let s = 0; // hits: 2
  for (const x of o) s += x; // hits: 5
  try { // hits: 2
    for (const x of n) s += x; // hits: 2
  } catch (e) { // hits: 2
    console.log((e as Error).message); // hits: 2
  }
  try { // hits: 2
    for (const x of n.items) s += x; // hits: 2
  } catch (e) { // hits: 2
    console.log((e as Error).message); // hits: 2
  }
  return s; // hits: 2
}
console.log(run(arr, 5), run([3], { items: 7 }), reads.join(","));
`,
  },
  {
    name: "yield* uses Symbol.iterator in a sync generator, Symbol.asyncIterator then Symbol.iterator in an async one",
    source: `
const both = {
  [Symbol.iterator]() { return [1, 2][Symbol.iterator](); },
  [Symbol.asyncIterator]() { return (async function* () { yield 10; yield 20; })(); },
};
const syncOnly = { [Symbol.iterator]() { return [7][Symbol.iterator](); } };
/** @profile */
function* g() {
  const r = yield* both; // hits: 1
  yield r; // hits: 1
}
/** @profile */
async function* ag() {
  yield* both; // hits: 1
  yield* syncOnly; // hits: 1
}
/** @profile */
function* bad() {
  yield* (5 as any); // hits: 1
}
async function main() {
  console.log([...g()].join(","));
  const out: number[] = [];
  for await (const x of ag()) out.push(x);
  console.log(out.join(","));
  try { [...bad()]; } catch (e) { console.log((e as Error).message); }
}
main();
`,
  },
  {
    name: "an error thrown in a generator driven by for…of has the same stack lines",
    source: `
/** @profile */
function* gen() {
  yield 1; // hits: 1
  throw new Error("in gen"); // hits: 1
}
/** @profile */
function drive() {
  for (const x of gen()) console.log(x); // hits: 2
}
try {
  drive();
} catch (e) {
  console.log(String((e as Error).stack).split("\\n").slice(0, 4).map((l) => l.replace(/\\(.*[\\\\/]/, "(")).join("\\n"));
}
`,
  },
  {
    name: "wrong hits: a mark on the first overload, a marked class expression, lines continued after a block",
    source: `
/** @profile */
function over(x: string): string;
function over(x: number): number;
function over(x: any): any {
  return x; // hits: 2
}
/** @profile */
const C = class {
  m(n: number) {
    return n * 2; // hits: 1
  }
};
/** @profile */
function br(c: boolean) {
  let out = 0; // hits: 2
  if (c) { // hits: 2
    out += 1; // hits: 1
  } else { out += 2; } out += 3; // hits: 2
  do { // hits: 2
    out++; // hits: 5
  } while (out < 7); out++; // hits: 5
  return out; // hits: 2
}
console.log(over("a"), over(1), new C().m(4), br(true), br(false));
`,
  },
  {
    name: "deep recursion: 5,000 frames run instrumented",
    source: `
/** @profile */
function depth(n: number): number {
  return n === 0 ? 0 : 1 + depth(n - 1); // hits: 5001
}
console.log(depth(5000));
`,
  },
  {
    name: "toString() of instrumented functions, methods, accessors, arrows, and of the class and function around them, is the plain build's",
    source: `
export {};
/** @profile */
export function add(a: number, b: number): number {
  const c = a + b; // hits: 1
  return c; // hits: 1
}
/** @profile */
const arrow = (x: number) => x * 2; // hits: 1
/** @profile */
const one = (x: number) => x + 1;
class Box<T> {
  private items: T[] = [];
  /** @profile */
  static make(n: number) {
    return new Box<number>();
  }
  /** @profile */
  get size(): number {
    return this.items.length;
  }
  /** @profile */
  async load(x: T) {
    await null;
    this.items.push(x);
  }
  /** @profile */
  *each() {
    yield* this.items;
  }
}
function outer() {
  /** @profile */
  function inner(q: string) {
    return q.toUpperCase();
  }
  return inner;
}
const obj = {
  /** @profile */
  method(k: string) {
    if (k) return k;
    return "none";
  },
};
const size = Object.getOwnPropertyDescriptor(Box.prototype, "size")!.get!;
for (const f of [add, arrow, one, Box, Box.make, size, Box.prototype.load, Box.prototype.each, outer, outer(), obj.method]) {
  console.log(Function.prototype.toString.call(f));
}
// Code rebuilt from a function's text runs (it names no probe).
console.log(new Function("return " + add)()(2, 3), new Function("return " + one)()(4), add(1, 1), arrow(3));
const ts = Function.prototype.toString;
console.log(add.name, add.length, Box.make.length, ts.toString(), ts.name, ts.length, "prototype" in ts, String(ts.call(ts)));
console.log(process.listenerCount.toString() === (process as any).__proto__.listenerCount.toString(), process.listenerCount.name);
try { ts.call({}); } catch (e) { console.log((e as Error).constructor.name, (e as Error).message); }
`,
    runStderr: true,
  },
  {
    name: "a program that leaves the built-ins broken at exit is profiled, and its exit listeners still see them broken",
    source: `
/** @profile */
function sum(xs: number[]) {
  let t = 0; // hits: 1
  for (const x of xs) t += x; // hits: 4
  return t; // hits: 1
}
console.log(sum([1, 2, 3]));
const log = console.log.bind(console);
const A = Array.prototype as any, O = Object.prototype as any, S = String.prototype as any;
const boom = function () { throw new Error("the program's own"); };
const saved = A[Symbol.iterator];
for (const k of ["map", "filter", "push", "slice", "sort", "join", "concat", "forEach", "indexOf", "includes"]) A[k] = boom;
for (const k of ["replace", "slice", "split", "includes", "startsWith", "endsWith", "indexOf", "padStart", "toString"]) S[k] = boom;
A[Symbol.iterator] = boom;
S[Symbol.iterator] = boom;
O.toJSON = boom;
(Map.prototype as any)[Symbol.iterator] = boom;
(Set.prototype as any).has = boom;
(WeakMap.prototype as any).get = boom;
(Object as any).keys = boom;
(Object as any).entries = boom;
(JSON as any).stringify = boom;
(Math as any).round = boom;
(Date.prototype as any).toISOString = boom;
delete A.at;
process.on("exit", () => log("still the program's:", A.map === boom, A[Symbol.iterator] === boom, O.toJSON === boom, JSON.stringify === boom, !("at" in A), saved !== boom, process.listenerCount("exit")));
`,
    runStderr: true,
  },
  {
    name: "listener counts, lists and event names of process, and its own keys, read as unprofiled",
    source: `
/** @profile */
function f() {
  return 1; // hits: 1
}
console.log(f());
const events = ["exit", "beforeExit", "SIGINT", "SIGTERM", "SIGHUP", "uncaughtException", "uncaughtExceptionMonitor", "unhandledRejection", "newListener", "removeListener", "warning"];
const counts = () => events.map((e) => \`\${e}=\${process.listenerCount(e)}/\${process.listeners(e).length}/\${process.rawListeners(e).length}\`).join(" ");
console.log(counts());
const mine = () => undefined;
process.on("SIGINT", mine);
process.once("exit", mine);
console.log(counts(), process.listenerCount("SIGINT", mine), process.listeners("SIGINT").indexOf(mine));
process.removeListener("SIGINT", mine);
console.log(process.eventNames().map(String).join(","), Object.getOwnPropertyNames(process).filter((k) => /listener|eventNames/i.test(k)).join(","));
console.log(process.listenerCount.length, process.listeners.length, process.listenerCount.name, process.hasOwnProperty("listenerCount"));
`,
    runStderr: true,
  },
];
