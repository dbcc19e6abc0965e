/*
 * STMT and setup as `tsprof timeit` compiles them: TypeScript stripped, imports hoisted, the
 * statement's value kept in the sink, and every way a snippet can be wrong named precisely.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compileSnippets, SnippetError, type Snippets } from "../timeit/snippet";

/** Runs the compiled loop `loops` times on a dummy clock; returns what the sink kept. */
async function lastResult(snippets: Partial<Snippets>, loops = 1, cwd?: string): Promise<unknown> {
  const loop = await compileSnippets({ stmt: "", setup: "", imports: [], ...snippets }, cwd);
  const state = { result: undefined as unknown, timing: false };
  loop(loops, () => 0, state);
  return state.result;
}

async function rejection(snippets: Partial<Snippets>, cwd?: string): Promise<string> {
  try {
    await compileSnippets({ stmt: "", setup: "", imports: [], ...snippets }, cwd);
  } catch (e) {
    assert.ok(e instanceof SnippetError, `expected a SnippetError, got ${String(e)}`);
    return e.message;
  }
  assert.fail("the snippets compiled");
}

function tempDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-timeit-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

test("TypeScript in STMT and setup: types are stripped and the last expression is kept", async () => {
  const result = await lastResult({ setup: "const xs: number[] = [1, 2, 3];\ninterface P { x: number }", stmt: "xs.map((x: number): number => x * 2)" });
  assert.deepEqual(result, [2, 4, 6]);
});

test("a STMT ending in a declaration keeps the declared value; setup state is per run", async () => {
  assert.equal(await lastResult({ stmt: "const answer = 6 * 7" }), 42);
  assert.equal(await lastResult({ setup: "let n = 0", stmt: "n++\nn" }, 5), 5);
});

test("STMT arguments see each other's and setup's variables, as one block", async () => {
  assert.equal(await lastResult({ setup: "const a = 2\nconst b = 3", stmt: "let c = a * b\nc + 1" }), 7);
});

test("an import line in setup is available to STMT", async () => {
  assert.equal(await lastResult({ setup: 'import * as path from "node:path"', stmt: 'path.basename("/src/app.ts")' }), "app.ts");
  assert.equal(await lastResult({ setup: 'import { join } from "node:path"', stmt: 'join("a", "b")' }), path.join("a", "b"));
});

test("--import binds the named exports of the user's TypeScript module", async () => {
  const dir = tempDir({ "fib.ts": "export function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n" });
  assert.equal(await lastResult({ imports: ["./fib.ts"], stmt: "fib(10)" }, 1, dir), 55);
  assert.equal(await lastResult({ imports: ["./fib"], stmt: "fib(12)" }, 1, dir), 144);
});

test("ES modules load too, including ones with top-level await", async () => {
  const dir = tempDir({
    "m.mjs": "export const answer = 42;\nexport default 7;\n",
    "late.mjs": "export const v = await Promise.resolve(5);\n",
  });
  assert.equal(await lastResult({ setup: 'import seven, { answer } from "./m.mjs"', stmt: "seven + answer" }, 1, dir), 49);
  assert.equal(await lastResult({ imports: ["./late.mjs"], stmt: "v * 2" }, 1, dir), 10);
});

test("a syntax error names the snippet, line and column, and TypeScript's message", async () => {
  assert.match(await rejection({ stmt: "1 +" }), /^syntax error in STMT at 1:4: Expression expected \(TS1109\); fix the statement/);
  assert.match(await rejection({ setup: "const a = 1\nlet b: = 2", stmt: "a" }), /^syntax error in setup at 2:8: Type expected \(TS1110\); fix the -s code/);
});

test("code that would break out of the timing loop is refused", async () => {
  assert.match(await rejection({ stmt: "return 1" }), /^STMT does not compile: Illegal return statement/);
  assert.match(await rejection({ stmt: "break" }), /^STMT does not compile: Illegal break statement/);
  assert.match(await rejection({ setup: "const a = 1\nconst a = 2" }), /^setup does not compile: Identifier 'a' has already been declared/);
});

test("a module that is not there, or throws while loading, is one clear error", async () => {
  const dir = tempDir({ "bad.ts": 'throw new Error("broken module");\n' });
  assert.match(await rejection({ imports: ["./nope"] }, dir), /^cannot import "\.\/nope": not found from .*tsprof-timeit-/);
  assert.equal(await rejection({ setup: 'import "./bad"' }, dir), 'importing "./bad" threw Error: broken module');
});
