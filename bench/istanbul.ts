/*
 * istanbul-lib-instrument (jest's and nyc's instrumenter) against tsprof's own instrumentation:
 * instrument time per file, hit accuracy on the hit fixtures (test/hit-cases.ts), and run
 * overhead on three bench workloads. istanbul is not a dependency; install it for the run:
 *
 *   npm i --no-save istanbul-lib-instrument@6.0.3 && npm run build && node dist/bench/istanbul.js
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import * as ts from "typescript";
import { createTransformer } from "../transformer/index";
import { instrumentText } from "../transformer/text-emit-file";
import { cases } from "../test/hit-cases";
import { expectedHits } from "../test/helpers";

type Instrumenter = { instrumentSync(code: string, file: string): string };
let istanbul: { createInstrumenter(o: object): Instrumenter };
try {
  istanbul = require("istanbul-lib-instrument");
} catch {
  process.stderr.write("bench/istanbul: istanbul-lib-instrument is not installed; run npm i --no-save istanbul-lib-instrument@6.0.3 first\n");
  process.exit(2);
}

const ROOT = path.resolve(__dirname, "..", "..");
const js = (source: string, file: string, before?: ts.TransformerFactory<ts.SourceFile>[]) =>
  ts.transpileModule(source, { fileName: file, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS }, transformers: { before } }).outputText;

const ways: Record<string, (source: string, file: string) => string> = {
  "tsprof, TypeScript transformer": (s, f) => js(s, f, [createTransformer(ts, { runtime: path.join(ROOT, "dist/runtime/index.js") })]),
  "tsprof, text emitter + TypeScript": (s, f) => js(instrumentText(s, f, { runtime: path.join(ROOT, "dist/runtime/index.js") })?.code ?? s, f),
  "TypeScript + istanbul-lib-instrument": (s, f) => istanbul.createInstrumenter({ esModules: false, compact: true }).instrumentSync(js(s, f), f),
  "TypeScript alone": (s, f) => js(s, f),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-istanbul-"));
// Fixtures that import tsprof itself need it installed beside them; the others run anywhere.
const sources = cases.filter((c) => !c.options && !c.source.includes(`from "tsprof"`)).map((c, i) => ({ name: c.name, source: c.source, file: path.join(dir, `case${i}.ts`) }));

// 1. Instrument time: every fixture, 10 rounds after 3 of warm-up; median per round.
console.log("Instrument time, all hit fixtures (ms per round, median of 10):");
for (const [way, fn] of Object.entries(ways)) {
  const rounds: number[] = [];
  for (let r = 0; r < 13; r++) {
    const t0 = performance.now();
    for (const s of sources) fn(s.source, s.file);
    if (r >= 3) rounds.push(performance.now() - t0);
  }
  console.log(`  ${way}: ${median(rounds).toFixed(1)} ms for ${sources.length} files`);
}

// 2. Hit accuracy: istanbul's line counts (its rule: the largest statement count on the line) against the fixtures' hits.
let agree = 0, total = 0;
for (const s of sources) {
  const file = s.file.replace(/\.ts$/, ".cov.js");
  const code = ways["TypeScript + istanbul-lib-instrument"](s.source, s.file);
  fs.writeFileSync(file, `${code}\nprocess.on("exit", () => require("fs").writeFileSync(${JSON.stringify(file + ".json")}, JSON.stringify(globalThis.__coverage__)));\n`);
  spawnSync(process.execPath, [file], { cwd: dir, stdio: "ignore", timeout: 30_000 });
  const cov = Object.values(JSON.parse(fs.readFileSync(file + ".json", "utf8")) as Record<string, { s: Record<string, number>; statementMap: Record<string, { start: { line: number } }> }>)[0];
  const lines: Record<number, number> = {};
  for (const [id, count] of Object.entries(cov.s)) {
    const line = cov.statementMap[id].start.line;
    lines[line] = Math.max(lines[line] ?? 0, count);
  }
  for (const [line, hits] of Object.entries(expectedHits(s.source))) {
    total++;
    if (lines[Number(line)] === hits) agree++;
  }
}
console.log(`Hit accuracy on the fixtures' ${total} annotated lines: istanbul ${agree}/${total} (${((100 * agree) / total).toFixed(0)}%), tsprof ${total}/${total} (npm test)`);

// 3. Run overhead: bench/harness.js times each variant in its own process (warm-up, then timed
// runs); processes alternate, 3 of each; the figure is the median run over plain's.
console.log("Run time over plain (bench harness, median of 3 processes each):");
for (const name of ["tight", "fib", "strings"]) {
  const source = fs.readFileSync(path.join(ROOT, "bench/workloads", `${name}.ts`), "utf8");
  const file = path.join(dir, `${name}.ts`);
  const variants = { plain: "TypeScript alone", tsprof: "tsprof, TypeScript transformer", istanbul: "TypeScript + istanbul-lib-instrument" };
  const times: Record<string, number[]> = { plain: [], tsprof: [], istanbul: [] };
  for (let round = 0; round < 3; round++) {
    for (const [key, way] of Object.entries(variants)) {
      const out = path.join(dir, `${name}-${key}.js`);
      fs.writeFileSync(out, ways[way](source, file));
      const r = spawnSync(process.execPath, [path.join(__dirname, "harness.js"), out, "7", "3"], {
        cwd: dir, encoding: "utf8", env: { ...process.env, TSPROF_OUTPUT: path.join(dir, "w.lprof") },
      });
      times[key].push(median((JSON.parse(r.stdout) as { times: number[] }).times));
    }
  }
  const plain = median(times.plain);
  console.log(`  ${name}: plain ${plain.toFixed(2)} ms; tsprof exact ${(median(times.tsprof) / plain).toFixed(1)}x; istanbul ${(median(times.istanbul) / plain).toFixed(1)}x`);
}
fs.rmSync(dir, { recursive: true, force: true });
