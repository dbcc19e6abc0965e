/*
 * `tsprof run`, end to end: real programs (fixtures/run/) copied into a fresh project, run through
 * the CLI, and the exact hits of the resulting file compared with the `// hits: N` comments in
 * their sources. Programs that can run without tsprof are also compiled plainly and run with
 * node, and must print the same thing.
 */
import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as util from "node:util";
import { describe, test } from "node:test";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";
import { cacheLink } from "../loader/cache";
import { moduleFormat } from "../loader/format";
import { CHILD_TIMEOUT_MS, CLI, compile, makeProject, ROOT, runNode, signalsWatched, type RunResult } from "./helpers";
import { cacheProbe } from "./programs";

const FIXTURES = path.join(ROOT, "fixtures", "run");

/** A fixture copied into a fresh project (`tsprof` resolves to this repository; cache and outputs stay inside). */
function project(fixture: string): string {
  const dir = makeProject("tsprof-run-");
  fs.cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

/** The environment of a user's shell: nothing of an enclosing tsprof run. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["NODE_OPTIONS", "TSPROF", "TSPROF_OUTPUT", "TSPROF_SESSION", "TSPROF_INTERVAL", "TSPROF_LOADER", "TSPROF_CACHE_DIR",
    "TSPROF_TIMING", "TSPROF_RATE", "TSPROF_MEMORY", "npm_command"]) delete env[k];
  return env;
}

/** `tsprof run ARGS` in `dir`, under `node` (the one running the tests by default). */
function run(dir: string, args: string[], input?: string, node = process.execPath): RunResult {
  const r = spawnSync(node, [CLI, "run", ...args], { cwd: dir, env: cleanEnv(), input, encoding: "utf8", timeout: CHILD_TIMEOUT_MS });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

/** Expected hits, `file:line` → N, from trailing `// hits: N` comments (and `// all: N` when `tags` says). */
function annotated(dir: string, files: string[], tags = ["hits"]): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`// (?:${tags.join("|")}): (\\d+)\\s*$`);
  for (const f of files) {
    fs.readFileSync(path.join(dir, f), "utf8").split("\n").forEach((text, i) => {
      const m = re.exec(text);
      if (m) out[`${f}:${i + 1}`] = Number(m[1]);
    });
  }
  return out;
}

/** Hits in a profile, `file:line` → N (files relative to `dir`), over every run in it. */
function hitsIn(output: string, dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fn of mergeProfiles([readLprof(output)], { raw: true }).functions) {
    const file = path.relative(fs.realpathSync(dir), fn.file).split(path.sep).join("/");
    for (const [line, t] of fn.lines) if (t.hits > 0) out[`${file}:${line}`] = (out[`${file}:${line}`] ?? 0) + t.hits;
  }
  return out;
}

/** The fixture compiled plainly (no tsprof) into `plain/`, as `tsc` would emit it. */
function precompile(dir: string): string {
  const out = path.join(dir, "plain");
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) {
        if (!["node_modules", "plain"].includes(e.name)) walk(r);
        continue;
      }
      const src = path.join(dir, r);
      const dest = path.join(out, r.replace(/\.([mc]?)ts$/, ".$1js"));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const text = fs.readFileSync(src, "utf8");
      fs.writeFileSync(dest, /\.[mc]?ts$/.test(r) ? compile(text, src, { plain: true, esm: moduleFormat(src) === "module" }) : text);
    }
  };
  walk(".");
  return out;
}

function plainRun(dir: string, entry: string, args: string[] = [], input?: string, nodeArgs: string[] = []): RunResult {
  const plain = precompile(dir);
  return runNode([...nodeArgs, path.join(plain, entry), ...args], { cwd: plain, env: cleanEnv(), input });
}

describe("tsprof run: programs and their exact hits", () => {
  test("CommonJS TypeScript and JavaScript: .js-suffixed imports, import = require, .cts; output as without tsprof", () => {
    const dir = project("cjs");
    const r = run(dir, ["-q", "app.ts"]);
    assert.equal(r.stderr, "");
    assert.equal(r.status, 0);
    assert.equal(r.stdout, plainRun(dir, "app.js").stdout);
    assert.match(r.stdout, /^main true string$/m);
    assert.deepEqual(hitsIn(path.join(dir, "app.ts.lprof"), dir), annotated(dir, ["app.ts", "lib/shapes.ts", "lib/legacy.js"]));
  });

  test("ES modules: .ts/.mts/.cts/.js, named imports of CommonJS, top-level await, dynamic import", () => {
    const dir = project("esm");
    const r = run(dir, ["-q", "main.ts"]);
    assert.equal(r.stderr, "");
    assert.equal(r.status, 0);
    assert.equal(r.stdout, plainRun(dir, "main.js").stdout);
    assert.match(r.stdout, /^24 undefined true$/m);
    assert.deepEqual(hitsIn(path.join(dir, "main.ts.lprof"), dir), annotated(dir, ["stats.ts", "report.mts", "legacy.cts", "text.js", "lazy.ts"]));
  });

  test("imports as TypeScript resolves them: extensionless, directories, .ts before a stale .js beside it", () => {
    const dir = project("bundler");
    const r = run(dir, ["-q", "main.ts"]);
    assert.deepEqual([r.status, r.stderr, r.stdout], [0, "", "4 9 4\n"]);
    assert.deepEqual(hitsIn(path.join(dir, "main.ts.lprof"), dir), annotated(dir, ["util.ts", "helpers/index.ts", "half.ts"]));
  });

  test("tsconfig.json (comments, extends) semantic options apply; the project's own TypeScript 7 is not used", () => {
    const dir = project("settings");
    // TypeScript 7 has no JS API: a project on it must still run, with tsprof's own TypeScript.
    const fakeTs = path.join(dir, "node_modules", "typescript");
    fs.mkdirSync(fakeTs);
    fs.writeFileSync(path.join(fakeTs, "package.json"), JSON.stringify({ name: "typescript", version: "7.0.0", main: "index.js" }));
    fs.writeFileSync(path.join(fakeTs, "index.js"), "throw new Error('TypeScript 7 has no JavaScript API');\n");
    const r = run(dir, ["-q", "app.ts"]);
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "decorating object greet function\nhello a hello b\n");
    const plain = compile(fs.readFileSync(path.join(dir, "app.ts"), "utf8"), path.join(dir, "app.ts"), { plain: true, compilerOptions: { experimentalDecorators: true } });
    fs.writeFileSync(path.join(dir, "plain.js"), plain);
    assert.equal(runNode([path.join(dir, "plain.js")], { cwd: dir, env: cleanEnv() }).stdout, r.stdout);
    assert.deepEqual(hitsIn(path.join(dir, "app.ts.lprof"), dir), annotated(dir, ["app.ts"]));
  });

  test("-p selects files and FILE:NAME functions without markers, --all every function of the user's files", () => {
    const dir = project("autoprofile");
    fs.mkdirSync(path.join(dir, "node_modules", "fake-lib"));
    fs.writeFileSync(path.join(dir, "node_modules", "fake-lib", "index.js"), "exports.shuffle = function shuffle(xs) {\n  return xs.slice().reverse();\n};\n");
    const out = path.join(dir, "app.ts.lprof");
    const expected = "4 3,1,2 7\n";

    let r = run(dir, ["-q", "-p", "lib/stats.ts,app.ts:main", "app.ts"]);
    assert.equal(r.stdout, expected);
    assert.deepEqual(hitsIn(out, dir), annotated(dir, ["app.ts", "lib/stats.ts"]));

    r = run(dir, ["-q", "--all", "app.ts"]);
    assert.equal(r.stdout, expected);
    assert.deepEqual(hitsIn(out, dir), annotated(dir, ["app.ts", "lib/stats.ts"], ["hits", "all"]));

    // node_modules: only when named.
    r = run(dir, ["-q", "-p", "fake-lib", "-p", "stats.ts:histogram", "app.ts"]);
    assert.equal(r.stdout, expected);
    const histogram = Object.entries(annotated(dir, ["lib/stats.ts"])).filter(([k]) => Number(k.split(":")[1]) >= 7);
    assert.deepEqual(hitsIn(out, dir), { ...Object.fromEntries(histogram), "node_modules/fake-lib/index.js:2": 1 });
  });

  test("child processes (fork, spawn of node) and a worker thread are merged into one profile", () => {
    const dir = project("procs");
    const r = run(dir, ["-q", "parent.ts"]);
    assert.equal(r.stderr, "");
    assert.equal(r.status, 0);
    assert.equal(r.stdout, plainRun(dir, "parent.js").stdout);
    const output = path.join(dir, "parent.ts.lprof");
    assert.deepEqual(hitsIn(output, dir), annotated(dir, ["work.ts"]));
    const places = readLprof(output).runs.map((run) => `${run.pid}/${run.threadId}`);
    assert.equal(new Set(places).size, 4, `one run per process and thread: ${places.join(" ")}`);
  });
});

describe("tsprof run: the command line", () => {
  test("without -v: where the profile went and how to view it; -v: the same report as tsprof view", () => {
    const dir = project("cjs");
    let r = run(dir, ["app.ts"]);
    assert.ok(r.stdout.endsWith("main true string\nWrote profile results to 'app.ts.lprof'\nInspect results with:\ntsprof view app.ts.lprof\n"), r.stdout);

    r = run(dir, ["-v", "-u", "1e-3", "-z", "-o", "out/prof.lprof", "app.ts"]);
    const [program, report] = r.stdout.split("Wrote profile results to 'out/prof.lprof'\n");
    assert.ok(program.endsWith("main true string\n"));
    const viewed = runNode([CLI, "view", "-u", "1e-3", "-z", "out/prof.lprof"], { cwd: dir, env: cleanEnv() });
    assert.equal(report, viewed.stdout);
    assert.match(report, /^Timer unit: 0\.001 s\n/);
    assert.match(report, /Function: totalArea at line 6/);
  });

  test("--sample, --rate and --memory reach the runtime (same exact hits)", () => {
    const dir = project("cjs");
    const r = run(dir, ["-q", "--sample", "--rate", "2000", "--memory", "app.ts"]);
    assert.equal(r.status, 0, r.stderr);
    const output = path.join(dir, "app.ts.lprof");
    assert.deepEqual(readLprof(output).runs.map((run) => run.mode), ["sampled"]);
    assert.deepEqual(hitsIn(output, dir), annotated(dir, ["app.ts", "lib/shapes.ts", "lib/legacy.js"]));
  });

  test("exit code, arguments, node options and stdin pass through unchanged", () => {
    const dir = project("signals");
    const r = run(dir, ["-q", "--", "--no-warnings", "exit.ts", "3", "x y"], "hello\n");
    assert.equal(r.status, 3);
    assert.equal(r.stdout, `HELLO ["3","x y"] ["--no-warnings"]\n`);
    assert.equal(r.stdout, plainRun(dir, "exit.js", ["3", "x y"], "hello\n", ["--no-warnings"]).stdout);
    assert.deepEqual(hitsIn(path.join(dir, "exit.ts.lprof"), dir), annotated(dir, ["exit.ts"]));
    // Without node options the program runs in tsprof's own process: the same, exit code included.
    const here = run(dir, ["-q", "exit.ts", "4"], "bye\n");
    assert.deepEqual([here.status, here.stdout], [4, `BYE ["4"] []\n`]);
  });

  test("stack traces point at the TypeScript lines", () => {
    const dir = project("errors");
    const r = run(dir, ["-q", "throws.ts"]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "1\n");
    assert.match(r.stderr, /Error: empty box\n\s+at unbox \(.*throws\.ts:6:19\)\n\s+at .*throws\.ts:11:1\)/);
  });

  test("errors before the program runs: one line, exit code not 0", () => {
    const dir = project("errors");
    const cases: [string[], number, string][] = [
      [["bad.ts"], 1, "tsprof run: bad.ts:3:22: Expression expected.\n"],
      [["missing.ts"], 2, `tsprof run: missing.ts: no such file (looked in ${fs.realpathSync(dir)}); check the script's path\n`],
      [["--bogus", "bad.ts"], 2, "tsprof run: unknown option --bogus\nTry 'tsprof run --help' for more information.\n"],
      [["--inspect", "bad.ts"], 2, "tsprof run: --inspect is a node option; put node options after --: tsprof run [options] -- --inspect SCRIPT\n"],
      [["-i", "0", "bad.ts"], 2, `tsprof run: invalid interval "0" for -i: give seconds from 0.01 to 2147483\nTry 'tsprof run --help' for more information.\n`],
      [["--rate", "100", "bad.ts"], 2, "tsprof run: --rate needs --sample or --v8\nTry 'tsprof run --help' for more information.\n"],
      [["-u", "x", "bad.ts"], 2, `tsprof run: invalid unit "x": give seconds from 1e-15 to 1000 (1e-3) or one of ns, us, ms, s\nTry 'tsprof run --help' for more information.\n`],
    ];
    for (const [args, status, stderr] of cases) {
      const r = runNode([CLI, "run", ...args], { cwd: fs.realpathSync(dir), env: cleanEnv() });
      assert.deepEqual([r.status, r.stderr, r.stdout], [status, stderr, ""], args.join(" "));
    }
    assert.equal(fs.existsSync(path.join(dir, "bad.ts.lprof")), false);
  });

  test("the compile cache: a second run does not load TypeScript; a changed file or option is compiled again", () => {
    const dir = makeProject("tsprof-run-");
    const probe = cacheProbe();
    fs.writeFileSync(path.join(dir, "probe.ts"), probe);
    const out = () => run(dir, ["-q", "probe.ts"]).stdout;
    assert.equal(out(), "42 compiled\n");
    assert.equal(out(), "42 cached\n");
    assert.deepEqual(hitsIn(path.join(dir, "probe.ts.lprof"), dir), { "probe.ts:3": 1 });
    assert.ok(fs.readdirSync(path.join(dir, "node_modules", ".cache", "tsprof")).length > 0);
    fs.writeFileSync(path.join(dir, "probe.ts"), `${probe}\n// edited\n`);
    assert.equal(out(), "42 compiled\n");
    assert.equal(run(dir, ["-q", "--all", "probe.ts"]).stdout, "42 compiled\n");
  });

  test("the compile cache by file identity: a warm start reads no source; a rewrite of the same size, its modification time put back, is compiled again", async () => {
    const dir = makeProject("tsprof-run-");
    const file = path.join(dir, "probe.ts");
    fs.writeFileSync(file, cacheProbe(2));
    const { mtime } = fs.statSync(file);
    // Files changed in the last 3 s are looked up by content only (cache.ts).
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const out = () => run(dir, ["-q", "probe.ts"]).stdout;
    assert.equal(out(), "42 compiled\n");
    const cache = path.join(dir, "node_modules", ".cache", "tsprof");
    const entries = () => fs.readdirSync(cache).filter((f) => f.endsWith(".js")).length;
    // One entry by content, one by identity: the same file under two names (cache.ts cacheLink).
    assert.equal(entries(), 2);
    const [a, b] = fs.readdirSync(cache).filter((f) => f.endsWith(".js")).map((f) => fs.statSync(path.join(cache, f)));
    assert.equal(a.ino, b.ino);
    assert.equal(a.nlink, 2);
    assert.deepEqual(fs.readdirSync(cache).filter((f) => f.endsWith(".tmp")), []);
    // Linked again (as a second process would): renaming a name over another name of the same
    // file does nothing, and no temporary name is left behind.
    const [first, second] = fs.readdirSync(cache).filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -3));
    cacheLink(cache, first, second, "unused");
    assert.deepEqual(fs.readdirSync(cache).filter((f) => f.endsWith(".tmp")), []);
    assert.equal(fs.statSync(path.join(cache, `${second}.js`)).ino, a.ino);
    assert.equal(out(), "42 cached\n");
    // The source is not read on a warm start.
    const counter = path.join(dir, "count-reads.js");
    fs.writeFileSync(counter, `const fs = require("fs"); const read = fs.readFileSync; let n = 0;
fs.readFileSync = function (f, ...rest) { if (String(f).endsWith("probe.ts")) n++; return read.call(this, f, ...rest); };
process.on("exit", () => process.stderr.write("reads of probe.ts: " + n + "\\n"));`);
    const counted = spawnSync(process.execPath, [CLI, "run", "-q", "probe.ts"], { cwd: dir, env: { ...cleanEnv(), NODE_OPTIONS: `--require ${counter}` }, encoding: "utf8" });
    assert.deepEqual([counted.stdout, counted.stderr], ["42 cached\n", "reads of probe.ts: 0\n"]);
    // Same size, modification time put back (as `cp -p` or `touch -d` would): a new change time.
    fs.writeFileSync(file, cacheProbe(3));
    fs.utimesSync(file, mtime, mtime);
    assert.equal(out(), "63 compiled\n");
    assert.deepEqual(hitsIn(path.join(dir, "probe.ts.lprof"), dir), { "probe.ts:3": 1 });
  });

  test("V8 timing starts V8's profiler at the first profiled call where the modules load from the cache in the program's thread (warm CommonJS; on node ≥ 22 always)", () => {
    const dir = makeProject("tsprof-run-");
    // first.ts registers a profiled function before load.ts's top level spins; main.ts calls it after.
    fs.writeFileSync(path.join(dir, "first.ts"), "/** @profile */\nexport function f(n: number): number {\n  return n + 1;\n}\n");
    fs.writeFileSync(path.join(dir, "load.ts"), [
      "// 40 ms of CPU in the module's top level, before any profiled call.",
      "const t0 = process.cpuUsage();",
      "let spins = 0;",
      "for (let u = process.cpuUsage(t0); u.user + u.system < 40_000; u = process.cpuUsage(t0)) spins++;",
      "export const spun = spins > 0;",
      "",
    ].join("\n"));
    fs.writeFileSync(path.join(dir, "main.ts"), `import { f } from "./first";\nimport { spun } from "./load";\nconsole.log(f(1), spun);\n`);
    const esmDir = path.join(dir, "esm");
    fs.mkdirSync(esmDir);
    fs.writeFileSync(path.join(esmDir, "package.json"), `{ "type": "module" }\n`);
    for (const f of ["first.ts", "load.ts"]) fs.copyFileSync(path.join(dir, f), path.join(esmDir, f));
    fs.writeFileSync(path.join(esmDir, "main.ts"), `import { f } from "./first.js";\nimport { spun } from "./load.js";\nconsole.log(f(1), spun);\n`);
    /** Samples V8's profile took in load.ts, from the profiles the run dumps (TSPROF_V8_DUMP). */
    const samplesInLoad = (cwd: string, start?: string) => {
      const dumps = fs.mkdtempSync(path.join(dir, "dump-"));
      const env = { ...cleanEnv(), TSPROF_V8_DUMP: path.join(dumps, "p"), ...(start ? { TSPROF_V8_START: start } : {}) };
      const r = spawnSync(process.execPath, [CLI, "run", "-q", "main.ts"], { cwd, env, encoding: "utf8", timeout: CHILD_TIMEOUT_MS });
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, "2 true\n", ""]);
      let samples = 0;
      for (const d of fs.readdirSync(dumps)) {
        const profile = JSON.parse(fs.readFileSync(path.join(dumps, d), "utf8")) as { nodes: { callFrame: { url: string }; hitCount?: number }[] };
        for (const n of profile.nodes) if (n.callFrame.url.endsWith("load.ts")) samples += n.hitCount ?? 0;
      }
      assert.deepEqual(hitsIn(path.join(cwd, "main.ts.lprof"), cwd), { "first.ts:3": 1 });
      return samples;
    };
    const node22 = Number(process.versions.node.split(".")[0]) >= 22;
    // Where samples are expected, a run without any is taken once more: on a loaded machine V8's
    // sampler thread can be starved through the whole 40 ms (one suite run at a load average of 10).
    const cache = path.join(dir, "node_modules", ".cache", "tsprof");
    const sampledOnce = (cwd: string, start?: string, cold?: boolean) => {
      const n = samplesInLoad(cwd, start);
      if (n > 0) return n;
      if (cold) fs.rmSync(cache, { recursive: true, force: true });
      return samplesInLoad(cwd, start);
    };
    // Cold (TypeScript loaded to compile the files): node 20 starts it at the first registration.
    const cold = node22 ? samplesInLoad(dir) : sampledOnce(dir, undefined, true);
    if (node22) assert.equal(cold, 0, "cold CommonJS, node ≥ 22: started at the first call");
    else assert.ok(cold > 0, "cold CommonJS, node 20: started at the first registration");
    // Warm: started late, the profiler never saw load.ts's top level run; started early (what
    // the override asks for), it sampled it.
    assert.equal(samplesInLoad(dir), 0, "warm CommonJS: started at the first call");
    assert.ok(sampledOnce(dir, "early") > 0, "CommonJS, TSPROF_V8_START=early: started at the first registration");
    // Node before 22.15 loads ES modules through its off-thread hooks: the profiler starts early there.
    const offThread = typeof (require("node:module") as { registerHooks?: unknown }).registerHooks !== "function";
    samplesInLoad(esmDir);
    const esm = node22 || !offThread ? samplesInLoad(esmDir) : sampledOnce(esmDir);
    if (node22) assert.equal(esm, 0, "warm ES modules, node ≥ 22: started at the first call");
    else if (offThread) assert.ok(esm > 0, "warm ES modules, node 20: started at the first registration");
  });

  test("TypeScript's V8 code cache (node without module.enableCompileCache): written once, a damaged one ignored and written again", () => {
    const dir = makeProject("tsprof-run-");
    const file = path.join(dir, "probe.ts");
    const probe = (n: number) => `/** @profile */\nfunction twice(n: number): number {\n  return n * ${n};\n}\nconsole.log(twice(21));\n`;
    const cache = path.join(dir, "node_modules", ".cache", "tsprof");
    const codeCaches = () => (fs.existsSync(cache) ? fs.readdirSync(cache).filter((f) => f.endsWith(".bin")) : []);
    fs.writeFileSync(file, probe(2));
    assert.equal(run(dir, ["-q", "probe.ts"]).stdout, "42\n");
    const nodeCache = typeof (require("node:module") as { enableCompileCache?: unknown }).enableCompileCache === "function";
    if (nodeCache) {
      assert.deepEqual(codeCaches(), [], "Node's own compile cache covers TypeScript");
      return;
    }
    const [bin] = codeCaches();
    assert.ok(bin);
    const full = fs.statSync(path.join(cache, bin)).size;
    // Cut short, as a crash while writing would leave it: its digest no longer matches.
    fs.truncateSync(path.join(cache, bin), Math.floor(full / 2));
    fs.writeFileSync(file, probe(3));
    assert.deepEqual([run(dir, ["-q", "probe.ts"]).stdout, codeCaches()], ["63\n", [bin]]);
    assert.ok(fs.statSync(path.join(cache, bin)).size > full / 2, "written again");
    fs.writeFileSync(file, probe(4));
    const { mtimeMs } = fs.statSync(path.join(cache, bin));
    assert.equal(run(dir, ["-q", "probe.ts"]).stdout, "84\n");
    assert.equal(fs.statSync(path.join(cache, bin)).mtimeMs, mtimeMs, "a good code cache is used, not written again");
    assert.deepEqual(hitsIn(path.join(dir, "probe.ts.lprof"), dir), { "probe.ts:3": 1 });
  });

  test("other node versions (TSPROF_TEST_NODES=path:path…): the same hits", { skip: !process.env.TSPROF_TEST_NODES }, () => {
    for (const node of (process.env.TSPROF_TEST_NODES ?? "").split(path.delimiter).filter(Boolean)) {
      for (const [fixture, entry, files] of [["cjs", "app.ts", ["app.ts", "lib/shapes.ts", "lib/legacy.js"]], ["esm", "main.ts", ["stats.ts", "report.mts", "legacy.cts", "text.js", "lazy.ts"]], ["procs", "parent.ts", ["work.ts"]]] as const) {
        const dir = project(fixture);
        const r = run(dir, ["-q", entry], undefined, node);
        assert.equal(r.status, 0, `${node} ${fixture}: ${r.stderr}`);
        assert.deepEqual(hitsIn(path.join(dir, `${entry}.lprof`), dir), annotated(dir, [...files]), `${node} ${fixture}`);
      }
    }
  });
});

/** Starts tsprof run in the background; resolves each line of its stdout to `onLine`. */
function start(dir: string, args: string[], onLine: (line: string) => void) {
  const options: SpawnOptions = { cwd: dir, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] };
  const child = spawn(process.execPath, [CLI, "run", ...args], options);
  let buffered = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += d;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited };
}

const until = async (what: string, check: () => boolean, ms = CHILD_TIMEOUT_MS) => {
  for (const deadline = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
};

describe("tsprof run: long-running programs", () => {
  test("a signal that ends the program ends tsprof run the same way, with the profile written (node options: a child)", async () => {
    const dir = project("signals");
    let ready = false;
    let pid = 0;
    const { child, exited } = start(dir, ["-q", "--", "--no-warnings", "server.ts"], (line) => {
      if (line.startsWith("ready 12 ")) [ready, pid] = [true, Number(line.split(" ")[2])];
    });
    await until("the program to be ready", () => ready);
    await signalsWatched(pid);
    child.kill("SIGINT");
    const end = await exited;
    assert.equal(end.signal, "SIGINT", end.stderr);
    assert.deepEqual(hitsIn(path.join(dir, "server.ts.lprof"), dir), annotated(dir, ["server.ts"]));
  });

  test("-i N writes the profile every N seconds while the program runs", async () => {
    const dir = project("signals");
    const output = path.join(dir, "server.ts.lprof");
    let ready = false;
    const { child, exited } = start(dir, ["-q", "-i", "0.2", "server.ts"], (line) => (ready ||= line.startsWith("ready")));
    let running = true;
    void exited.then(() => (running = false));
    await until("the program to be ready", () => ready);
    // A dump may come before the program's first calls (a loaded machine starts it slowly): the
    // dumps every 0.2 s go on, and one after "ready" has every hit.
    const expected = annotated(dir, ["server.ts"]);
    const dumped = () => {
      try {
        return util.isDeepStrictEqual(hitsIn(output, dir), expected);
      } catch {
        return false;
      }
    };
    await until("an interval dump with the program's hits", () => fs.existsSync(output) && dumped());
    assert.ok(running, "the file was written while the program was still running");
    assert.deepEqual(hitsIn(output, dir), expected);
    assert.equal(readLprof(output).runs[0].complete, false);
    child.kill("SIGTERM");
    assert.equal((await exited).signal, "SIGTERM");
  });
});
