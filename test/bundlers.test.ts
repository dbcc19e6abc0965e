/*
 * The bundler plugin, end to end, as a user installs it (tsprof from its tarball, real esbuild,
 * Vite, Rolldown and vitest from npm): each bundle runs and prints what the unprofiled bundle
 * prints, its stack traces name TypeScript lines, and its profile has the TypeScript files, their
 * lines and exact hits.
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
    dependencies: { esbuild: "0.28.2", vite: "8.3.8", vitest: "4.1.12", rolldown: "1.3.2", webpack: "5.112.2" },
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
