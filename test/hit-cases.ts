/*
 * Small programs with the hits each line must show, in trailing `// hits: N` comments: the
 * data-driven spec of what a hit is (docs/semantics.md). Run by hits.test.ts (exact timing)
 * and sampled.test.ts (sampled timing): hits are exact in every mode.
 */
import type { CompileOptions } from "./helpers";

export interface Case {
  name: string;
  source: string;
  options?: CompileOptions;
}

export const cases: Case[] = [
  {
    name: "straight-line code and a for loop: header once per test evaluation",
    source: `
/** @profile */
function sum(n: number) {
  let s = 0; // hits: 1
  for (let i = 0; i < n; i++) { // hits: 6
    s += i; // hits: 5
  }
  return s; // hits: 1
}
console.log(sum(5));
`,
  },
  {
    name: "braceless if/else bodies and else-if chains",
    source: `
/** @profile */
function classify(x: number) {
  if (x < 0) // hits: 6
    return "neg"; // hits: 1
  else if (x === 0) // hits: 5
    return "zero"; // hits: 1
  else if (x < 10) return "small"; // hits: 4
  else
    return "big"; // hits: 2
}
for (const x of [-1, 0, 5, 50, 7, 70]) console.log(classify(x));
`,
  },
  {
    name: "switch: cases entered by match and by fall-through; default",
    source: `
/** @profile */
function f(x: number) {
  let out = ""; // hits: 5
  switch (x) { // hits: 5
    case 1: // hits: 2
      out += "a"; // hits: 2
    case 2: // hits: 3
      out += "b"; // hits: 3
      break; // hits: 3
    case 3: out += "c"; break; // hits: 1
    default: // hits: 1
      out += "d"; // hits: 1
  }
  return out; // hits: 5
}
console.log([1, 2, 1, 3, 9].map(f).join(","));
`,
  },
  {
    name: "labeled break and continue",
    source: `
/** @profile */
function f() {
  let n = 0; // hits: 1
  outer: for (let i = 0; i < 3; i++) { // hits: 4
    for (let j = 0; j < 3; j++) { // hits: 6
      if (j === 1) continue outer; // hits: 6
      if (i === 5) break outer; // hits: 3
      n++; // hits: 3
    }
  }
  return n; // hits: 1
}
console.log(f());
`,
  },
  {
    name: "for...of and for...in: n + 1 header hits",
    source: `
/** @profile */
function f(xs: number[], o: Record<string, number>) {
  let t = 0; // hits: 1
  for (const x of xs) { // hits: 4
    t += x; // hits: 3
  }
  for (const k in o) // hits: 3
    t += o[k]; // hits: 2
  return t; // hits: 1
}
console.log(f([1, 2, 3], { a: 10, b: 20 }));
`,
  },
  {
    name: "while and do...while",
    source: `
/** @profile */
function f(n: number) {
  let i = 0; // hits: 1
  while (i < n) { // hits: 4
    i++; // hits: 3
  }
  do { // hits: 1
    i--; // hits: 3
  } while (i > 0); // hits: 3
  return i; // hits: 1
}
console.log(f(3));
`,
  },
  {
    name: "try/catch/finally, with and without a throw",
    source: `
/** @profile */
function f(fail: boolean) {
  try { // hits: 2
    if (fail) throw new Error("x"); // hits: 2
    return "ok"; // hits: 1
  } catch (e) { // hits: 1
    return "caught " + (e as Error).message; // hits: 1
  } finally { // hits: 2
    console.log("finally"); // hits: 2
  }
}
console.log(f(false), f(true));
`,
  },
  {
    name: "two statements on one line count once; a multi-line statement counts at its first line",
    source: `
/** @profile */
function f() {
  let a = 1; let b = 2; // hits: 1
  const c = [ // hits: 1
    a,
    b,
  ];
  const d = a + // hits: 1
    b;
  return c.length + d; // hits: 1
}
console.log(f());
`,
  },
  {
    name: "comma expressions and a one-line loop",
    source: `
/** @profile */
function f() {
  let a = 0, b = 0; // hits: 1
  for (let i = 0; i < 3; i++, a++) b += i, a += 2; // hits: 4
  return (a++, b++, a + b); // hits: 1
}
console.log(f());
`,
  },
  {
    name: "recursion: each call has its own state",
    source: `
/** @profile */
function fib(n: number): number {
  if (n < 2) return n; // hits: 177
  return fib(n - 1) + fib(n - 2); // hits: 88
}
console.log(fib(10));
`,
  },
  {
    name: "an unmarked nested function is not profiled; its time lands in the enclosing line",
    source: `
/** @profile */
function outer(xs: number[]) {
  const double = (x: number) => { // hits: 1
    const y = x * 2;
    return y;
  };
  return xs.map(double); // hits: 1
}
console.log(outer([1, 2, 3]).join());
`,
  },
  {
    name: "a marked nested function is profiled on its own",
    source: `
/** @profile */
function outer(xs: number[]) {
  /** @profile */
  const double = (x: number) => { // hits: 1
    const y = x * 2; // hits: 3
    return y; // hits: 3
  };
  return xs.map(double); // hits: 1
}
console.log(outer([1, 2, 3]).join());
`,
  },
  {
    name: "arrow with an expression body, and an arrow in a class field",
    source: `
/** @profile */
const square = (x: number) => x * x; // hits: 3
class Button {
  clicks = 0;
  /** @profile */
  onClick = () => { this.clicks++; return this.clicks; }; // hits: 2
}
const b = new Button();
console.log([1, 2, 3].map(square).join(), b.onClick(), b.onClick());
`,
  },
  {
    name: "function expressions, object-literal methods, getters, setters, static methods, constructors",
    source: `
const api = {
  /** @profile */
  twice(x: number) {
    return 2 * x; // hits: 2
  },
  /** @profile */
  named: function inner(x: number) {
    return x + 1; // hits: 1
  },
};
class Temp {
  private c = 0;
  /** @profile */
  constructor(c: number) {
    this.c = c; // hits: 1
  }
  /** @profile */
  get f() {
    return this.c * 9 / 5 + 32; // hits: 2
  }
  /** @profile */
  set f(v: number) {
    this.c = (v - 32) * 5 / 9; // hits: 1
  }
  /** @profile */
  static zero() {
    return new Temp(0);
  }
}
const t = new Temp(100);
const before = t.f;
t.f = 50;
console.log(api.twice(2), api.twice(3), api.named(1), before, t.f);
`,
  },
  {
    name: "async functions: interleaved calls keep their own counts",
    source: `
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** @profile */
async function job(id: number, ms: number) {
  let out = id; // hits: 3
  for (let i = 0; i < 2; i++) { // hits: 9
    await sleep(ms); // hits: 6
    out += i; // hits: 6
  }
  return out; // hits: 3
}
Promise.all([job(1, 5), job(2, 1), job(3, 3)]).then((r) => console.log(r.join()));
`,
  },
  {
    name: "generators: yield, return() and throw()",
    source: `
/** @profile */
function* count(n: number) {
  try { // hits: 3
    for (let i = 0; i < n; i++) { // hits: 7
      yield i; // hits: 6
    }
  } finally { // hits: 3
    console.log("closed"); // hits: 3
  }
}
console.log([...count(3)].join());
const g = count(5); g.next(); g.next();
console.log(g.return(42).value);
const h = count(5); h.next();
try { h.throw(new Error("stop")); } catch (e) { console.log((e as Error).message); }
`,
  },
  {
    name: "async generators and for await",
    source: `
/** @profile */
async function* ticks(n: number) {
  for (let i = 0; i < n; i++) { // hits: 4
    await new Promise((r) => setTimeout(r, 1)); // hits: 3
    yield i; // hits: 3
  }
}
/** @profile */
async function consume() {
  let total = 0; // hits: 1
  for await (const t of ticks(3)) { // hits: 4
    total += t; // hits: 3
  }
  for await (const v of [Promise.resolve(10), 20]) total += v; // hits: 3
  return total; // hits: 1
}
consume().then(console.log);
`,
  },
  {
    name: "yield* delegation",
    source: `
function* inner() { yield 1; yield 2; return 3; }
/** @profile */
function* outer() {
  const r = yield* inner(); // hits: 1
  yield r; // hits: 1
}
console.log([...outer()].join());
`,
  },
  {
    name: "the @profile decorator on methods and on a class",
    source: `
import { profile } from "tsprof";
class A {
  @profile
  m(x: number) {
    return x + 1; // hits: 2
  }
  n() {
    return 0;
  }
}
@profile
class B {
  constructor() {
    this.v = 1; // hits: 1
  }
  v: number;
  get w() {
    return this.v; // hits: 1
  }
  static s() {
    return 5; // hits: 1
  }
  arrow = () => this.v + 1; // hits: 1
}
const a = new A();
const b = new B();
console.log(a.m(1), a.m(2), a.n(), b.w, B.s(), b.arrow());
`,
  },
  {
    name: "a JSDoc mark after another decorator",
    source: `
function logged(_value: unknown, _context: unknown) {}
class Api {
  @logged
  /** @profile */
  list(n: number) {
    return n * 2; // hits: 1
  }
  @logged
  static /** @profile */ count() {
    return 3; // hits: 1
  }
}
console.log(new Api().list(2), Api.count());
`,
  },
  {
    name: "ES module output",
    options: { esm: true },
    source: `
/** @profile */
export function f(n: number) {
  let s = ""; // hits: 1
  for (let i = 0; i < n; i++) s += i; // hits: 4
  return s; // hits: 1
}
console.log(f(3));
`,
  },
  {
    name: "downlevelled output (ES2015 target: async becomes generators, fields become assignments)",
    options: { target: 2 /* ES2015 */ },
    source: `
class Base { constructor(public id: number) {} }
class Derived extends Base {
  tag = "d";
  /** @profile */
  constructor(id: number, public extra: string) {
    super(id); // hits: 1
    console.log(this.tag, this.extra); // hits: 1
  }
  /** @profile */
  async load() {
    const v = await Promise.resolve(this.id); // hits: 1
    return v * 2; // hits: 1
  }
}
new Derived(21, "x").load().then(console.log);
`,
  },
];

