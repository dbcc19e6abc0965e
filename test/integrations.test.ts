/*
 * The bundler plugin's options: checked when the plugin is made, each problem in one line that
 * names the plugin; the known ones pass.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";

test("a mistyped or mistaken bundler plugin option fails with a line naming it", () => {
  const esbuild = require("../integrations/esbuild") as (o?: object) => { name: string };
  assert.throws(() => esbuild({ outptu: "x.lprof" }), {
    message: 'tsprof: unknown plugin option "outptu" given to tsprof\'s esbuild plugin; known options: output, timing, rate, memory',
  });
  assert.throws(() => esbuild({ timing: "fast" }), { message: /^tsprof: plugin option "timing" must be one of "exact", "sampled", "v8", got "fast"$/ });
  assert.equal(esbuild({ output: "p.lprof", timing: "sampled", include: /src/, exclude: /gen/, all: true }).name, "tsprof");
});
