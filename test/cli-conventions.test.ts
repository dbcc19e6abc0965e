/*
 * What every tsprof command does alike: `tsprof help`, "did you mean" for a mistyped command or
 * option, usage errors in one style, and colors only where the stream has them — on a real
 * terminal (a pseudo-terminal from util-linux's `script`), where Node's `hasColors()` decides.
 */
import { spawnSync } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { CHILD_TIMEOUT_MS, CLI, makeProject, tsprof } from "./helpers";

test("tsprof help and tsprof help COMMAND print the help texts, exit 0", () => {
  const main = tsprof(["help"]);
  assert.equal(main.status, 0);
  assert.equal(main.stdout, tsprof(["--help"]).stdout);
  assert.match(main.stdout, /^usage: tsprof <command> \[options\]\n/);
  assert.match(main.stdout, /\n {2}help {5}this text; tsprof help COMMAND: that command's options\n/);
  const run = tsprof(["help", "run"]);
  assert.equal(run.status, 0);
  assert.equal(run.stdout, tsprof(["run", "--help"]).stdout);
  assert.match(run.stdout, /^usage: tsprof run \[options\]/);
});

test("a mistyped command or option: did you mean, exit 2", () => {
  const cases: [string[], string][] = [
    [["vew", "x.lprof"], `tsprof: unknown command "vew" (did you mean "view"?); commands: view, run, prof, stats, timeit, html, export, heap, mprof, build\nTry 'tsprof --help' for more information.\n`],
    [["hlep"], `tsprof: unknown command "hlep" (did you mean "help"?); commands: view, run, prof, stats, timeit, html, export, heap, mprof, build\nTry 'tsprof --help' for more information.\n`],
    [["frobnicate"], `tsprof: unknown command "frobnicate"; commands: view, run, prof, stats, timeit, html, export, heap, mprof, build\nTry 'tsprof --help' for more information.\n`],
    [["run", "--smaple", "app.ts"], `tsprof run: unknown option --smaple (did you mean --sample?)\nTry 'tsprof run --help' for more information.\n`],
    [["view", "--skip-zeros", "x.lprof"], `tsprof view: unknown option --skip-zeros (did you mean --skip-zero?)\nTry 'tsprof view --help' for more information.\n`],
  ];
  for (const [args, stderr] of cases) {
    const r = tsprof(args);
    assert.deepEqual([r.status, r.stdout, r.stderr], [2, "", stderr], args.join(" "));
  }
});

test("usage errors of view, run and timeit end alike", () => {
  for (const args of [["view", "-u"], ["run", "-u"], ["timeit", "-n"]]) {
    const r = tsprof(args);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`^tsprof ${args[0]}: option -[un] needs a value \\(\\w+\\)\\nTry 'tsprof ${args[0]} --help' for more information\\.\\n$`), args.join(" "));
  }
});

const script = spawnSync("script", ["--version"], { encoding: "utf8" });

test("on a terminal: colors, unless FORCE_COLOR=0, NO_COLOR or NODE_DISABLE_COLORS say no", { skip: script.status !== 0 && "util-linux's script (a pseudo-terminal) is not installed" }, () => {
  const dir = makeProject("tsprof-tty-");
  fs.writeFileSync(path.join(dir, "app.ts"), "/** @profile */\nfunction f() {\n  let s = 0;\n  for (let i = 0; i < 1e5; i++) s += i;\n  return s;\n}\nf();\n");
  // Exact timing: a 0.1 ms run gets few or no V8 samples, and the colours mark lines by their time.
  const made = tsprof(["run", "-q", "--exact", "app.ts"], { cwd: dir });
  assert.equal(made.status, 0, made.stderr);
  const onTerminal = (env: Record<string, string>) => {
    const base: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color" };
    // A colour terminal: Node reads CI=true (as CI sets it) as a terminal of 2 colours (tty.getColorDepth).
    for (const k of ["FORCE_COLOR", "NO_COLOR", "NODE_DISABLE_COLORS", "CI"]) delete base[k];
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} view app.ts.lprof`;
    const r = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: dir, env: { ...base, ...env }, encoding: "utf8", timeout: CHILD_TIMEOUT_MS });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Line #/);
    return /\x1b\[3\dm/.test(r.stdout);
  };
  assert.equal(onTerminal({}), true);
  assert.equal(onTerminal({ FORCE_COLOR: "0" }), false);
  assert.equal(onTerminal({ NO_COLOR: "1" }), false);
  assert.equal(onTerminal({ NODE_DISABLE_COLORS: "1" }), false);
});

test("a slow cold compile says so on a terminal, in whole lines; never through a pipe", { skip: script.status !== 0 && "util-linux's script (a pseudo-terminal) is not installed" }, () => {
  const dir = makeProject("tsprof-progress-");
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(dir, `m${i}.ts`), `export const v${i}: number = ${i};\n`);
  fs.writeFileSync(path.join(dir, "app.ts"), `import { v0 } from "./m0";\nimport { v1 } from "./m1";\nimport { v2 } from "./m2";\nsetTimeout(() => console.log("sum " + (v0 + v1 + v2)), 300);\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, TSPROF_PROGRESS_AFTER: "0", TSPROF_CACHE_DIR: "" };
  delete env.NODE_OPTIONS;
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} run -q app.ts`;
  const tty = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: dir, env, encoding: "utf8", timeout: CHILD_TIMEOUT_MS });
  assert.equal(tty.status, 0, tty.stdout);
  assert.match(tty.stdout.replace(/\r/g, ""), /^tsprof run: compiling TypeScript, 1 file so far \(the next runs reuse it from the cache\)…\ntsprof run: compiled 4 files in \d+\.\d s\nsum 3\n$/);
  const piped = spawnSync(process.execPath, [CLI, "run", "-q", "app.ts"], { cwd: dir, env, encoding: "utf8", timeout: CHILD_TIMEOUT_MS });
  assert.deepEqual([piped.status, piped.stdout, piped.stderr], [0, "sum 3\n", ""]);
});
