/*
 * How deep recursion goes instrumented, against the same function plain: the deepest `depth(n)`
 * that returns in a fresh process (a cold function, as a program meets it), found by bisection,
 * and the stack bytes per frame (from the depths reached with two --stack-size values, which
 * cancels what is on the stack below the recursion).
 *
 *   node dist/bench/depth.js
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, makeProject, profEnv, runNode } from "../test/helpers";

const FUNCTIONS: Record<string, string> = {
  "two lines": `export function depth(n: number): number {
  return n === 0 ? 0 : 1 + depth(n - 1);
}`,
  "if + return": `export function depth(n: number): number {
  if (n === 0) return 0;
  return 1 + depth(n - 1);
}`,
  "three locals": `export function depth(n: number): number {
  const a = n * 2, b = a + 1;
  let c = b - a;
  if (n === 0) return 0;
  return c + depth(n - 1);
}`,
};

function deepest(file: string, dir: string, nodeArgs: string[] = []): number {
  let lo = 10, hi = 200_000;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const r = runNode([...nodeArgs, "-e", `require(${JSON.stringify(file)}).depth(${mid})`], { cwd: dir, env: profEnv(path.join(dir, "out.lprof")) });
    if (r.status === 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function main(): void {
  const dir = makeProject("tsprof-depth-");
  console.log("function        plain depth  instrumented  ratio   bytes/frame plain  instrumented  ratio");
  for (const [name, body] of Object.entries(FUNCTIONS)) {
    const src = path.join(dir, `${name.replace(/\W+/g, "-")}.ts`);
    const plain = src.replace(/\.ts$/, ".plain.js"), prof = src.replace(/\.ts$/, ".prof.js");
    fs.writeFileSync(plain, compile(body, src, { plain: true }));
    fs.writeFileSync(prof, compile(`/** @profile */\n${body}`, src));
    const [p, i] = [deepest(plain, dir), deepest(prof, dir)];
    const frame = (file: string) => (400 * 1024) / (deepest(file, dir, ["--stack-size=900"]) - deepest(file, dir, ["--stack-size=500"]));
    const [fp, fi] = [frame(plain), frame(prof)];
    console.log(`${name.padEnd(16)}${String(p).padStart(11)}${String(i).padStart(14)}${(i / p).toFixed(2).padStart(7)}x`
      + `${fp.toFixed(0).padStart(19)}${fi.toFixed(0).padStart(14)}${(fp / fi).toFixed(2).padStart(7)}x`);
  }
}

main();
