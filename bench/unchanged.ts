/*
 * What keeping the program's behaviour costs: the plain texts that `toString()` returns (bytes in
 * the output, build time, start-up), the replaced `Function.prototype.toString` per call, and
 * the load-time snapshot of the built-ins and its check at exit.
 *
 *   node dist/bench/unchanged.js
 *
 * Prints a table and writes bench/results/unchanged.json.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { makeProject, ROOT } from "../test/helpers";
import { planFile } from "../transformer/plan";
import { emitInstrumented } from "../transformer/emit";
import { plainTexts } from "../transformer/plain-text";

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Instrumented output of `file` with every function profiled, with or without the plain texts; and the time the texts took. */
function build(file: string, withTexts: boolean): { code: string; textsMs: number } {
  const source = fs.readFileSync(file, "utf8");
  let textsMs = 0;
  const out = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
    transformers: {
      before: [(context) => (sf) => {
        const plan = planFile(ts, sf, { all: true });
        if (!plan.functions.length) return sf;
        const t0 = performance.now();
        const texts = withTexts ? plainTexts(ts, sf, context.getCompilerOptions(), plan) : undefined;
        textsMs += performance.now() - t0;
        return emitInstrumented(ts, context, sf, plan, { runtime: path.join(ROOT, "dist", "runtime", "index.js"), texts });
      }],
    },
  });
  return { code: out.outputText, textsMs };
}

function main(): void {
  const files = [
    ...["tight", "strings", "fib", "alloc", "async", "classes"].map((w) => path.join(ROOT, "bench", "workloads", `${w}.ts`)),
    path.join(ROOT, "report", "line-report.ts"),
    path.join(ROOT, "loader", "compile.ts"),
  ];
  const rows: { file: string; bytes: number; withTexts: number; growth: number; buildMs: number; textsMs: number }[] = [];
  build(files[0], true); // warm-up: TypeScript's first emit
  for (const file of files) {
    const t0 = performance.now();
    const plain = build(file, false);
    const buildMs = performance.now() - t0;
    const withTexts = build(file, true);
    rows.push({
      file: path.relative(ROOT, file), bytes: plain.code.length, withTexts: withTexts.code.length,
      growth: withTexts.code.length / plain.code.length, buildMs, textsMs: withTexts.textsMs,
    });
  }
  console.log("Plain texts for toString(): output size and build time, every function instrumented");
  console.log("file                              bytes   with texts  growth  build ms  texts ms");
  for (const r of rows) {
    console.log(`${r.file.padEnd(32)} ${String(r.bytes).padStart(7)} ${String(r.withTexts).padStart(11)}  ${r.growth.toFixed(2).padStart(5)}x ${r.buildMs.toFixed(1).padStart(8)} ${r.textsMs.toFixed(1).padStart(8)}`);
  }

  // Start-up: loading the largest instrumented module, with and without its texts, in alternating processes.
  const dir = makeProject("tsprof-bench-unchanged-");
  const big = files[files.length - 2];
  fs.writeFileSync(path.join(dir, "a.js"), build(big, false).code);
  fs.writeFileSync(path.join(dir, "b.js"), build(big, true).code);
  const timeLoad = (name: string) => {
    const script = `const t=process.hrtime.bigint();try{require(${JSON.stringify(path.join(dir, name))})}catch{}console.log(Number(process.hrtime.bigint()-t)/1e6)`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, TSPROF: "0" } });
    return Number(r.stdout.trim());
  };
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < 10; i++) {
    if (i % 2) { b.push(timeLoad("b.js")); a.push(timeLoad("a.js")); } else { a.push(timeLoad("a.js")); b.push(timeLoad("b.js")); }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const load = { without: median(a), with: median(b) };
  console.log(`\nLoading ${path.relative(ROOT, big)} instrumented: ${load.without.toFixed(2)} ms without texts, ${load.with.toFixed(2)} ms with (${(load.with / load.without).toFixed(2)}x)`);

  // The replaced toString, per call, against V8's on the same function, in this process.
  const r = spawnSync(process.execPath, [path.join(__dirname, "unchanged-child.js")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const child = JSON.parse(r.stdout) as Record<string, number>;
  console.log(`Function.prototype.toString of a plain function: ${child.nativeNs.toFixed(0)} ns native, ${child.patchedNs.toFixed(0)} ns replaced (${(child.patchedNs / child.nativeNs).toFixed(2)}x)`);
  console.log(`Built-ins snapshot: ${child.properties} properties, captured in ${child.captureUs.toFixed(0)} µs; checked at exit (nothing changed) in ${child.checkUs.toFixed(0)} µs`);

  const results = path.join(ROOT, "bench", "results");
  fs.mkdirSync(results, { recursive: true });
  fs.writeFileSync(path.join(results, "unchanged.json"), `${JSON.stringify({ node: process.version, texts: rows, load, ...child }, null, 2)}\n`);
}

main();
