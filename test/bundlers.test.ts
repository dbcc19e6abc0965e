/*
 * The bundler plugin, end to end, as a user installs it (tsprof from its tarball, real esbuild,
 * Vite, Rolldown, Rollup, webpack, Rspack and vitest from npm): each bundle runs and prints what
 * the unprofiled bundle prints, its stack traces name TypeScript lines (the bundler's source map
 * chained onto tsprof's), and its profile has the TypeScript files, their lines and exact hits.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { expectedHits, profEnv, runNode } from "./helpers";
import { packedProject } from "./packed";
import { APP, APP_HITS, APP_OUTPUT, CART, LIB, profileByFile } from "./e2e-fixture";


// webpack has no TypeScript of its own (projects add ts-loader): a JavaScript source.
const PLAIN_JS = `/** @profile */
function total(xs) {
  let s = 0; // hits: 1
  for (const x of xs) s += x; // hits: 4
  return s; // hits: 1
}
console.log(total([1, 2, 3]));
`;

const vitestFile = (name: string, calls: string) => `import { test, expect } from "vitest";
import { total } from "../src/cart";
test("${name}", () => {
${calls}
});
`;

let dir = "";
before(() => {
  dir = packedProject({
    prefix: "tsprof-bundlers-",
    dependencies: {
      esbuild: "0.28.2", vite: "8.3.8", vitest: "4.1.12", rolldown: "1.3.2", webpack: "5.112.2", "@rspack/core": "2.3.4",
      // Rollup compiles TypeScript through a plugin: rollup-plugin-esbuild reuses the esbuild above.
      // @rollup/plugin-typescript (its peer TypeScript pinned at 6, as it needs the compiler API)
      // only for the refusal.
      rollup: "4.68.8", "rollup-plugin-esbuild": "6.2.1", "@rollup/plugin-typescript": "12.3.1", tslib: "2.9.1", typescript: "6.0.3",
    },
    packageJson: { type: "module" },
    files: {
      "src/app.ts": APP,
      "src/lib.ts": LIB,
      "src/cart.ts": CART,
      "src/plain.js": PLAIN_JS,
      "webpack.cjs": `const webpack = require("webpack");
webpack({
  mode: "development", devtool: "source-map", target: "node", entry: "./src/plain.js",
  output: { path: __dirname + "/out/webpack", filename: "app.cjs" }, plugins: [require("tsprof/webpack")()],
}, (err, stats) => { if (err || stats.hasErrors()) { console.error(err ?? stats.toString()); process.exit(1); } });
`,
      "esbuild.mjs": `import * as esbuild from "esbuild";
import tsprof from "tsprof/esbuild";
const plain = process.argv[2] === "plain";
await esbuild.build({
  entryPoints: ["src/app.ts"], bundle: true, platform: "node", format: "esm", sourcemap: true,
  outfile: plain ? "out/esbuild-plain.mjs" : "out/esbuild.mjs", plugins: plain ? [] : [tsprof()],
});
`,
      "vite.config.ts": `import { defineConfig } from "vite";
import tsprof from "tsprof/vite";
export default defineConfig({ plugins: [tsprof()], build: { ssr: "src/app.ts", outDir: "out/vite", sourcemap: true } });
`,
      "rollup.config.mjs": `import esbuild from "rollup-plugin-esbuild";
import tsprof from "tsprof/rollup";
export default { input: "src/app.ts", output: { file: "out/rollup.mjs", format: "es", sourcemap: true }, plugins: [tsprof(), esbuild()] };
`,
      "rollup-ts.config.mjs": `import typescript from "@rollup/plugin-typescript";
import tsprof from "tsprof/rollup";
export default { input: "src/app.ts", output: { file: "out/rollup-ts.mjs", format: "es" }, plugins: [tsprof(), typescript({ compilerOptions: { target: "es2022" } })] };
`,
      "rollup-late.config.mjs": `import esbuild from "rollup-plugin-esbuild";
import tsprof from "tsprof/rollup";
export default { input: "src/app.ts", output: { file: "out/rollup-late.mjs", format: "es" }, plugins: [esbuild(), tsprof()] };
`,
      // TypeScript through Rspack's own SWC loader, which runs after tsprof's pre-loader.
      "rspack.cjs": `const { rspack } = require("@rspack/core");
rspack({
  mode: "development", devtool: "source-map", target: "node", entry: "./src/app.ts",
  output: { path: __dirname + "/out/rspack", filename: "app.cjs" }, resolve: { extensions: [".ts", ".js"] },
  module: { rules: [{ test: /\\.ts$/, loader: "builtin:swc-loader", options: { jsc: { parser: { syntax: "typescript" } } }, type: "javascript/auto" }] },
  plugins: [require("tsprof/rspack")()],
}, (err, stats) => { if (err || stats.hasErrors()) { console.error(err ?? stats.toString()); process.exit(1); } });
`,
      "rolldown.config.mjs": `import tsprof from "tsprof/rolldown";
export default { input: "src/app.ts", platform: "node", output: { file: "out/rolldown.mjs", sourcemap: true }, plugins: [tsprof()] };
`,
      "vitest.config.ts": `import { defineConfig } from "vitest/config";
import tsprof from "tsprof/vite";
export default defineConfig({ plugins: [tsprof()], test: { include: ["test/*.test.ts"] } });
`,
      "test/a.test.ts": vitestFile("a", "  expect(total([{ price: 2, qty: 3 }, { price: 1, qty: 1 }])).toBe(7);\n  expect(total([])).toBe(0);"),
      "test/b.test.ts": vitestFile("b", "  expect(total([{ price: 5, qty: 1 }])).toBe(5);"),
    },
  });
});

/** Runs a tool of the project (a file under node_modules, with node). */
function tool(args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 120_000, env: profEnv(path.join(dir, "unused.lprof")) });
  assert.equal(r.status, 0, `${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Runs a bundle with source maps on; returns its profile's hits by file. */
function runBundle(bundle: string, name: string) {
  const output = path.join(dir, `${name}.lprof`);
  const r = runNode(["--enable-source-maps", bundle], { cwd: dir, env: profEnv(output) });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, APP_OUTPUT);
  return profileByFile(output, dir);
}

test("esbuild: the bundle keeps its output and TypeScript stack lines; the profile has TypeScript lines and exact hits", () => {
  tool(["esbuild.mjs", "plain"]);
  const plain = runNode(["--enable-source-maps", "out/esbuild-plain.mjs"], { cwd: dir, env: profEnv(path.join(dir, "plain.lprof")) });
  assert.equal(plain.stdout, APP_OUTPUT);
  assert.equal(fs.existsSync(path.join(dir, "plain.lprof")), false, "an unprofiled bundle wrote a profile");
  tool(["esbuild.mjs"]);
  // The runtime stays outside the bundle: one copy, loaded from node_modules.
  assert.match(fs.readFileSync(path.join(dir, "out/esbuild.mjs"), "utf8"), /from "tsprof\/runtime"/);
  assert.deepEqual(runBundle("out/esbuild.mjs", "esbuild"), APP_HITS);
});

test("Vite (server build): TypeScript lines and exact hits", () => {
  tool(["node_modules/vite/bin/vite.js", "build", "--logLevel", "error"]);
  assert.deepEqual(runBundle("out/vite/app.js", "vite"), APP_HITS);
});

test("Rolldown: TypeScript lines and exact hits", () => {
  tool(["node_modules/rolldown/bin/cli.mjs", "-c", "rolldown.config.mjs"]);
  assert.deepEqual(runBundle("out/rolldown.mjs", "rolldown"), APP_HITS);
});

test("Rollup with rollup-plugin-esbuild: TypeScript lines and exact hits", () => {
  tool(["node_modules/rollup/dist/bin/rollup", "-c", "rollup.config.mjs", "--silent"]);
  assert.match(fs.readFileSync(path.join(dir, "out/rollup.mjs"), "utf8"), /from 'tsprof\/runtime'/);
  assert.deepEqual(runBundle("out/rollup.mjs", "rollup"), APP_HITS);
});

test("Rollup: @rollup/plugin-typescript, and a comment-stripping plugin before tsprof, fail the build in one line", () => {
  for (const [config, message] of [
    ["rollup-ts.config.mjs", "tsprof: @rollup/plugin-typescript compiles TypeScript in its load hook from the files on disk, so no plugin sees the source "
      + "and tsprof's rollup plugin cannot instrument it; compile with rollup-plugin-esbuild instead: plugins: [tsprof(), esbuild()]"],
    ["rollup-late.config.mjs", "tsprof: the esbuild plugin comes before tsprof in rollup's plugins and removes the comments that mark functions; "
      + "put tsprof() first: plugins: [tsprof(), esbuild()]"],
  ]) {
    const r = spawnSync(process.execPath, ["node_modules/rollup/dist/bin/rollup", "-c", config, "--silent"], { cwd: dir, encoding: "utf8", env: { ...profEnv(""), NO_COLOR: "1" } });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes(message), r.stderr);
    assert.equal(fs.existsSync(path.join(dir, "out", config.replace(".config", ""))), false);
  }
});

test("Rspack with its SWC loader: the runtime stays external; TypeScript lines and exact hits", () => {
  tool(["rspack.cjs"]);
  assert.match(fs.readFileSync(path.join(dir, "out/rspack/app.cjs"), "utf8"), /require\("tsprof\/runtime"\)/);
  assert.deepEqual(runBundle("out/rspack/app.cjs", "rspack"), APP_HITS);
});

test("webpack: the runtime stays external; exact hits on a JavaScript source", () => {
  tool(["webpack.cjs"]);
  const output = path.join(dir, "webpack.lprof");
  const r = runNode(["out/webpack/app.cjs"], { cwd: dir, env: profEnv(output) });
  assert.equal(r.stdout, "6\n");
  assert.deepEqual(profileByFile(output, dir), { "src/plain.js": expectedHits(PLAIN_JS) });
});

test("vitest with the Vite plugin, in every pool: one profile for all test files, exact hits", () => {
  // threads and vm pools end workers with terminate(), which runs no exit hook: the plugin's setup
  // file writes. One worker: test files run one after another, each worker's run kept.
  for (const pool of ["forks", "threads", "vmThreads"]) {
    const output = path.join(dir, `vitest-${pool}.lprof`);
    const r = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", `--pool=${pool}`, "--maxWorkers=1"], {
      cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...profEnv(output), NO_COLOR: "1" },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 passed/);
    assert.deepEqual(profileByFile(output, dir), { "src/cart.ts": expectedHits(CART) }, pool);
  }
});
