/*
 * test262 `language/` tests run twice — transpiled by TypeScript without tsprof, and with every
 * function instrumented (`all: true`) — to list the tests that pass only uninstrumented. Not part
 * of `npm test` (tens of thousands of tests); run it on a checkout of tc39/test262:
 *
 *   npm run bench:test262 -- /path/to/test262 [dir-or-file-under-test/language …] [--jobs N] [--json FILE]
 *   node dist/bench/test262.js /path/to/test262 built-ins/Function/prototype/toString
 *
 * Each test runs in a fresh `vm` context in a pool of child processes (a process per test costs
 * ~60 ms of start-up, a context ~2 ms). Module, negative-syntax and agent (Atomics.wait) tests are
 * skipped: they say nothing about what the transformer does to code that runs. Output: counts
 * (passing both, only plain, only instrumented, neither), the tests that pass one way only (run a
 * second time, alone, to tell a difference from a timeout on a loaded machine), and
 * bench/results/test262.json. The whole of `language/` takes about 35 minutes on 2 busy cores.
 * `TEST262_MAPS=1` builds both ways with an inline source map, and moves the instrumented output
 * onto the plain build's lines as `tspc` and `tsprof run` do (`alignLines`).
 */
import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import * as ts from "typescript";
import { alignLines, createTransformer } from "../transformer/index";

const RUNTIME = path.resolve(__dirname, "..", "runtime", "index.js");
const MAPS = process.env.TEST262_MAPS === "1";

interface Meta {
  includes: string[];
  flags: string[];
  negative?: { phase: string; type: string };
}

function parseMeta(src: string): Meta {
  const m = /\/\*---([\s\S]*?)---\*\//.exec(src);
  const yaml = m ? m[1] : "";
  const list = (key: string): string[] => {
    const inline = new RegExp(`^${key}:\\s*\\[([^\\]]*)\\]`, "m").exec(yaml);
    if (inline) return inline[1].split(",").map((s) => s.trim()).filter(Boolean);
    const block = new RegExp(`^${key}:\\s*\\n((?:\\s+-.*\\n?)+)`, "m").exec(yaml);
    return block ? block[1].split("\n").map((l) => l.replace(/^\s*-\s*/, "").trim()).filter(Boolean) : [];
  };
  const neg = /^negative:\s*\n\s+phase:\s*(\S+)\s*\n\s+type:\s*(\S+)/m.exec(yaml);
  return { includes: list("includes"), flags: list("flags"), negative: neg ? { phase: neg[1], type: neg[2] } : undefined };
}

function transpile(code: string, file: string, instrument: boolean): string {
  const fileName = file.replace(/\.js$/, ".ts");
  const out = ts.transpileModule(code, {
    fileName,
    reportDiagnostics: false,
    compilerOptions: {
      target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.CommonJS, alwaysStrict: false, allowJs: true,
      ignoreDeprecations: "6.0", useDefineForClassFields: true, inlineSourceMap: MAPS,
    } as ts.CompilerOptions,
    transformers: instrument ? { before: [createTransformer(ts, { all: true, runtime: RUNTIME })] } : undefined,
  });
  return (MAPS && instrument && alignLines(ts, fileName, out.outputText)?.code) || out.outputText;
}

type Outcome = "pass" | "fail" | "skip";

/** Runs one test in a fresh context: pass when it completes as its metadata says. */
async function runOne(root: string, file: string, instrument: boolean): Promise<{ outcome: Outcome; detail?: string }> {
  const src = fs.readFileSync(file, "utf8");
  const meta = parseMeta(src);
  if (meta.flags.includes("module") || meta.flags.includes("CanBlockIsTrue")) return { outcome: "skip" };
  if (meta.negative && meta.negative.phase !== "runtime") return { outcome: "skip" };
  if (/\$262\.agent/.test(src)) return { outcome: "skip" };
  const harness = meta.flags.includes("raw") ? [] : ["assert.js", "sta.js", ...(meta.flags.includes("async") ? ["doneprintHandle.js"] : []), ...meta.includes];
  const prelude = harness.map((h) => fs.readFileSync(path.join(root, "harness", h), "utf8")).join("\n");
  const strict = meta.flags.includes("onlyStrict");
  let body: string;
  try {
    body = transpile((strict ? '"use strict";\n' : "") + src, file, instrument);
  } catch (e) {
    return { outcome: "fail", detail: `transpile: ${(e as Error).message}` };
  }
  let printed = "";
  const sandbox: Record<string, unknown> = { require, print: (m: unknown) => (printed += `${String(m)}\n`) };
  const ctx = vm.createContext(sandbox);
  const g = vm.runInContext("this", ctx) as Record<string, unknown>;
  // The runtime is this realm's; the test's functions are the context's, whose toString it patches too.
  if (instrument) (require(RUNTIME) as { patchRealm(g: unknown): void }).patchRealm(g);
  g.$262 = {
    global: g,
    evalScript: (s: string) => vm.runInContext(s, ctx),
    createRealm: () => { throw new Error("createRealm unsupported here"); },
    detachArrayBuffer: (b: ArrayBuffer) => structuredClone(b, { transfer: [b] }),
    gc: () => undefined,
  };
  const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
  try {
    vm.runInContext(prelude, ctx, { filename: path.join(root, "harness", "prelude.js") });
    vm.runInContext(body, ctx, { filename: file, timeout: 20_000 });
  } catch (e) {
    const name = (e as { constructor?: { name?: string } })?.constructor?.name;
    if (meta.negative && name === meta.negative.type) return { outcome: "pass" };
    return { outcome: "fail", detail: `${name}: ${(e as Error)?.message}` };
  }
  if (meta.negative) return { outcome: "fail", detail: "no exception" };
  if (meta.flags.includes("async")) {
    for (let i = 0; i < 50 && !printed.includes("Test262:Async"); i++) await settle();
    if (!printed.includes("Test262:AsyncTestComplete")) return { outcome: "fail", detail: printed.trim() || "async test never finished" };
  }
  return { outcome: "pass" };
}

function collect(dir: string, out: string[]): void {
  const st = fs.statSync(dir);
  if (st.isFile()) {
    if (dir.endsWith(".js") && !dir.includes("_FIXTURE")) out.push(dir);
    return;
  }
  for (const e of fs.readdirSync(dir).sort()) collect(path.join(dir, e), out);
}

async function child(): Promise<void> {
  process.on("message", async (msg: { root: string; files: string[] }) => {
    const results = [];
    for (const file of msg.files) {
      const plain = await runOne(msg.root, file, false);
      const prof = plain.outcome === "skip" ? plain : await runOne(msg.root, file, true);
      results.push({ file, plain: plain.outcome, prof: prof.outcome, detail: prof.detail ?? plain.detail });
    }
    process.send!(results, () => process.exit(0));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jobsAt = args.indexOf("--jobs");
  const jobs = jobsAt >= 0 ? Number(args.splice(jobsAt, 2)[1]) : Math.max(1, os.cpus().length);
  const jsonAt = args.indexOf("--json");
  const json = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : path.resolve(__dirname, "..", "..", "bench", "results", "test262.json");
  const [root, ...dirs] = args;
  if (!root || !fs.existsSync(path.join(root, "harness", "assert.js"))) {
    console.error("usage: node dist/bench/test262.js <test262 checkout> [dir under test/language …] [--jobs N] [--json FILE]");
    process.exit(2);
  }
  const files: string[] = [];
  // Directories under test/language, or under test/ when they name another (built-ins/Function/…).
  for (const d of dirs.length ? dirs : [""]) collect(path.join(root, "test", /^(built-ins|annexB|intl402|harness)\//.test(d) ? "" : "language", d), files);
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += 200) batches.push(files.slice(i, i + 200));
  const tally = { both: 0, onlyPlain: 0, onlyProfiled: 0, neither: 0, skipped: 0 };
  const onlyPlain: string[] = [], onlyProfiled: string[] = [];
  let done = 0;
  const runBatch = (batch: string[]) => new Promise<Result[]>((resolve) => {
    const c = fork(__filename, ["--child"], { env: { ...process.env, TSPROF_OUTPUT: path.join(os.tmpdir(), `test262-${process.pid}.lprof`) }, stdio: ["ignore", "ignore", "ignore", "ipc"] });
    let got: Result[] | undefined;
    c.on("message", (m) => (got = m as typeof got));
    c.on("exit", () => resolve(got ?? batch.map((file) => ({ file, plain: "fail" as Outcome, prof: "fail" as Outcome, detail: "child crashed" }))));
    c.send({ root, files: batch });
  });
  const results: Result[] = [];
  const worker = async (): Promise<void> => {
    for (let b = batches.shift(); b; b = batches.shift()) {
      results.push(...await runBatch(b));
      done += b.length;
      process.stderr.write(`\r${done}/${files.length} tests`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  process.stderr.write("\n");
  // A test that passes one way only is run again, both ways, alone: a loaded machine can push a
  // slow test past its timeout in either run. Its outcome is the second run's.
  const differing = results.filter((r) => r.plain !== r.prof && r.plain !== "skip");
  if (differing.length) {
    const again = new Map((await runBatch(differing.map((r) => r.file))).map((r) => [r.file, r]));
    for (const r of differing) Object.assign(r, again.get(r.file));
  }
  for (const r of results) {
    const line = `${path.relative(root, r.file)}  ${r.detail ?? ""}`;
    if (r.plain === "skip") tally.skipped++;
    else if (r.plain === "pass" && r.prof === "pass") tally.both++;
    else if (r.plain === "pass") { tally.onlyPlain++; onlyPlain.push(line); }
    else if (r.prof === "pass") { tally.onlyProfiled++; onlyProfiled.push(line); }
    else tally.neither++;
  }
  const commit = (() => {
    try { return fs.readFileSync(path.join(root, ".git", "HEAD"), "utf8").trim(); } catch { return "unknown"; }
  })();
  console.log(`test262 ${dirs.length ? dirs.join(", ") : "language/"}: ${files.length} files; ${tally.skipped} skipped (module, negative syntax, agent); node ${process.version}`);
  console.log(`  pass both: ${tally.both}   pass only plain: ${tally.onlyPlain}   pass only instrumented: ${tally.onlyProfiled}   fail both: ${tally.neither}`);
  for (const line of onlyPlain.sort()) console.log(`  only plain: ${line}`);
  for (const line of onlyProfiled.sort()) console.log(`  only instrumented: ${line}`);
  fs.mkdirSync(path.dirname(json), { recursive: true });
  fs.writeFileSync(json, JSON.stringify({
    node: process.version, date: new Date().toISOString(), test262: commit, dirs: dirs.length ? dirs : ["language/"], files: files.length, ...tally, onlyPlainTests: onlyPlain.sort(), onlyProfiledTests: onlyProfiled.sort(),
  }, null, 2) + "\n");
}

interface Result { file: string; plain: Outcome; prof: Outcome; detail?: string }

if (process.argv.includes("--child")) void child();
else void main();
