/*
 * The shortcuts that keep tsprof's own cost down must not change what it measures: V8 timing
 * takes a profiled script's text from the loader instead of V8's debugger, so that text must be
 * exactly what V8 runs.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, makeProject, profEnv, ROOT, runNode, tsprof } from "./helpers";
import { readLprof } from "../report/read";

const SYNC_HOOKS = typeof (require("node:module") as { registerHooks?: unknown }).registerHooks === "function";

/** A program that compares, for each of its modules, the loader's registry with V8's own source. */
const CHECK = `
import { Session } from "node:inspector";
import { pathToFileURL } from "node:url";
export function check(files: string[]): string {
  const record = (globalThis as any)[Symbol.for("tsprof.scripts")] as { scripts: Map<string, string | null>; trusted: boolean } | undefined;
  const registry = record?.trusted ? record.scripts : undefined;
  const s = new Session();
  s.connect();
  const ids = new Map<string, string>();
  s.on("Debugger.scriptParsed", (m: any) => ids.set(m.params.url, m.params.scriptId));
  s.post("Debugger.enable", () => undefined);
  const out: string[] = [];
  for (const f of files) {
    const known = registry?.get(f);
    let v8 = "";
    s.post("Debugger.getScriptSource", { scriptId: ids.get(pathToFileURL(f).href) }, (_e: unknown, r: any) => (v8 = r?.scriptSource ?? ""));
    out.push(known === undefined ? "unknown" : known === null ? (v8.includes(".register(") ? "null, but instrumented" : "null") : known === v8 ? "same" : "different");
  }
  s.disconnect();
  return out.join(",");
}
`;

test("V8 timing: the loader's record of each module's code is the text V8 runs (profiled: the code; unprofiled: none kept)", () => {
  const dir = makeProject("tsprof-own-cost-");
  for (const [sub, type, ext] of [["cjs", "commonjs", ""], ["esm", "module", ".js"]] as const) {
    const d = path.join(dir, sub);
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "package.json"), JSON.stringify({ type }));
    fs.writeFileSync(path.join(d, "check.ts"), CHECK);
    fs.writeFileSync(path.join(d, "hot.ts"), `/** @profile */\nexport function hot(n: number): number {\n  let s = 0;\n  for (let i = 0; i < n; i++) s += i % 7;\n  return s;\n}\n`);
    fs.writeFileSync(path.join(d, "plain.ts"), `export const twice = (x: number): number => x * 2;\n`);
    fs.writeFileSync(path.join(d, "main.ts"), [
      `import { check } from "./check${ext}";`,
      `import { hot } from "./hot${ext}";`,
      `import { twice } from "./plain${ext}";`,
      `console.log(twice(hot(200_000)) > 0, check(["hot.ts", "plain.ts"].map((f) => ${type === "module" ? "new URL(f, import.meta.url).pathname" : "require(\"node:path\").join(__dirname, f)"})));`,
    ].join("\n"));
    const out = path.join(d, "main.lprof");
    const r = tsprof(["run", "-q", "--v8", "-o", out, "main.ts"], { cwd: d, env: profEnv(out) });
    assert.equal(r.status, 0, r.stderr);
    // Node 20's ES-module hooks compile in their own thread, which keeps no record: V8's debugger is read then.
    const expected = type === "module" && !SYNC_HOOKS ? "unknown,unknown" : "same,null";
    assert.equal(r.stdout.trim(), `true ${expected}`, sub);
    const hot = readLprof(out).runs.flatMap((run) => run.functions).find((f) => f.name === "hot");
    assert.ok(hot, `${sub}: hot was profiled`);
    assert.equal(hot.lines.find((row) => row[0] === 4)?.[1], 200_001, `${sub}: the loop header's hits`);
  }
});

/**
 * A tspc-style build run by plain node: V8 timing reads a profiled script from its file when
 * the file's SHA-256 is the hash V8 gives the script, without opening V8's debugger; a file
 * changed since it loaded is read from V8 instead. Either way the loop's samples land on its line.
 */
test("V8 timing: a profiled script is read from its file when the file is what V8 runs, from V8's debugger when it changed since", () => {
  const dir = makeProject("tsprof-own-cost-file-");
  const source = [
    `import * as fs from "node:fs";`,
    `const inspector = require("node:inspector");`,
    `const posted: string[] = [];`,
    `const post = inspector.Session.prototype.post;`,
    `inspector.Session.prototype.post = function (this: unknown, method: string, ...rest: unknown[]) { posted.push(method); return post.call(this, method, ...rest); };`,
    `if (process.argv[2] === "change") fs.appendFileSync(__filename, "\\n// changed after loading\\n");`,
    // A bundle registers each of its modules from one script: many registrations, one script.
    `const runtime = require("tsprof/runtime");`,
    `for (let i = 0; i < 100; i++) runtime.register("/bundled/m" + i + ".ts", [], {});`,
    // Work in a script that registers nothing: it holds no probes, and is not read.
    `console.log(require("./helper.js").spin(3e6) > 0);`,
    `/** @profile */`,
    `function hot(n: number): number {`,
    `  let s = 0;`,
    `  for (let i = 0; i < n; i++) s = (s + Math.sqrt(i * 7 + s)) % 1e9;`,
    `  return s;`,
    `}`,
    `console.log(hot(Number(process.argv[3])) > 0);`,
    // After the runtime's own exit listener (installed at the first registration): sees its write.
    `process.on("exit", () => console.log(posted.includes("Debugger.enable") ? "debugger" : "no debugger"));`,
  ].join("\n");
  const src = path.join(dir, "prog.ts");
  fs.writeFileSync(src, source);
  fs.writeFileSync(path.join(dir, "helper.js"), "exports.spin = (n) => { let x = 0; for (let i = 0; i < n; i++) x += Math.sqrt(i); return x; };\n");
  const js = compile(source, src);
  for (const [how, expected] of [["same", "no debugger"], ["change", "debugger"]] as const) {
    const prog = path.join(dir, `prog-${how}.js`);
    fs.writeFileSync(prog, js);
    const out = path.join(dir, `${how}.lprof`);
    const r = runNode([prog, how, "10000000"], { cwd: dir, env: profEnv(out, { TSPROF_TIMING: "v8" }) });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `true\ntrue\n${expected}`, how);
    const hot = readLprof(out).runs.flatMap((run) => run.functions).find((f) => f.name === "hot");
    assert.ok(hot, `${how}: hot was profiled`);
    const loop = hot.lines.find((row) => row[0] === 13);
    assert.equal(loop?.[1], 10_000_001, `${how}: the loop header's hits`);
    // Samples on the loop's line exist only if its script's text was found and mapped.
    assert.ok((loop?.[4] ?? 0) > 0, `${how}: the loop's line got V8's samples (${JSON.stringify(hot.lines)})`);
  }
});

/**
 * Exact timing: the watchdog thread measures the probes' costs while the program runs; the
 * main thread's exit write then uses them instead of measuring its own (25-35 ms at exit).
 */
test("exact timing: the main thread's run carries the costs its watchdog thread measured, and the exit measures none", () => {
  const dir = makeProject("tsprof-own-cost-calibration-");
  const runtime = path.join(ROOT, "dist", "runtime");
  const out = path.join(dir, "out.lprof");
  const child = [
    `const { registerFunctions, session } = require(${JSON.stringify(path.join(runtime, "session"))});`,
    `const { startWatchdog, watchdogCalibration } = require(${JSON.stringify(path.join(runtime, "watchdog"))});`,
    `const { serializeRun, writeRun } = require(${JSON.stringify(path.join(runtime, "writer"))});`,
    `const [f] = registerFunctions("/p.ts", [["f", 1, [1, 2], ["function f() {", "}"], "sync"]], {});`,
    `f.hits[1] = 3;`,
    // An interval far away: a watchdog on every node (Node 24's workers cannot watch signals).
    `startWatchdog(session(), ${JSON.stringify(out)}, 3600);`,
    `const wait = () => {`,
    `  const w = watchdogCalibration();`,
    `  if (!w) return setTimeout(wait, 20);`,
    `  writeRun(${JSON.stringify(out)}, serializeRun(session(), true), session().startWall);`,
    `  console.log(JSON.stringify({ probe: Math.round(w.probe * 1e8) / 100, call: Math.round(w.call * 1e8) / 100 }));`,
    `  process.exit(0);`,
    `};`,
    `wait();`,
  ].join("\n");
  fs.writeFileSync(path.join(dir, "child.js"), child);
  const r = runNode([path.join(dir, "child.js")], { cwd: dir, env: profEnv(out, { TSPROF_TIMING: "exact" }) });
  assert.equal(r.status, 0, r.stderr);
  const measured = JSON.parse(r.stdout) as { probe: number; call: number };
  assert.ok(measured.probe > 0, r.stdout);
  assert.deepEqual(readLprof(out).runs[0].calibration, measured);
});

/**
 * Exact timing without the watchdog thread (node 24's main thread): a thread of tsprof's measures
 * the probes' costs while the program runs, and every thread of the process made since takes
 * them (calibrate.ts: the process's shared slot), so no exit write measures its own.
 */
test("exact timing: the calibration thread's costs are every thread's, a worker's included", () => {
  const dir = makeProject("tsprof-own-cost-shared-");
  const runtime = path.join(ROOT, "dist", "runtime");
  const out = path.join(dir, "out.lprof");
  const req = (m: string) => `require(${JSON.stringify(path.join(runtime, m))})`;
  const worker = [
    `const { registerFunctions, session } = ${req("session")};`,
    `const { serializeRun, writeRun } = ${req("writer")};`,
    `const [g] = registerFunctions("/w.ts", [["g", 1, [1, 2], ["function g() {", "}"], "sync"]], {});`,
    `g.hits[1] = 2;`,
    `writeRun(${JSON.stringify(out)}, serializeRun(session(), true), session().startWall);`,
  ].join("\n");
  const child = [
    `const { Worker } = require("node:worker_threads");`,
    `const { registerFunctions, session } = ${req("session")};`,
    `const { startCalibration } = ${req("watchdog")};`,
    `const { sharedCalibration } = ${req("calibrate")};`,
    `const { serializeRun, writeRun } = ${req("writer")};`,
    `const [f] = registerFunctions("/p.ts", [["f", 1, [1, 2], ["function f() {", "}"], "sync"]], {});`,
    `f.hits[1] = 3;`,
    // No watchdog thread is started here, on any node.
    `startCalibration();`,
    `const wait = () => {`,
    `  const c = sharedCalibration();`,
    `  if (!c) return setTimeout(wait, 20);`,
    `  const w = new Worker(${JSON.stringify(worker)}, { eval: true });`,
    `  w.on("exit", () => {`,
    `    writeRun(${JSON.stringify(out)}, serializeRun(session(), true), session().startWall);`,
    `    console.log(JSON.stringify({ probe: Math.round(c.probe * 1e8) / 100, call: Math.round(c.call * 1e8) / 100 }));`,
    `  });`,
    `};`,
    `wait();`,
  ].join("\n");
  fs.writeFileSync(path.join(dir, "child.js"), child);
  const r = runNode([path.join(dir, "child.js")], { cwd: dir, env: profEnv(out, { TSPROF_TIMING: "exact" }) });
  assert.equal(r.status, 0, r.stderr);
  const measured = JSON.parse(r.stdout) as { probe: number; call: number };
  assert.ok(measured.probe > 0, r.stdout);
  const runs = readLprof(out).runs;
  assert.deepEqual(runs.map((run) => run.threadId === 0), [false, true], "the worker's run, then the main thread's");
  for (const run of runs) assert.deepEqual(run.calibration, measured, `thread ${run.threadId}`);
});
