/*
 * How deep recursion goes instrumented, against the same function plain: the deepest `depth(n)`
 * that returns in a fresh process (a cold function, as a program meets it), found by bisection,
 * in each timing mode, and the stack bytes per frame (from the depths reached with two
 * --stack-size values, which cancels what is on the stack below the recursion). Both emitters:
 * the TypeScript printer's (tspc, `tsprof run`) and the text emitter's (bundlers, test runners,
 * TypeScript 7), whose output then goes through `ts.transpileModule` as ts-jest's would. Writes
 * bench/results/depth.json.
 *
 *   npm run bench:depth        (or: node dist/bench/depth.js, on any node)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { compile, makeProject, profEnv, runNode } from "../test/helpers";
import { planFile } from "../transformer/plan";
import { emitText } from "../transformer/text-emit";

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

const MODES = ["exact", "sampled", "v8"];
const TARGET = 0.8;
const BENCH = path.resolve(__dirname, "..", "..", "bench");

function deepest(file: string, dir: string, nodeArgs: string[] = [], mode?: string): number {
  let lo = 10, hi = 200_000;
  const env = profEnv(path.join(dir, "out.lprof"), mode ? { TSPROF_TIMING: mode } : {});
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const r = runNode([...nodeArgs, "-e", `require(${JSON.stringify(file)}).depth(${mid})`], { cwd: dir, env });
    if (r.status === 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function main(): void {
  const dir = makeProject("tsprof-depth-");
  const rows: Record<string, unknown>[] = [];
  console.log(`node ${process.version}`);
  console.log(`function        emitter plain depth${MODES.map((m) => `${m.padStart(10)} ratio`).join("")}   bytes/frame plain  instrumented`);
  for (const [name, body] of Object.entries(FUNCTIONS)) {
    const src = path.join(dir, `${name.replace(/\W+/g, "-")}.ts`);
    const plain = src.replace(/\.ts$/, ".plain.js"), prof = src.replace(/\.ts$/, ".prof.js"), text = src.replace(/\.ts$/, ".text.js");
    fs.writeFileSync(plain, compile(body, src, { plain: true }));
    fs.writeFileSync(prof, compile(`/** @profile */\n${body}`, src));
    const sf = ts.createSourceFile(src, `/** @profile */\n${body}`, ts.ScriptTarget.ES2022, true);
    const { code } = emitText(ts, sf, planFile(ts, sf), { format: "cjs" });
    fs.writeFileSync(text, ts.transpileModule(code, { fileName: src, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText);
    const p = deepest(plain, dir);
    // Stack bytes per frame, from two stack sizes: what lies below the recursion cancels out.
    const frame = (file: string) => (400 * 1024) / (deepest(file, dir, ["--stack-size=900"], "exact") - deepest(file, dir, ["--stack-size=500"], "exact"));
    const fp = frame(plain);
    for (const [emitter, file] of [["ts", prof], ["text", text]] as const) {
      const depths = Object.fromEntries(MODES.map((m) => [m, deepest(file, dir, [], m)]));
      const fi = frame(file);
      console.log(`${name.padEnd(16)}${emitter.padEnd(8)}${String(p).padStart(11)}${MODES.map((m) => `${String(depths[m]).padStart(10)}${(depths[m] / p).toFixed(3).padStart(6)}`).join("")}`
        + `${fp.toFixed(0).padStart(19)}${fi.toFixed(0).padStart(14)}`);
      rows.push({ function: name, emitter, plain: p, instrumented: depths, ratio: Object.fromEntries(MODES.map((m) => [m, depths[m] / p])), bytesPerFrame: { plain: fp, instrumented: fi } });
    }
  }
  // The target: every function reaches 0.8x of its plain depth, in every mode, under both emitters.
  const lowest = Math.min(...rows.flatMap((r) => MODES.map((m) => (r.ratio as Record<string, number>)[m])));
  const met = lowest >= TARGET;
  console.log(`lowest ratio ${lowest.toFixed(4)} against the target ${TARGET.toFixed(2)}x: ${met ? "met" : "NOT met"}`);
  fs.mkdirSync(path.join(BENCH, "results"), { recursive: true });
  fs.writeFileSync(path.join(BENCH, "results", "depth.json"), JSON.stringify({ node: process.version, date: new Date().toISOString(), target: TARGET, met, rows }, null, 2) + "\n");
}

main();
