/*
 * The test262 runner (bench/test262.ts), end to end: each test run plain and with every function
 * instrumented, in test262's own format (metadata, harness includes, strict mode, runtime-negative
 * and async tests, skips). The tests here are written for tsprof in that format; the whole of
 * test262's `language/` is `npm run bench:test262 -- <checkout>` (about 35 minutes). With
 * TEST262_DIR set to a checkout of tc39/test262, a representative slice of it runs too.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, runNode } from "./helpers";

const RUNNER = path.join(ROOT, "dist", "bench", "test262.js");

const HARNESS: Record<string, string> = {
  "sta.js": `function Test262Error(message) { this.message = message || ""; }
Test262Error.prototype.toString = function () { return "Test262Error: " + this.message; };
`,
  "assert.js": `function assert(ok, message) { if (ok !== true) throw new Test262Error(message); }
assert.sameValue = function (a, b, message) { if (!Object.is(a, b)) throw new Test262Error((message || "") + " expected " + String(b) + ", got " + String(a)); };
assert.throws = function (C, f) { try { f(); } catch (e) { if (e.constructor !== C) throw new Test262Error("wrong error " + e); return; } throw new Test262Error("no throw"); };
`,
  "doneprintHandle.js": `function $DONE(error) { print(error ? "Test262:AsyncTestFailure:" + error : "Test262:AsyncTestComplete"); }
`,
  "compareArray.js": `function compareArray(a, b) { return a.length === b.length && a.every(function (x, i) { return Object.is(x, b[i]); }); }
`,
};

const meta = (lines: string) => `/*---\ndescription: tsprof\n${lines}---*/\n`;

const TESTS: Record<string, string> = {
  // Delegation reads `next` once and sees every protocol step as the program does.
  "yield/delegate-next-once.js": meta("includes: [compareArray.js]\n") + `var reads = 0, log = [];
var inner = { [Symbol.iterator]() { return this; }, get next() { reads++; var i = 0; return function () { log.push(i); return { done: i > 2, value: i++ }; }; } };
function* g() { var r = yield* inner; return r; }
var out = [];
for (var v of g()) out.push(v);
assert(compareArray(out, [0, 1, 2]), "values " + out);
assert.sameValue(reads, 1, "next reads");
`,
  "function/tostring.js": meta("") + `function f(a, b) { return a + b; }
assert.sameValue(String(f), "function f(a, b) { return a + b; }");
assert.sameValue(new Function("return " + f)()(1, 2), 3);
`,
  "function/arguments-sloppy.js": meta("flags: [noStrict]\n") + `function f(a) { arguments[0] = 2; return a; }
assert.sameValue(f(1), 2);
`,
  "function/this-strict.js": meta("flags: [onlyStrict]\n") + `function f() { return this; }
assert.sameValue(f(), undefined);
`,
  "negative/runtime-type-error.js": meta("negative:\n  phase: runtime\n  type: TypeError\n") + `function f(o) { return o.x; }
f(null);
`,
  "async/await-order.js": meta("flags: [async]\n") + `var log = [];
async function f() { log.push(1); await null; log.push(3); }
f().then(function () { log.push(4); assert.sameValue(log.join(), "1,2,3,4"); }).then($DONE, $DONE);
log.push(2);
`,
  // Reads a raw CallSite line number: passes plain only, a documented limit (docs/semantics.md).
  "limits/callsite-line.js": meta("") + `function where() {
  var saved = Error.prepareStackTrace;
  Error.prepareStackTrace = function (e, cs) { return cs; };
  var line = new Error().stack[0].getLineNumber();
  Error.prepareStackTrace = saved;
  return line;
}
assert.sameValue(where(), 7);
`,
  // \`let\` + a line break where only a statement may stand: the identifier, then a block.
  "statements/let-asi-body.js": meta("flags: [noStrict]\n") + `var let = 3;
function f(xs) {
  for (var x of xs) let // ASI
  {}
  for (var k in xs) let // ASI
  {}
  if (xs.length) let // ASI
  {}
  return x + k;
}
assert.sameValue(f([1, 2]), "21");
`,
  "fails/always.js": meta("") + "function f() { throw new Test262Error(\"fails both ways\"); }\nf();\n",
  "skipped/module.js": meta("flags: [module]\n") + "export var x = 1;\n",
  "skipped/syntax.js": meta("negative:\n  phase: parse\n  type: SyntaxError\n") + "$DONOTEVALUATE();\nvar = 1;\n",
};

function tree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-test262-"));
  for (const [name, text] of Object.entries(HARNESS)) {
    fs.mkdirSync(path.join(root, "harness"), { recursive: true });
    fs.writeFileSync(path.join(root, "harness", name), text);
  }
  for (const [name, text] of Object.entries(TESTS)) {
    const file = path.join(root, "test", "language", name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

interface Summary { files: number; skipped: number; both: number; onlyPlain: number; onlyProfiled: number; neither: number; onlyPlainTests: string[] }

function runner(root: string, dirs: string[]): Summary {
  const json = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-test262-out-")), "test262.json");
  const r = runNode([RUNNER, root, ...dirs, "--jobs", "1", "--json", json], { timeout: 600_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(fs.readFileSync(json, "utf8")) as Summary;
}

test("test262 runner: test262-format tests plain and instrumented; only the documented CallSite limit passes one way only", () => {
  const s = runner(tree(), []);
  assert.deepEqual(
    { files: s.files, skipped: s.skipped, both: s.both, onlyPlain: s.onlyPlain, onlyProfiled: s.onlyProfiled, neither: s.neither },
    { files: 11, skipped: 2, both: 7, onlyPlain: 1, onlyProfiled: 0, neither: 1 },
  );
  assert.deepEqual(s.onlyPlainTests.map((l) => l.split(/\s+/)[0]), ["test/language/limits/callsite-line.js"]);
});

const TEST262 = process.env.TEST262_DIR;

test("test262 (TEST262_DIR): yield, computed property names, try: every test that passes plain passes instrumented", { skip: TEST262 ? false : "TEST262_DIR is not set to a checkout of tc39/test262" }, () => {
  const s = runner(TEST262!, ["expressions/yield", "computed-property-names", "statements/try"]);
  assert.ok(s.both > 250, `only ${s.both} passed both ways`);
  assert.deepEqual(s.onlyPlainTests, []);
  assert.equal(s.onlyProfiled, 0);
});
