/*
 * What moving the instrumented output onto the plain build's lines costs at build time
 * (transformer/relayout.ts, `alignLines`): each file transpiled with every function instrumented
 * and an inline map, as `tsprof run` does, then aligned; rounds alternate, medians and quartiles.
 *
 *   node dist/bench/relayout.js [rounds] [file...]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { ROOT } from "../test/helpers";
import { alignLines, createTransformer } from "../transformer/index";

const quartiles = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
  return [at(0.25), at(0.5), at(0.75)];
};

function build(file: string, source: string): { ms: number; alignMs: number; lines: [number, number]; aligned: boolean } {
  const t0 = performance.now();
  const out = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, inlineSourceMap: true, allowJs: true },
    transformers: { before: [createTransformer(ts, { all: true, runtime: path.join(ROOT, "dist", "runtime", "index.js") })] },
  });
  const t1 = performance.now();
  const done = alignLines(ts, file, out.outputText);
  const t2 = performance.now();
  const count = (s: string) => s.split("\n").length;
  return { ms: t1 - t0, alignMs: t2 - t1, lines: [count(out.outputText), count(done?.code ?? out.outputText)], aligned: !!done };
}

function main(): void {
  const rounds = Number(process.argv[2] ?? 7);
  const files = process.argv.length > 3 ? process.argv.slice(3) : [
    ...["tight", "fib", "classes"].map((w) => path.join(ROOT, "bench", "workloads", `${w}.ts`)),
    path.join(ROOT, "transformer", "plan.ts"),
    path.join(ROOT, "runtime", "v8-lines.ts"),
  ];
  console.log("file                                   bytes   lines printed→aligned  transpile ms (q1 med q3)   align ms (q1 med q3)   align/transpile");
  for (const file of files) {
    const source = fs.readFileSync(file, "utf8");
    build(file, source); // warm-up
    const t: number[] = [], a: number[] = [];
    let last!: ReturnType<typeof build>;
    for (let r = 0; r < rounds; r++) {
      last = build(file, source);
      t.push(last.ms);
      a.push(last.alignMs);
    }
    const [t1, t2, t3] = quartiles(t), [a1, a2, a3] = quartiles(a);
    console.log(`${path.relative(ROOT, file).padEnd(36)} ${String(source.length).padStart(8)}  ${`${last.lines[0]}→${last.lines[1]}${last.aligned ? "" : " (kept)"}`.padStart(20)}  ${[t1, t2, t3].map((x) => x.toFixed(0)).join(" ").padStart(22)}  ${[a1, a2, a3].map((x) => x.toFixed(0)).join(" ").padStart(20)}   ${(a2 / t2).toFixed(2)}`);
  }
}

main();
