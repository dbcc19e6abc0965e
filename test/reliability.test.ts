/*
 * Never lose the profile, never let anyone in: signals during synchronous work, out of memory,
 * racing writers, hostile paths (FIFOs, planted symlinks, directories), a compile cache that is
 * not the user's or is cut short, and bad input to `view` and `run`. docs/reliability.md states
 * the guarantees these pin down.
 */
import { spawn, spawnSync } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";
import { jsonErrorOffset } from "../report/json-error";
import { breakStaleLock } from "../runtime/writer";
import { workerCanWatchSignals } from "../runtime/watchdog";

/** Node 20 and 22: the watchdog thread watches signals. Node 24+: the main thread does (docs/reliability.md). */
const WATCHED = workerCanWatchSignals();
const NEEDS_WATCHDOG = !WATCHED && `this Node (${process.version}) gives workers no signal handle: signals wait for the event loop`;
import { CHILD_TIMEOUT_MS, CLI, compile, makeProject, profEnv, ROOT, signalsWatched, type RunResult } from "./helpers";
import { cacheProbe } from "./programs";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh project holding `files`. */
function project(files: Record<string, string>): string {
  const dir = fs.realpathSync(makeProject("tsprof-rel-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** The environment of a user's shell: nothing of an enclosing tsprof run. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("TSPROF") || k === "NODE_OPTIONS" || k === "npm_command") delete env[k];
  return { ...env, ...extra };
}

function run(dir: string, args: string[], env: Record<string, string> = {}): RunResult {
  const r = spawnSync(process.execPath, [CLI, "run", ...args], { cwd: dir, env: cleanEnv(env), encoding: "utf8", timeout: CHILD_TIMEOUT_MS, killSignal: "SIGKILL" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

function view(dir: string, args: string[]): RunResult {
  const r = spawnSync(process.execPath, [CLI, "view", ...args], { cwd: dir, env: cleanEnv(), encoding: "utf8", timeout: CHILD_TIMEOUT_MS, killSignal: "SIGKILL" });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

/** Starts `node ARGS` in `dir`; resolves `ready` at the first stdout line, `exited` at the end. */
function startNode(dir: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  const ready = new Promise<string>((resolve) => child.stdout!.on("data", (d: Buffer) => {
    stdout += d;
    if (stdout.includes("\n")) resolve(stdout);
  }));
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, ready, exited };
}

const hitsOf = (file: string, name: string) =>
  [...(mergeProfiles([readLprof(file)], { raw: true }).functions.find((f) => f.name === name)?.lines.values() ?? [])].reduce((n, t) => n + t.hits, 0);

const BUSY = `
/** @profile */
function step(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += i;
  return s;
}
// Called once before the line the tests wait for: V8 timing starts V8's profiler at the first
// profiled call, and a signal sent while it starts would find no hit yet.
let total = step(1);
console.log("computing");
for (;;) total += step(100);
`;

const HANDLER = `
/** @profile */
function f(): number {
  return 1;
}
f();
process.on("SIGINT", () => { console.log("own handler"); process.exit(9); });
console.log("ready", process.listenerCount("SIGINT"), process.listenerCount("SIGTERM"), process.listenerCount("exit"), process.listeners("exit").length);
setInterval(() => {}, 1000);
`;

describe("signals", () => {
  test("1: a program's own SIGINT handler runs under tsprof run, as under node; listener counts read as unprofiled", async () => {
    const dir = project({ "handler.ts": HANDLER });
    fs.writeFileSync(path.join(dir, "handler.js"), compile(HANDLER, path.join(dir, "handler.ts"), { plain: true }));
    const plain = startNode(dir, ["handler.js"], cleanEnv());
    await plain.ready;
    plain.child.kill("SIGINT");
    const p = await plain.exited;
    const prof = startNode(dir, [CLI, "run", "handler.ts"], cleanEnv());
    await prof.ready;
    await signalsWatched(prof.child.pid!);
    prof.child.kill("SIGINT");
    const r = await prof.exited;
    assert.deepEqual([p.code, p.stdout], [9, "ready 1 0 0 0\nown handler\n"]);
    assert.equal(r.code, 9, r.stderr);
    // Without the watchdog tsprof listens on the main thread, and leaves its listener out of the counts too.
    assert.equal(r.stdout.split("\n").slice(0, 2).join("\n"), p.stdout.trim());
    assert.equal(hitsOf(path.join(dir, "handler.ts.lprof"), "f"), 1);
  });

  test("1: the plugin path adds no listener the program can count either", () => {
    const src = `/** @profile */\nfunction f() { return 1; }\nf();\nconsole.log(["SIGINT", "SIGTERM", "SIGHUP", "exit"].map((e) => process.listenerCount(e) + "/" + process.listeners(e).length + "/" + process.rawListeners(e).length).join(" "), process.eventNames().filter((e) => e === "exit").length);\n`;
    const dir = project({ "p.ts": src });
    fs.writeFileSync(path.join(dir, "p.js"), compile(src, path.join(dir, "p.ts")));
    fs.writeFileSync(path.join(dir, "plain.js"), compile(src, path.join(dir, "p.ts"), { plain: true }));
    const out = path.join(dir, "out.lprof");
    const plain = spawnSync(process.execPath, ["plain.js"], { cwd: dir, env: profEnv(out), encoding: "utf8" });
    const prof = spawnSync(process.execPath, ["p.js"], { cwd: dir, env: profEnv(out), encoding: "utf8" });
    assert.equal(plain.stdout, "0/0/0 0/0/0 0/0/0 0/0/0 0\n");
    assert.equal(prof.stdout, plain.stdout);
    assert.equal(hitsOf(out, "f"), 1);
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`2: ${signal} during synchronous work ends the program by ${signal}, profile written (tsprof run)`, { skip: NEEDS_WATCHDOG }, async () => {
      const dir = project({ "busy.ts": BUSY });
      const r = startNode(dir, [CLI, "run", "busy.ts"], cleanEnv());
      await r.ready;
      await signalsWatched(r.child.pid!);
      r.child.kill(signal);
      const end = await r.exited;
      assert.equal(end.signal, signal, end.stderr);
      assert.match(end.stdout, /Wrote profile results to 'busy\.ts\.lprof'/);
      const file = readLprof(path.join(dir, "busy.ts.lprof"));
      assert.equal(file.runs.length, 1);
      assert.equal(file.runs[0].complete, false);
      assert.ok(hitsOf(path.join(dir, "busy.ts.lprof"), "step") > 0);
    });
  }

  test("2: Ctrl-C during synchronous work, plugin path: dies by SIGINT as unprofiled, profile written", { skip: NEEDS_WATCHDOG }, async () => {
    const dir = project({ "busy.ts": BUSY });
    fs.writeFileSync(path.join(dir, "busy.js"), compile(BUSY, path.join(dir, "busy.ts")));
    fs.writeFileSync(path.join(dir, "plain.js"), compile(BUSY, path.join(dir, "busy.ts"), { plain: true }));
    const out = path.join(dir, "out.lprof");
    const plain = startNode(dir, ["plain.js"], profEnv(out));
    await plain.ready;
    plain.child.kill("SIGINT");
    const prof = startNode(dir, ["busy.js"], profEnv(out));
    await prof.ready;
    await signalsWatched(prof.child.pid!);
    prof.child.kill("SIGINT");
    assert.equal((await plain.exited).signal, "SIGINT");
    assert.equal((await prof.exited).signal, "SIGINT");
    assert.ok(hitsOf(out, "step") > 0);
  });

  test("2: -i dumps go on while the program computes", async () => {
    const dir = project({ "busy.ts": BUSY });
    const output = path.join(dir, "busy.ts.lprof");
    const r = startNode(dir, [CLI, "run", "-q", "-i", "0.05", "busy.ts"], cleanEnv());
    await r.ready;
    const first = await waitFor(() => fs.existsSync(output) && hitsOf(output, "step"));
    const later = await waitFor(() => hitsOf(output, "step") > first && hitsOf(output, "step"));
    assert.ok(later > first, "a second dump, later than the first, while the main thread never yields");
    // Where the main thread listens for signals itself, a computing program cannot see SIGTERM.
    const stop = WATCHED ? "SIGTERM" : "SIGKILL";
    r.child.kill(stop);
    assert.equal((await r.exited).signal, stop);
  });

  test("3: out of memory: the last interval dump survives the crash", async () => {
    const src = `
import * as fs from "node:fs";
/** @profile */
function grow(keep: unknown[], n: number): void {
  for (let i = 0; i < n; i++) keep.push({ i, s: "x".repeat(16) + i });
}
const keep: unknown[] = [];
// Work until the watchdog has dumped once, then exhaust the heap.
while (!fs.existsSync(process.argv[2])) grow([], 1000);
for (;;) grow(keep, 10000);
`;
    // Built with the plugin: under tsprof run the program's heap would hold TypeScript too.
    const dir = project({ "oom.ts": src });
    fs.writeFileSync(path.join(dir, "oom.js"), compile(src, path.join(dir, "oom.ts")));
    const out = path.join(dir, "oom.lprof");
    const r = spawnSync(process.execPath, ["--max-old-space-size=24", "oom.js", out], {
      cwd: dir, env: profEnv(out, { TSPROF_INTERVAL: "0.05" }), encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL",
    });
    assert.ok(r.signal === "SIGABRT" || r.status === 134, `${r.status} ${r.signal} ${r.stderr.slice(0, 300)}`);
    assert.match(r.stderr, /heap out of memory/);
    assert.ok(hitsOf(out, "grow") > 0);
  });
});

async function waitFor<T>(check: () => T | false | 0 | undefined, ms = CHILD_TIMEOUT_MS): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    try {
      const v = check();
      if (v) return v;
    } catch {
      // a file being replaced
    }
  }
  throw new Error("timed out");
}

describe("files", () => {
  test("4: writers racing to break the same dead writer's lock never lose a run", async () => {
    const dir = project({});
    const file = path.join(dir, "race.lprof");
    const threads = 4, rounds = 60;
    const gate = new Int32Array(new SharedArrayBuffer(4 * (threads + 1)));
    const code = `
      const { workerData } = require("node:worker_threads");
      const { writeRun } = require(${JSON.stringify(path.join(ROOT, "dist", "runtime", "writer.js"))});
      const { gate, me, file, rounds } = workerData;
      for (let r = 1; r <= rounds; r++) {
        while (Atomics.load(gate, 0) < r) Atomics.wait(gate, 0, r - 1, 50);
        const run = { id: "w" + me + "-" + r, session: "s" + r, end: new Date(0).toISOString(), functions: [] };
        writeRun(file, run, 0);
        Atomics.add(gate, 1 + me, 1);
      }`;
    const workers = Array.from({ length: threads }, (_, me) => new Worker(code, { eval: true, workerData: { gate, me, file, rounds } }));
    let failed: Error | undefined;
    for (const w of workers) w.on("error", (e) => (failed ??= e));
    let lost = 0;
    try {
      for (let r = 1; r <= rounds && !failed; r++) {
        fs.rmSync(file, { force: true });
        // A lock left by a writer that died: a pid no process has.
        fs.writeFileSync(`${file}.lock`, "4194999");
        Atomics.store(gate, 0, r);
        Atomics.notify(gate, 0);
        await waitFor(() => failed || Array.from({ length: threads }, (_, i) => Atomics.load(gate, 1 + i)).every((n) => n >= r));
        if (failed) break;
        const runs = (JSON.parse(fs.readFileSync(file, "utf8")) as { runs: unknown[] }).runs;
        if (runs.length !== threads) lost++;
      }
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
    assert.equal(failed, undefined);
    assert.equal(lost, 0, `rounds that lost a run: ${lost} of ${rounds}`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["node_modules", "race.lprof"]);
  });

  test("4: a lock is broken only while still abandoned, under the break lock", () => {
    const dir = project({});
    const lock = path.join(dir, "x.lprof.lock");
    // Judged stale by one writer, then taken afresh by another (a live pid): it must stay.
    fs.writeFileSync(lock, String(process.ppid));
    breakStaleLock(lock);
    assert.equal(fs.readFileSync(lock, "utf8"), String(process.ppid));
    // Still abandoned: removed.
    fs.writeFileSync(lock, "4194999");
    breakStaleLock(lock);
    assert.equal(fs.existsSync(lock), false);
    // Another breaker holds the break lock: nothing is removed, whatever the lock's state.
    fs.writeFileSync(lock, "4194999");
    fs.writeFileSync(`${lock}.break`, String(process.ppid));
    breakStaleLock(lock);
    assert.equal(fs.existsSync(lock), true);
    // A break lock whose holder died long ago is cleared; the next attempt breaks the lock.
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${lock}.break`, old, old);
    breakStaleLock(lock);
    breakStaleLock(lock);
    assert.deepEqual(fs.readdirSync(dir), ["node_modules"]);
  });

  const SMALL = `/** @profile */\nfunction f(): number {\n  return 1;\n}\nconsole.log(f());\n`;

  test("5: a write that fails (disk full) leaves no temporary file; one line says why", () => {
    // Reaching the file size limit is what a full disk looks like to a writer (EFBIG here, ENOSPC there).
    const body = `/** @profile */\nfunction f(): string {\n  return ${JSON.stringify("x".repeat(4000))};\n}\nconsole.log(f().length);\n`;
    const dir = project({ "big.ts": body });
    fs.writeFileSync(path.join(dir, "big.js"), compile(body, path.join(dir, "big.ts")));
    const out = path.join(dir, "out", "big.lprof");
    fs.mkdirSync(path.dirname(out));
    const r = spawnSync("bash", ["-c", `ulimit -f 2; exec "${process.execPath}" big.js`], { cwd: dir, env: profEnv(out), encoding: "utf8" });
    assert.equal(r.stdout, "4000\n");
    assert.match(r.stderr, /^tsprof: could not write the profile to .*big\.lprof \(EFBIG\)/);
    assert.deepEqual(fs.readdirSync(path.dirname(out)), []);
  });

  test("5, 6: -o naming a directory or a FIFO is one clear line before the program runs; nothing is left behind", () => {
    const dir = project({ "small.ts": SMALL });
    fs.mkdirSync(path.join(dir, "outdir"));
    const d = run(dir, ["-o", "outdir", "small.ts"]);
    assert.deepEqual([d.status, d.stdout], [2, ""]);
    assert.match(d.stderr, /^tsprof run: -o outdir is a directory; pass a file path for the profile \(for example outdir\/app\.lprof\)\n$/);
    assert.equal(spawnSync("mkfifo", [path.join(dir, "pipe")]).status, 0);
    const f = run(dir, ["-o", "pipe", "small.ts"]);
    assert.deepEqual([f.status, f.stdout], [2, ""]);
    assert.match(f.stderr, /^tsprof run: -o pipe is a named pipe; pass a file path/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["node_modules", "outdir", "pipe", "small.ts"]);
    assert.deepEqual(fs.readdirSync(path.join(dir, "outdir")), []);
  });

  test("6: a FIFO or a directory as TSPROF_OUTPUT (plugin path): the program ends, one line, no temporary file", () => {
    const dir = project({ "small.ts": SMALL });
    fs.writeFileSync(path.join(dir, "small.js"), compile(SMALL, path.join(dir, "small.ts")));
    assert.equal(spawnSync("mkfifo", [path.join(dir, "pipe")]).status, 0);
    fs.mkdirSync(path.join(dir, "adir"));
    for (const [name, what] of [["pipe", "a named pipe"], ["adir", "a directory"]]) {
      const r = spawnSync(process.execPath, ["small.js"], { cwd: dir, env: profEnv(path.join(dir, name)), encoding: "utf8", timeout: CHILD_TIMEOUT_MS, killSignal: "SIGKILL" });
      assert.deepEqual([r.status, r.signal, r.stdout], [0, null, "1\n"], name);
      assert.equal(r.stderr, `tsprof: could not write the profile to ${path.join(dir, name)} (${path.join(dir, name)} is ${what}, not a profile file); set TSPROF_OUTPUT to a writable path\n`);
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), ["adir", "node_modules", "pipe", "small.js", "small.ts"]);
  });

  test("6: a directory at <out>.lock: written at once without the lock, and said so", () => {
    const dir = project({ "small.ts": SMALL });
    fs.mkdirSync(path.join(dir, "small.ts.lprof.lock"));
    const r = run(dir, ["-q", "small.ts"]);
    assert.equal(r.status, 0);
    assert.equal(r.stderr, `tsprof: ${path.join(dir, "small.ts.lprof.lock")} is not a lock file; writing the profile without locking (remove it so parallel runs merge safely)\n`);
    assert.equal(hitsOf(path.join(dir, "small.ts.lprof"), "f"), 1);
  });

  test("7: symlinks planted at the old temporary names are never followed", () => {
    const dir = project({ "none.ts": "console.log('nothing profiled');\n", "small.ts": SMALL });
    const victim = path.join(dir, "victim.txt");
    fs.writeFileSync(victim, "precious\n");
    // The fixed names used before: `<out>.tmp` (nothing profiled, a child process), `<out>.<pid>-<thread>.tmp`.
    fs.symlinkSync(victim, path.join(dir, "none.ts.lprof.tmp"));
    const r = run(dir, ["-q", "--", "--no-warnings", "none.ts"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(victim, "utf8"), "precious\n");
    assert.deepEqual(readLprof(path.join(dir, "none.ts.lprof")).runs.flatMap((x) => x.functions), []);
    // The pids the next processes will get (pids are handed out in order): links at every name.
    fs.writeFileSync(path.join(dir, "small.js"), compile(SMALL, path.join(dir, "small.ts")));
    const next = spawnSync("true").pid!;
    for (let pid = next; pid < next + 3000; pid++) fs.symlinkSync(victim, path.join(dir, `out.lprof.${pid}-0.tmp`));
    const out = path.join(dir, "out.lprof");
    const p = spawnSync(process.execPath, ["small.js"], { cwd: dir, env: profEnv(out), encoding: "utf8" });
    assert.deepEqual([p.status, p.stderr], [0, ""]);
    assert.equal(fs.readFileSync(victim, "utf8"), "precious\n");
    assert.equal(hitsOf(out, "f"), 1);
    assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith(".tmp") && !fs.lstatSync(path.join(dir, n)).isSymbolicLink()).length, 0);
  });
});

describe("compile cache", () => {
  const PROBE = cacheProbe();

  test("8: a cache entry cut short (empty, or half written) is compiled again, never run", () => {
    const dir = project({ "probe.ts": PROBE });
    const cache = path.join(dir, "node_modules", ".cache", "tsprof");
    assert.equal(run(dir, ["-q", "probe.ts"]).stdout, "42 compiled\n");
    assert.equal(run(dir, ["-q", "probe.ts"]).stdout, "42 cached\n");
    for (const cut of [0, 0.5]) {
      // Listed again each round: a run more than 3 s after the file was written also stores the
      // entry found by the file's identity (cache.ts), which the rounds before may not have had.
      const entries = fs.readdirSync(cache).filter((n) => n.endsWith(".js"));
      assert.ok(entries.length > 0);
      for (const e of entries) {
        const file = path.join(cache, e);
        const text = fs.readFileSync(file);
        fs.writeFileSync(file, text.subarray(0, Math.floor(text.length * cut)));
      }
      const r = run(dir, ["-q", "probe.ts"]);
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, "42 compiled\n", ""], `entries cut to ${cut * 100}%`);
      assert.equal(run(dir, ["-q", "probe.ts"]).stdout, "42 cached\n");
    }
  });

  test("8: a cache directory that is a symlink, or another user's, is not used", () => {
    const dir = project({ "probe.ts": PROBE });
    const real = path.join(dir, "elsewhere");
    fs.mkdirSync(real);
    const link = path.join(dir, "cache-link");
    fs.symlinkSync(real, link);
    const r = run(dir, ["-q", "probe.ts"], { TSPROF_CACHE_DIR: link });
    assert.equal(r.stdout, "42 compiled\n");
    assert.equal(r.stderr, `tsprof: not using the compile cache ${link}: it is a symlink; remove it, or set TSPROF_CACHE_DIR to a directory of your own\n`);
    assert.deepEqual(fs.readdirSync(real), []);
    assert.equal(run(dir, ["-q", "probe.ts"], { TSPROF_CACHE_DIR: link }).stdout, "42 compiled\n");
  });

  test("8: tsprof prof and tsprof mprof run trust the cache as tsprof run does", () => {
    const dir = project({ "probe.ts": PROBE });
    const real = path.join(dir, "elsewhere");
    fs.mkdirSync(real);
    const link = path.join(dir, "cache-link");
    fs.symlinkSync(real, link);
    const commands = [["prof", "-o", "p.prof", "probe.ts"], ...(fs.existsSync("/proc/self/statm") ? [["mprof", "run", "-o", "m.dat", "probe.ts"]] : [])];
    for (const args of commands) {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: cleanEnv({ TSPROF_CACHE_DIR: link }), encoding: "utf8", timeout: CHILD_TIMEOUT_MS, killSignal: "SIGKILL" });
      assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`tsprof: not using the compile cache ${link}: it is a symlink`), args[0]);
      assert.deepEqual(fs.readdirSync(real), [], `${args[0]} wrote into the linked directory`);
    }
  });

  test("8: the per-user cache in the temporary directory must be the user's own, mode 0700", { skip: process.getuid?.() !== 0 && "needs root, to make a directory another user owns" }, () => {
    const dir = project({ "probe.ts": PROBE });
    const cache = path.join(dir, "shared-tmp", "tsprof-cache-0");
    fs.mkdirSync(cache, { recursive: true });
    fs.chownSync(cache, 65534, 65534);
    const r = run(dir, ["-q", "probe.ts"], { TSPROF_CACHE_DIR: cache });
    assert.equal(r.stdout, "42 compiled\n");
    assert.match(r.stderr, /not using the compile cache .*tsprof-cache-0: it belongs to uid 65534, not to you \(uid 0\)/);
    assert.deepEqual(fs.readdirSync(cache), []);
    // One of our own, left open to others: closed first, then used.
    const own = path.join(dir, "mine");
    fs.mkdirSync(own, { mode: 0o777 });
    fs.chmodSync(own, 0o777);
    assert.equal(run(dir, ["-q", "probe.ts"], { TSPROF_CACHE_DIR: own }).stdout, "42 compiled\n");
    assert.equal(fs.statSync(own).mode & 0o777, 0o700);
    assert.equal(run(dir, ["-q", "probe.ts"], { TSPROF_CACHE_DIR: own }).stdout, "42 cached\n");
  });

  test("8: the default cache outside any project is created 0700", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-rel-tmp-"));
    dirs.push(home);
    const script = path.join(home, "probe.ts");
    fs.writeFileSync(script, PROBE.replace("/** @profile */", ""));
    const r = spawnSync(process.execPath, [CLI, "run", "-q", script], { cwd: home, env: cleanEnv({ TMPDIR: home }), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const made = fs.readdirSync(home).filter((n) => n.startsWith("tsprof-cache-"));
    assert.equal(made.length, 1);
    assert.equal(fs.statSync(path.join(home, made[0])).mode & 0o777, 0o700);
  });
});

describe("bad input", () => {
  const good = () => ({
    format: "tsprof-lprof", version: 1, unit: 1e-9,
    runs: [{
      id: "1-0-1", session: "s", pid: 1, threadId: 0, argv: [], cwd: "/", node: "v20", start: "2026-01-01T00:00:00.000Z",
      end: "2026-01-01T00:00:01.000Z", duration: 1, mode: "exact", columns: ["line", "hits", "time", "wait", "nested", "calls", "memory", "allocated"],
      complete: true, calibration: { probe: 40, call: 3 },
      functions: [{ file: "/p/a.ts", name: "f", line: 1, kind: "sync", source: ["function f() {", "  return 1;", "}"], lines: [[2, 3, 3000, 0, 0, 0, 1048576, 1024]] }],
    }],
  });

  test("9: view refuses what is not a regular file, at once, and what is too large to be a profile", () => {
    const dir = project({});
    const zero = view(dir, ["/dev/zero"]);
    assert.deepEqual([zero.status, zero.stderr], [1, "tsprof: /dev/zero is not a regular file (a character device); pass a .lprof file\n"]);
    assert.equal(spawnSync("mkfifo", [path.join(dir, "pipe")]).status, 0);
    const fifo = view(dir, ["pipe"]);
    assert.deepEqual([fifo.status, fifo.stderr], [1, "tsprof: pipe is not a regular file (a named pipe); pass a .lprof file\n"]);
    const huge = path.join(dir, "huge.lprof");
    const fd = fs.openSync(huge, "w");
    fs.ftruncateSync(fd, 2 ** 31);
    fs.closeSync(fd);
    const big = view(dir, ["huge.lprof"]);
    assert.equal(big.status, 1);
    assert.match(big.stderr, /^tsprof: huge\.lprof is too large to be a profile \(2147483648 bytes; at most \d+\); pass a \.lprof file\n$/);
  });

  test("10: absurd but finite numbers, fractional hits, negative memory and a denormal -u are refused in one line", () => {
    const dir = project({});
    const cases: [string, (d: ReturnType<typeof good>) => void, RegExp][] = [
      ["probe", (d) => (d.runs[0].calibration.probe = -1e308), /calibration is not \{ probe, call \}, each from 0 to a second/],
      ["unit", (d) => (d.unit = 1e308), /unit is not a time unit in seconds/],
      ["hits", (d) => (d.runs[0].functions[0].lines[0][1] = 0.5), /lines\[0\] has hits 0\.5, which is not a whole number/],
      ["allocated", (d) => (d.runs[0].functions[0].lines[0][7] = -5), /lines\[0\] has allocated -5, which is not a whole number/],
      ["time", (d) => (d.runs[0].functions[0].lines[0][2] = 1e300), /lines\[0\] has time 1e\+300, which is not a time/],
      ["line", (d) => (d.runs[0].functions[0].lines[0][0] = 2.5), /lines\[0\] has line 2\.5, which is not a line number/],
      ["duration", (d) => (d.runs[0].duration = -1), /duration is not a number of seconds/],
    ];
    for (const [name, mutate, message] of cases) {
      const d = good();
      mutate(d);
      fs.writeFileSync(path.join(dir, `${name}.lprof`), JSON.stringify(d));
      const r = view(dir, [`${name}.lprof`]);
      assert.equal(r.status, 1, name);
      assert.equal(r.stdout, "", name);
      assert.equal(r.stderr.split("\n").length, 2, name);
      assert.match(r.stderr, message, name);
    }
    fs.writeFileSync(path.join(dir, "good.lprof"), JSON.stringify(good()));
    const ok = view(dir, ["good.lprof"]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.doesNotMatch(ok.stdout, /NaN|Infinity|-0\.0/);
    const u = view(dir, ["-u", "5e-324", "good.lprof"]);
    assert.equal(u.status, 2);
    assert.match(u.stderr, /^tsprof view: invalid unit "5e-324": give seconds from 1e-15 to 1000/);
  });

  test("11: a deeply nested, truncated file: the real offset", () => {
    const deep = "[".repeat(1_000_000);
    assert.equal(jsonErrorOffset(deep), deep.length);
    assert.equal(jsonErrorOffset(`${"[".repeat(200_000)}1,}`), 200_002);
    assert.equal(jsonErrorOffset(`${'{"a":'.repeat(100_000)}1${"}".repeat(99_999)}]`), 500_000 + 1 + 99_999);
    const dir = project({ "deep.lprof": deep });
    const r = view(dir, ["deep.lprof"]);
    assert.equal(r.stderr, "tsprof: deep.lprof is not a tsprof profile (truncated JSON at byte 1000000); re-run the program or pass another file\n");
    // Still right on ordinary damage.
    assert.equal(jsonErrorOffset('{"a": [1, 2,, 3]}'), 12);
    assert.equal(jsonErrorOffset('{"a": 1} x'), 9);
    assert.equal(jsonErrorOffset('{"a" 1}'), 5);
  });

  test("12: control characters and terminal escapes in a foreign file's names are shown escaped", () => {
    const d = good();
    d.runs[0].functions[0].name = "f\u001b[2J\u001b]0;pwned\u0007";
    d.runs[0].functions[0].file = "/p/\u202eevil.ts";
    d.runs[0].functions[0].source[1] = "\treturn 1; \u001b[31mred\u009b";
    const dir = project({ "esc.lprof": JSON.stringify(d) });
    const r = view(dir, ["esc.lprof"]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    assert.match(r.stdout, /Function: f\\x1b\[2J\\x1b\]0;pwned\\x07 at line 1/);
    assert.match(r.stdout, /File: \/p\/\\u202eevil\.ts/);
    assert.match(r.stdout, /\treturn 1; \\x1b\[31mred\\x9b/);
  });

  test("13: -i beyond Node's timers, and a directory as the script: one clear line each", () => {
    const dir = project({ "small.ts": "console.log(1);\n", "somedir/index.ts": "console.log(2);\n" });
    const i = run(dir, ["-i", "3000000", "small.ts"]);
    assert.deepEqual([i.status, i.stdout, i.stderr], [2, "", `tsprof run: invalid interval "3000000" for -i: give seconds from 0.01 to 2147483\nTry 'tsprof run --help' for more information.\n`]);
    const ok = run(dir, ["-q", "-i", "2147483", "small.ts"]);
    assert.deepEqual([ok.status, ok.stdout, ok.stderr], [0, "1\n", ""]);
    const d = run(dir, ["somedir/"]);
    assert.deepEqual([d.status, d.stdout, d.stderr], [2, "", "tsprof run: somedir/ is a directory; pass the script to run (for example somedir/index.ts)\n"]);
  });

  test("14: a \"type\": \"module\" package whose main.cjs wraps require.extensions['.ts'] (ts-node, pirates) runs as under node", () => {
    const dir = project({
      "package.json": JSON.stringify({ type: "module" }),
      "config.ts": "const config: { a: number } = { a: 1 };\nexport default config;\n",
      "main.cjs": [
        "const Module = require('node:module');",
        "const old = Module._extensions['.ts'] || Module._extensions['.js'];",
        "Module._extensions['.ts'] = function (m, filename) {",
        "  const compile = m._compile;",
        "  m._compile = function (code, file) {",
        "    m._compile = compile;",
        "    return m._compile(code.replace(': { a: number }', '').replace(/export default (\\w+);/, 'module.exports = $1;'), file);",
        "  };",
        "  return old(m, filename);",
        "};",
        "console.log(require('./config.ts'));",
      ].join("\n"),
    });
    const plain = spawnSync(process.execPath, ["main.cjs"], { cwd: dir, env: cleanEnv(), encoding: "utf8" });
    assert.equal(plain.stdout, "{ a: 1 }\n", plain.stderr);
    const r = run(dir, ["-q", "main.cjs"]);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, plain.stdout, ""]);
  });

  test("15: TSPROF=0 leaves the output file alone", () => {
    const dir = project({ "small.ts": "/** @profile */\nfunction f() { return 1; }\nconsole.log(f());\n" });
    const out = path.join(dir, "small.ts.lprof");
    fs.writeFileSync(out, "an earlier profile\n");
    const r = run(dir, ["small.ts"], { TSPROF: "0" });
    assert.deepEqual([r.status, r.stdout], [0, "1\n"]);
    assert.equal(fs.readFileSync(out, "utf8"), "an earlier profile\n");
    assert.deepEqual(fs.readdirSync(dir).sort(), ["node_modules", "small.ts", "small.ts.lprof"]);
  });
});
