/*
 * Hand-written forms of an instrumented two-line recursive function, for choosing the emitted
 * prologue and epilogue by their frames: per form, the interpreter registers V8 gives it
 * (`--print-bytecode`) and the deepest `depth(n)` that returns, bisected in one process on
 * interpreter frames, against the plain function. Each form runs on tsprof's runtime, exact mode,
 * with the registration the transformer writes. Writes bench/results/depth-forms.json.
 *
 *   node dist/bench/depth-forms.js [NODE_BINARY ...]     (default: this node)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { compile, makeProject, profEnv } from "../test/helpers";

const SOURCE = `/** @profile */
export function depth(n: number): number {
  return n === 0 ? 0 : 1 + depth(n - 1);
}
`;

const BODY = "return n === 0 ? 0 : 1 + depth(n - 1);";
const ENTER = "__tsp_load_1.c = __tsp_load_1()[0].push(__tsp_load_1.c);";

/** Each form's `depth`; the load function is `__tsp_load_1`, as emitted. */
const FORMS: Record<string, string> = {
  "finally { load.c.exit(load.c = load.c.up) } (before the copy)": `function depth(n) {
    ${ENTER}
    try { __tsp_load_1.c.hit(1); ${BODY} }
    finally { __tsp_load_1.c.exit(__tsp_load_1.c = __tsp_load_1.c.up); }
}`,
  "finally { load.c = (load.x = load.c).up; load.x.exit(); }": `function depth(n) {
    ${ENTER}
    try { __tsp_load_1.c.hit(1); ${BODY} }
    finally { __tsp_load_1.c = (__tsp_load_1.x = __tsp_load_1.c).up; __tsp_load_1.x.exit(); }
}`,
  "try/catch that closes and rethrows": `function depth(n) {
    ${ENTER}
    let r;
    try { __tsp_load_1.c.hit(1); r = n === 0 ? 0 : 1 + depth(n - 1); }
    catch (e) { __tsp_load_1.c = (__tsp_load_1.x = __tsp_load_1.c).up; __tsp_load_1.x.exit(); throw e; }
    __tsp_load_1.c = (__tsp_load_1.x = __tsp_load_1.c).up; __tsp_load_1.x.exit();
    return r;
}`,
  "no try: a local, the exit before the return": `function depth(n) {
    const s = __tsp_load_1()[0].push(undefined);
    s.hit(1);
    const r = n === 0 ? 0 : 1 + depth(n - 1);
    s.exit();
    return r;
}`,
  "entry with try/finally around a nested copy without one": `function depth(n) {
    const e = ${ENTER.slice(0, -1)};
    function depth(n) {
        ${ENTER}
        __tsp_load_1.c.hit(1);
        return __tsp_ret(n === 0 ? 0 : 1 + depth(n - 1));
    }
    try { __tsp_load_1.c.hit(1); ${BODY} }
    finally { __tsp_load_1.c = e.up; e.exit(); }
}
function __tsp_ret(v) { __tsp_load_1.c = (__tsp_load_1.x = __tsp_load_1.c).up; __tsp_load_1.x.exit(); return v; }`,
};

const INTERPRETED = ["--no-opt", "--no-maglev", "--no-sparkplug", "--stack-size=984"];

const BISECT = `
const { depth } = require(process.argv[1]);
const ok = (n) => { try { depth(n); return true; } catch (e) { if (e instanceof RangeError) return false; throw e; } };
let lo = 100, hi = 200000;
while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ok(mid)) lo = mid; else hi = mid - 1; }
console.log(lo);`;

/** Runs `node ARGS`; its stdout. */
function run(node: string, args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(node, args, { encoding: "utf8", env, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${node} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function measure(node: string, file: string, env: NodeJS.ProcessEnv): { registers: number[]; depth: number } {
  const bytecode = run(node, ["--print-bytecode", "--print-bytecode-filter=depth", "-e", BISECT.replace("200000", "300"), file], env);
  const registers = [...new Set([...bytecode.matchAll(/SharedFunctionInfo depth>[\s\S]*?Register count (\d+)/g)].map((m) => Number(m[1])))];
  const depth = Number(run(node, [...INTERPRETED, "-e", BISECT, file], env).trim());
  return { registers, depth };
}

function main(): void {
  const nodes = process.argv.slice(2).length ? process.argv.slice(2) : [process.execPath];
  const dir = fs.realpathSync(makeProject("tsprof-depth-forms-"));
  const src = path.join(dir, "depth.ts");
  const emitted = compile(SOURCE, src);
  const at = emitted.indexOf("function depth("), end = emitted.indexOf("function __tsp_load_1(");
  if (at < 0 || end < 0) throw new Error("the emitted form changed: no `function depth(` before `function __tsp_load_1(`");
  const files: Record<string, string> = { plain: path.join(dir, "plain.js"), "now: as emitted (an entry with the try/finally, a copy without)": path.join(dir, "emitted.js") };
  fs.writeFileSync(files.plain, compile(SOURCE, src, { plain: true }));
  fs.writeFileSync(files["now: as emitted (an entry with the try/finally, a copy without)"], emitted);
  Object.keys(FORMS).forEach((name, i) => {
    files[name] = path.join(dir, `form${i}.js`);
    fs.writeFileSync(files[name], emitted.slice(0, at) + FORMS[name] + "\n" + emitted.slice(end));
  });
  const env = profEnv(path.join(dir, "out.lprof"), { TSPROF_TIMING: "exact" });
  const results: Record<string, unknown>[] = [];
  for (const node of nodes) {
    const version = run(node, ["--version"], env).trim();
    console.log(`node ${version}`);
    const plain = measure(node, files.plain, env);
    for (const [name, file] of Object.entries(files)) {
      const m = name === "plain" ? plain : measure(node, file, env);
      console.log(`  ${name.padEnd(66)} registers ${m.registers.join("+").padEnd(5)} depth ${String(m.depth).padStart(6)}  ${(m.depth / plain.depth).toFixed(4)}x`);
      results.push({ node: version, form: name, registers: m.registers, depth: m.depth, ratio: m.depth / plain.depth });
    }
  }
  const out = path.resolve(__dirname, "..", "..", "bench", "results");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "depth-forms.json"), JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + "\n");
}

main();
