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
import { compile, hitsByLine, makeProject, profEnv, runNode } from "./helpers";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";

const SOURCE = `/** @profile */
export function depth(n: number): number {
  return n === 0 ? 0 : 1 + depth(n - 1);
}
`;

/**
 * The lowest instrumented/plain depth ratio accepted. Measured (npm run bench:depth, fresh
 * processes): 0.75 on Node 20 and 22 (128 / 96 stack bytes per frame on 20), 0.72 on Node 24
 * (whose `try/finally` takes a register more); the first design gave 0.42.
 */
const LOWEST_RATIO = 0.7;

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

test("recursion: an instrumented two-line function reaches at least 0.70x its plain depth in every timing mode, with exact hits there", (t) => {
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
    // A fresh process at 0.69x of the plain depth: the same value as plain, and the exact hits.
    const n = Math.floor(plainDepth * 0.69);
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
