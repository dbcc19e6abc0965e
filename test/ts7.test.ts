/*
 * TypeScript 7 (the Go compiler, no transformer API) installed in a project as a user has it:
 * tsprof/transformer says so in one line and names the ways that work; `tsprof run` and the
 * esbuild plugin profile the project with exact hits; TypeScript 7's own tsc accepts what the
 * text emitter writes (strict, noUnusedLocals). A plugin build writes no profile, and says nothing
 * of it (its tsc) or dies inside ts-patch (tspc): `tsprof view` then says why and what works.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { CLI, profEnv, ROOT, runNode } from "./helpers";
import { packedProject } from "./packed";
import { APP, APP_HITS, APP_OUTPUT, LIB, profileByFile } from "./e2e-fixture";
import { instrumentText } from "../transformer/text-emit-file";

let dir = "";
before(() => {
  dir = packedProject({
    prefix: "tsprof-ts7-",
    dependencies: { typescript: "7.0.2", esbuild: "0.28.2", "ts-patch": "4.0.1" },
    packageJson: { type: "module" },
    files: {
      "src/app.ts": APP,
      "src/lib.ts": LIB,
      // The README's plugin setup, on TypeScript 7.
      "plugin/tsconfig.json": JSON.stringify({
        compilerOptions: { target: "es2022", module: "nodenext", rootDir: "src", outDir: "dist", types: [], plugins: [{ transform: "tsprof/transformer" }] },
        include: ["src"],
      }),
      "plugin/src/app.ts": "/** @profile */\nfunction twice(n: number): number {\n  return n * 2;\n}\nconsole.log(twice(21));\n",
      "esbuild.mjs": `import * as esbuild from "esbuild";
import tsprof from "tsprof/esbuild";
await esbuild.build({ entryPoints: ["src/app.ts"], bundle: true, platform: "node", format: "esm", sourcemap: true, outfile: "out/app.mjs", plugins: [tsprof()] });
`,
    },
  });
});

function node(args: string[], output = path.join(dir, "unused.lprof")) {
  const env = profEnv(output);
  delete env.NODE_TEST_CONTEXT;
  return spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 120_000, env });
}

test("TypeScript 7: the compiler plugin refuses in one line and names what works", () => {
  assert.match(JSON.parse(fs.readFileSync(path.join(dir, "node_modules/typescript/package.json"), "utf8")).version, /^7\./);
  const r = node(["-e", `require("tsprof/transformer").default(undefined, {}, { ts: require("typescript") })`]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^Error: tsprof: TypeScript 7\.0\.2 has no compiler transformer API, so tsprof\/transformer cannot instrument this build; run the program with `npx tsprof run app\.ts`, add the bundler plugin/m);
});

test("TypeScript 7: tspc dies inside ts-patch, tsc ignores the plugin; tsprof view then names the cause and what works", () => {
  // What ts-patch 4.0.1 prints: its config.js reads NewLineKind from TypeScript 7's `typescript`,
  // which exports only its version, before it reads tsconfig.json. No code of tsprof's runs.
  const tspc = node([path.join(dir, "node_modules/ts-patch/bin/tspc.js"), "-p", "plugin"]);
  assert.equal(tspc.status, 1);
  assert.match(tspc.stderr, /node_modules\/ts-patch\/config\.js:31\n/);
  assert.match(tspc.stderr, /\nTypeError: Cannot read properties of undefined \(reading 'LineFeed'\)\n/);
  assert.equal(fs.existsSync(path.join(dir, "plugin/dist")), false);
  const hint = "tsprof: out.lprof: no such file; TypeScript 7.0.2 is installed here, and no plugin build profiles with it: its tsc ignores compilerOptions.plugins, "
    + "and ts-patch's tspc fails on it before loading any plugin (TypeError: Cannot read properties of undefined (reading 'LineFeed')); "
    + "run the program with `npx tsprof run app.ts`, add a bundler plugin (tsprof/vite, tsprof/esbuild, tsprof/rollup, tsprof/rolldown, tsprof/webpack, tsprof/rspack), "
    + "or build with tspc on TypeScript 6 (npm i -D typescript@6)\n";
  const view = () => {
    const r = node([CLI, "view", "out.lprof"]);
    return [r.status, r.stderr];
  };
  assert.deepEqual(view(), [1, hint]);
  // The README shows both, as printed.
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  assert.ok(readme.includes(`\n${hint}`), "the README's TypeScript 7 section shows another line than tsprof view prints");
  assert.ok(readme.includes("\nTypeError: Cannot read properties of undefined (reading 'LineFeed')\n"));
  // TypeScript 7's tsc builds without a word about the plugin; the program runs and writes nothing.
  const tsc = node([path.join(dir, "node_modules/typescript/bin/tsc"), "-p", "plugin"]);
  assert.equal(tsc.stdout + tsc.stderr, "");
  assert.equal(tsc.status, 0);
  const run = node(["plugin/dist/app.js"], path.join(dir, "out.lprof"));
  assert.equal(run.stdout, "42\n");
  assert.equal(fs.existsSync(path.join(dir, "out.lprof")), false);
  assert.deepEqual(view(), [1, hint]);
});

test("TypeScript 7: tsprof build stops before tspc, in one line naming what works", () => {
  fs.rmSync(path.join(dir, "plugin/dist"), { recursive: true, force: true });
  const r = node([CLI, "build", "-p", "plugin"]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, "tsprof build: TypeScript 7.0.2 is installed here, and no plugin build profiles with it: its tsc ignores compilerOptions.plugins, "
    + "and ts-patch's tspc fails on it before loading any plugin (TypeError: Cannot read properties of undefined (reading 'LineFeed')); "
    + "run the program with `npx tsprof run app.ts`, add a bundler plugin (tsprof/vite, tsprof/esbuild, tsprof/rollup, tsprof/rolldown, tsprof/webpack, tsprof/rspack), "
    + "or build with tspc on TypeScript 6 (npm i -D typescript@6)\n");
  assert.equal(fs.existsSync(path.join(dir, "plugin/dist")), false);
});

test("TypeScript 7: tsprof run profiles the project", () => {
  const r = node([CLI, "run", "-q", "-o", "run.lprof", "src/app.ts"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, APP_OUTPUT);
  assert.deepEqual(profileByFile(path.join(dir, "run.lprof"), dir), APP_HITS);
});

test("TypeScript 7: the esbuild plugin profiles the bundle with TypeScript lines", () => {
  const b = node(["esbuild.mjs"]);
  assert.equal(b.status, 0, b.stderr);
  const output = path.join(dir, "bundle.lprof");
  const r = runNode(["--enable-source-maps", "out/app.mjs"], { cwd: dir, env: profEnv(output) });
  assert.equal(r.stdout, APP_OUTPUT);
  assert.deepEqual(profileByFile(output, dir), APP_HITS);
});

test("TypeScript 7's tsc type-checks the text emitter's output cleanly", () => {
  const checked = path.join(dir, "checked");
  fs.mkdirSync(path.join(checked, "src"), { recursive: true });
  for (const [name, code] of [["app.ts", APP], ["lib.ts", LIB]]) {
    const out = instrumentText(code, path.join(checked, "src", name))!;
    fs.writeFileSync(path.join(checked, "src", name), out.code);
  }
  fs.writeFileSync(path.join(checked, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "es2022", module: "preserve", moduleResolution: "bundler", strict: true, noUnusedLocals: true, noEmit: true, types: [] },
    include: ["src"],
  }));
  // The runtime's types, as the project sees them.
  fs.symlinkSync(path.join(dir, "node_modules"), path.join(checked, "node_modules"), "dir");
  const r = node([path.join(dir, "node_modules/typescript/bin/tsc"), "-p", "checked"]);
  assert.equal(r.stdout + r.stderr, "");
  assert.equal(r.status, 0);
});
