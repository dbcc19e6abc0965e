/*
 * The bundler plugin's options: checked when the plugin is made, each problem in one line that
 * names the plugin; the known ones pass.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

test("a mistyped or mistaken bundler plugin option fails with a line naming it", () => {
  const esbuild = require("../integrations/esbuild") as (o?: object) => { name: string };
  assert.throws(() => esbuild({ outptu: "x.lprof" }), {
    message: 'tsprof: unknown plugin option "outptu" given to tsprof\'s esbuild plugin; known options: output, timing, rate, memory',
  });
  assert.throws(() => esbuild({ timing: "fast" }), { message: /^tsprof: plugin option "timing" must be one of "exact", "sampled", "v8", got "fast"$/ });
  assert.equal(esbuild({ output: "p.lprof", timing: "sampled", include: /src/, exclude: /gen/, all: true }).name, "tsprof");
});

test("on a Node whose require() cannot load ES modules, the bundler plugin says so in one line", () => {
  // --no-experimental-require-module gives Node 20.20+, 22 and 24 the require() of Node before 20.19.
  const r = spawnSync(process.execPath, ["--no-experimental-require-module", "-e", `require(${JSON.stringify(path.join(__dirname, "../integrations/esbuild.js"))})`], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`\\nError: tsprof: the bundler plugin loads ES modules with require\\(\\), which this Node \\(${process.versions.node.replace(/\./g, "\\.")}\\) does not; `
    + "use Node 20\\.19, 22\\.12 or later \\(without --no-experimental-require-module\\), or profile without a bundler: npx tsprof run app\\.ts\\n"));
});
