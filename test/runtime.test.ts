/*
 * The runtime's promises: the profile is written however the program ends (and the program
 * ends exactly as it would have), to the configured place, merged across processes and threads.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, fnNamed, makeProject, profEnv, runNode, signalsWatched, tsprof } from "./helpers";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";

const PROGRAM = `
/** @profile */
function work(mode: string) {
  let s = 0;
  for (let i = 0; i < 100; i++) s += i;
  if (mode === "exit") process.exit(3);
  if (mode === "throw") throw new Error("boom");
  if (mode === "reject") Promise.reject(new Error("rejected"));
  if (mode === "wait") { console.log("ready"); setInterval(() => {}, 1000); }
  if (mode === "counting") {
    // As signal-exit does: re-raise only when alone on the signal.
    process.on("SIGINT", function counting() {
      if (process.listeners("SIGINT").length === 1) {
        process.removeListener("SIGINT", counting);
        process.kill(process.pid, "SIGINT");
      }
    });
    console.log("ready");
    setInterval(() => {}, 1000);
  }
  if (mode === "handler") {
    process.on("SIGINT", () => { console.log("own handler"); process.exit(7); });
    console.log("ready");
    setInterval(() => {}, 1000);
  }
  return s;
}
/** @profile */
function never() {
  return 1;
}
console.log(work(process.argv[2] ?? "normal"));
`;

function setup(source = PROGRAM, options: Parameters<typeof compile>[2] = {}) {
  const dir = makeProject();
  const src = path.join(dir, "prog.ts");
  fs.writeFileSync(src, source);
  fs.writeFileSync(path.join(dir, "prog.js"), compile(source, src, options));
  fs.writeFileSync(path.join(dir, "plain.js"), compile(source, src, { ...options, plain: true }));
  return { dir, out: path.join(dir, "out.lprof") };
}

/** Hits of `work`'s loop line (line 5) in a profile file. */
function loopHits(file: string): number | undefined {
  const fn = fnNamed(mergeProfiles([readLprof(file)]), "work");
  return fn.lines.get(5)?.hits;
}

for (const [mode, status] of [["normal", 0], ["exit", 3], ["throw", 1], ["reject", 1]] as const) {
  test(`written on ${mode === "normal" ? "normal exit" : mode === "exit" ? "process.exit()" : mode === "throw" ? "uncaught exception" : "unhandled rejection"}; exit status unchanged`, () => {
    const { dir, out } = setup();
    const plain = runNode(["plain.js", mode], { cwd: dir, env: profEnv(out) });
    const r = runNode(["prog.js", mode], { cwd: dir, env: profEnv(out) });
    assert.equal(r.status, status);
    assert.equal(r.status, plain.status);
    assert.equal(r.stdout, plain.stdout);
    assert.equal(loopHits(out), 101);
  });
}

function runUntilReady(dir: string, out: string, mode: string, signal: NodeJS.Signals, script = "prog.js") {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [script, mode], { cwd: dir, env: profEnv(out) });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      // Profiled, the signal is sent once the watchdog thread watches for it (docs/reliability.md).
      if (stdout.includes("ready")) void (script === "plain.js" ? Promise.resolve() : signalsWatched(child.pid!)).then(() => child.kill(signal));
    });
    child.on("exit", (code, sig) => resolve({ code, signal: sig, stdout }));
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`written on ${signal}; the process still dies by ${signal}`, async () => {
    const { dir, out } = setup();
    const plain = await runUntilReady(dir, out, "wait", signal, "plain.js");
    const r = await runUntilReady(dir, out, "wait", signal);
    assert.equal(plain.signal, signal);
    assert.equal(r.signal, signal);
    assert.equal(loopHits(out), 101);
  });
}

test("a program's own SIGINT handler still runs and decides the exit", async () => {
  const { dir, out } = setup();
  const r = await runUntilReady(dir, out, "handler", "SIGINT");
  assert.equal(r.code, 7);
  assert.match(r.stdout, /own handler/);
  assert.equal(loopHits(out), 101);
});

test("a listener that re-raises only when alone on the signal (signal-exit) still ends the process", { timeout: 30_000 }, async () => {
  const { dir, out } = setup();
  const r = await runUntilReady(dir, out, "counting", "SIGINT");
  assert.equal(r.signal, "SIGINT");
  assert.equal(loopHits(out), 101);
});

test("marked functions that never ran are listed with no hits; view says why a profile is empty", () => {
  const source = `
/** @profile */
function unused() {
  return 1;
}
console.log("nothing profiled ran");
`;
  const { dir, out } = setup(source);
  runNode(["prog.js"], { cwd: dir, env: profEnv(out) });
  const profile = mergeProfiles([readLprof(out)]);
  assert.deepEqual(profile.functions.map((f) => [f.name, f.lines.size]), [["unused", 0]]);
  const view = tsprof(["view", out], { cwd: dir });
  assert.equal(view.status, 0);
  assert.match(view.stdout, /None of the 1 profiled function was called during the run/);
  assert.match(view.stdout, /Function: unused at line 2/);
});

test("output: plugin option, overridden by TSPROF_OUTPUT; default out.lprof in the working directory", () => {
  const { dir } = setup(PROGRAM, { output: "custom/place.lprof" });
  fs.mkdirSync(path.join(dir, "custom"));
  const env = profEnv("");
  delete env.TSPROF_OUTPUT;
  runNode(["prog.js"], { cwd: dir, env });
  assert.ok(fs.existsSync(path.join(dir, "custom", "place.lprof")));
  const other = path.join(dir, "env.lprof");
  runNode(["prog.js"], { cwd: dir, env: { ...env, TSPROF_OUTPUT: other } });
  assert.ok(fs.existsSync(other));

  const plainSetup = setup();
  runNode(["prog.js"], { cwd: plainSetup.dir, env });
  assert.ok(fs.existsSync(path.join(plainSetup.dir, "out.lprof")));
});

test("TSPROF=0 turns probes off: same output, no profile written", () => {
  const { dir, out } = setup();
  const r = runNode(["prog.js"], { cwd: dir, env: profEnv(out, { TSPROF: "0" }) });
  assert.equal(r.stdout, "4950\n");
  assert.equal(fs.existsSync(out), false);
});

test("an unwritable output is one clear line on stderr, and the program's exit status stands", () => {
  const { dir } = setup();
  const out = path.join(dir, "no-such-dir", "out.lprof");
  const r = runNode(["prog.js"], { cwd: dir, env: profEnv(out) });
  assert.equal(r.status, 0);
  assert.match(r.stderr, /^tsprof: could not write the profile to .*no-such-dir.*out\.lprof \(ENOENT\); set TSPROF_OUTPUT to a writable path\n$/);
});

test("a later run replaces the profile; concurrent runs merge instead of losing each other's data", async () => {
  const { dir, out } = setup();
  runNode(["prog.js"], { cwd: dir, env: profEnv(out) });
  runNode(["prog.js"], { cwd: dir, env: profEnv(out) });
  assert.equal(readLprof(out).runs.length, 1, "a sequential rerun replaces the old profile");

  // Four independent processes, stopped together so that their writes race for the file.
  fs.rmSync(out);
  const children = Array.from({ length: 4 }, () => spawn(process.execPath, ["prog.js", "wait"], { cwd: dir, env: profEnv(out) }));
  await Promise.all(children.map((c) => new Promise((resolve) => c.stdout.once("data", resolve))));
  await Promise.all(children.map((c) => signalsWatched(c.pid!)));
  const exited = children.map((c) => new Promise((resolve) => c.on("exit", resolve)));
  for (const c of children) c.kill("SIGTERM");
  await Promise.all(exited);
  const file = readLprof(out);
  assert.equal(file.runs.length, 4);
  assert.equal(loopHits(out), 404);
});

test("worker threads and forked children land in the parent's profile", () => {
  const source = `
import { Worker, isMainThread } from "node:worker_threads";
import { fork } from "node:child_process";
/** @profile */
function task(who: string) {
  let s = 0;
  for (let i = 0; i < 10; i++) s += i;
  return who + ":" + s;
}
if (process.argv[2] === "child") {
  console.log(task("child"));
} else if (!isMainThread) {
  console.log(task("worker"));
} else {
  console.log(task("main"));
  const w = new Worker(__filename);
  w.on("exit", () => {
    fork(__filename, ["child"]).on("exit", () => console.log("done"));
  });
}
`;
  const { dir, out } = setup(source);
  const r = runNode(["prog.js"], { cwd: dir, env: profEnv(out) });
  assert.equal(r.stdout, "main:45\nworker:45\nchild:45\ndone\n");
  const file = readLprof(out);
  assert.equal(file.runs.length, 3);
  // The main thread of each process, and one worker (its id is not 1: the watchdog thread came first).
  const ids = file.runs.map((run) => run.threadId).sort();
  assert.deepEqual([ids[0], ids[1], ids[2] > 0], [0, 0, true]);
  const fn = fnNamed(mergeProfiles([file]), "task");
  assert.equal(fn.lines.get(7)?.hits, 33);
});

test("modules built with different plugin options: the first registration decides for the thread; the file stays valid", () => {
  const dir = makeProject();
  const main = `import { late } from "./late";
/** @profile */
function early() {
  return 1;
}
console.log(early() + late());
`;
  const late = `/** @profile */
export function late() {
  return [1, 2, 3].length;
}
`;
  for (const [name, source, options] of [["main", main, {}], ["late", late, { memory: true }]] as const) {
    const src = path.join(dir, `${name}.ts`);
    fs.writeFileSync(src, source);
    fs.writeFileSync(path.join(dir, `${name}.js`), compile(source, src, options));
  }
  const out = path.join(dir, "out.lprof");
  const r = runNode(["main.js"], { cwd: dir, env: profEnv(out, { TSPROF_TIMING: "exact" }) });
  assert.equal(r.stdout, "4\n", r.stderr);
  const run = readLprof(out).runs[0];
  assert.deepEqual(run.columns, ["line", "hits", "time", "wait", "nested", "calls"]);
  assert.deepEqual(mergeProfiles([readLprof(out)]).functions.map((f) => f.name).sort(), ["early", "late"]);
});
