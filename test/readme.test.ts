/*
 * The README's plugin steps, as written there, in a project that installs tsprof from its tarball:
 * the install line's packages, the tsconfig.json snippet, the build-and-run commands, then the
 * `tsprof view` they end with. Also `tsprof run` under npx: the hint it prints runs as shown.
 */
import { execSync, spawnSync } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { ROOT } from "./helpers";
import { packedProject } from "./packed";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const PLUGIN = README.slice(README.indexOf("## Profiling a project built with the TypeScript plugin"));

/** The first fenced block of `lang` in `text`. */
function block(text: string, lang: string, containing = ""): string {
  for (const m of text.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))) {
    const body = m[1].replace(/^ {3}/gm, "");
    if (body.includes(containing)) return body;
  }
  throw new Error(`no \`\`\`${lang} block with ${containing} in the README's plugin section`);
}

/** The version this repository builds and tests with, for a package the README names. */
function pinned(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

const APP = `/** @profile */
function checksum(size: number): number {
  const b = Buffer.alloc(size, 7);
  let sum = 0;
  for (const byte of b) sum = (sum + byte) % 65521;
  return sum;
}
console.log(checksum(1000), process.argv.length > 1);
`;

let dir: string;
const sh = (command: string) => execSync(command, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TSPROF_OUTPUT: "", NODE_OPTIONS: "" } });

describe("the README's plugin steps", () => {
  before(() => {
    const install = /npm i -D (.+)/.exec(block(PLUGIN, "sh", "npm i -D"))![1].trim().split(/\s+/);
    assert.equal(install[0], "tsprof");
    const dependencies = Object.fromEntries(install.slice(1).map((spec) => {
      const name = spec.replace(/(?<=.)@.*$/, "");
      return [name, pinned(name)];
    }));
    dir = packedProject({ prefix: "tsprof-readme-", dependencies, files: { "tsconfig.json": block(PLUGIN, "jsonc", "tsprof/transformer"), "src/app.ts": APP } });
  });

  test("npx tspc && node dist/app.js, then npx tsprof view out.lprof: the report of the marked function", () => {
    const commands = block(PLUGIN, "sh", "npx tspc").split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
    assert.deepEqual(commands, ["npx tspc && node dist/app.js", "npx tsprof view out.lprof"]);
    assert.equal(sh(commands[0]), "7000 true\n".replace("7000", String((1000 * 7) % 65521)));
    const report = sh(commands[1]);
    assert.match(report, /File: src\/app\.ts\nFunction: checksum at line 1\n/);
    assert.match(report, /\n {5}5 {6}1001 .* {2}for \(const byte of b\) sum = \(sum \+ byte\) % 65521;\n/);
  });

  test("npx tsprof build runs tspc with its arguments: the same build, and the program's profile", () => {
    fs.rmSync(path.join(dir, "dist"), { recursive: true, force: true });
    fs.rmSync(path.join(dir, "out.lprof"), { force: true });
    assert.equal(sh("npx tsprof build -p tsconfig.json"), "");
    assert.equal(sh("node dist/app.js"), `${(1000 * 7) % 65521} true\n`);
    assert.match(sh("npx tsprof view out.lprof"), /Function: checksum at line 1\n/);
    // tspc's own diagnostics and exit code come through.
    const bad = spawnSync("npx", ["tsprof", "build", "--noSuchOption"], { cwd: dir, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout + bad.stderr, /error TS5023: Unknown compiler option '--noSuchOption'/);
  });

  test("the installed package has no install script (npm asks users to approve those, and warns at every install)", () => {
    const { scripts = {} } = JSON.parse(fs.readFileSync(path.join(dir, "node_modules/tsprof/package.json"), "utf8")) as { scripts?: Record<string, string> };
    assert.deepEqual(["preinstall", "install", "postinstall", "prepare"].filter((name) => name in scripts), []);
  });

  test("tsprof run under npx, or from node_modules/.bin (an npm script): the 'Inspect results with' command runs as printed", () => {
    fs.copyFileSync(path.join(dir, "src", "app.ts"), path.join(dir, "app.ts"));
    // npx says so in npm_command; an npm script, or node_modules/.bin typed out, does not.
    for (const command of ["node_modules/.bin/tsprof run app.ts", "npx tsprof run app.ts"]) {
      fs.rmSync(path.join(dir, "app.ts.lprof"), { force: true });
      const out = sh(command);
      const hint = /Inspect results with:\n(.+)\n$/.exec(out);
      assert.ok(hint, out);
      assert.equal(hint[1], "npx tsprof view app.ts.lprof", command);
    }
    assert.match(sh("npx tsprof view app.ts.lprof"), /Function: checksum at line 1\n/);
  });
});
