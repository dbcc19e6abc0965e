/*
 * The probe plan, checked directly: which sites read the clock. A loop test costing under a
 * nanosecond is counted but not timed, and only when the loop body is timed every iteration.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as ts from "typescript";
import { isTrivial, planFile } from "../transformer/plan";

function testSites(body: string) {
  const src = `/** @profile */\nfunction f(n: number, xs: number[], q: number[]) {\n${body}\n}\n`;
  const sf = ts.createSourceFile("f.ts", src, ts.ScriptTarget.ES2022, true);
  const [fn] = planFile(ts, sf).functions;
  return fn.sites.filter((s) => s.kind === "test").map((s) => s.clock);
}

test("a cheap loop test with a timed body is counted, not timed", () => {
  assert.deepEqual(testSites("  for (let i = 0; i < n; i++) {\n    n--;\n  }"), [false]);
  assert.deepEqual(testSites("  let i = 0;\n  while (i < xs.length) {\n    i += 2;\n  }"), [false]);
  assert.deepEqual(testSites("  let i = 0;\n  do {\n    i++;\n  } while (i !== n);"), [false]);
});

test("a loop test is timed when it may cost something, or when nothing else times the loop", () => {
  // Calls, getters other than length, property stores, allocation: timed.
  assert.deepEqual(testSites("  while (q.shift()) {\n    n--;\n  }"), [true]);
  assert.deepEqual(testSites("  for (let i = 0; i < Math.min(n, 3); i++) {\n    n--;\n  }"), [true]);
  assert.deepEqual(testSites("  for (let i = 0; i < n; xs[0] = i++) {\n    n--;\n  }"), [true]);
  // A body on the header's line, an empty body, or a body starting with another untimed loop.
  assert.deepEqual(testSites("  for (let i = 0; i < n; i++) n--;"), [true]);
  assert.deepEqual(testSites("  for (let i = 0; i < n; i++) {}"), [true]);
  assert.deepEqual(testSites("  for (let i = 0; i < n; i++) {\n    while (n > 0) {\n      n--;\n    }\n  }"), [true, false]);
});

test("isTrivial accepts variables, literals, operators and .length only", () => {
  const expr = (text: string) => {
    const sf = ts.createSourceFile("e.ts", `(${text});`, ts.ScriptTarget.ES2022, true);
    return ((sf.statements[0] as ts.ExpressionStatement).expression as ts.ParenthesizedExpression).expression;
  };
  for (const ok of ["i < n", "i++", "i += 2", "xs.length - 1 > i", "!done && i !== 0", "(a as number) <= 10n"]) {
    assert.equal(isTrivial(ts, expr(ok)), true, ok);
  }
  for (const no of ["f()", "o.size > 0", "xs[i]", "k in o", "o.x = 1", "new A()", "`${i}`", "a instanceof B"]) {
    assert.equal(isTrivial(ts, expr(no)), false, no);
  }
});

test("light lines, the yardstick for the probe's cost in situ, call and allocate nothing", () => {
  const src = [
    "/** @profile */",
    "function f(o: { a: number[]; b: { c: number } }, k: number, s: string) {",
    "  const x = o.a[k] * 2 + o.b.c;", // light: reads, arithmetic
    "  o.b.c = x > 3 ? x : -x;", // light: a property store, a conditional
    "  const t = s + k;", // not light: string concatenation may allocate
    "  const y = Math.sqrt(x);", // not light: a call
    "  const z = { x };", // not light: an object literal
    "  if (typeof s === \"string\" && !k) return x;", // light
    "  return y * z.x - t.length;", // light (a `+` of two unknowns could concatenate: not)
    "}",
  ].join("\n");
  const sf = ts.createSourceFile("f.ts", src, ts.ScriptTarget.ES2022, true);
  const [fn] = planFile(ts, sf).functions;
  const lightLines = fn.light.map((slot) => fn.lines[slot]);
  assert.deepEqual(lightLines, [3, 4, 8, 9]);
});

test("memory mode reads nothing after property reads and a plain binding's step over a local, and reads after stores, calls and destructuring", () => {
  const src = [
    "/** @profile */",
    "function f(o: { x: number }, pts: { x: number }[], pairs: number[][]) {",
    "  let s = o.x + this.x;", // quiet: reads
    "  for (const p of pts) {", // quiet: `arrays` makes it read unless pts is a plain array
    "    s += p.x;", // quiet
    "  }",
    "  for (const [a] of pairs) s += a;", // reads: destructuring iterates
    "  o.x++;", // reads: a store
    "  const y = { s };", // reads: an object literal
    "  return y.s;", // quiet
    "}",
  ].join("\n");
  const sf = ts.createSourceFile("f.ts", src, ts.ScriptTarget.ES2022, true);
  const [fn] = planFile(ts, sf).functions;
  assert.deepEqual(fn.quiet.map((slot) => fn.lines[slot]), [3, 4, 5, 10]);
  assert.ok(fn.sites.some((s) => s.kind === "arrays" && fn.lines[s.slot] === 4));
});
