/*
 * Test runners and TypeScript runners, end to end, as a user installs tsprof (its tarball, real
 * jest, ts-jest, babel-jest, mocha, tsx and ts-node from npm): each runs the project's tests with its
 * documented one-line setup and leaves one profile of every test file, with exact hits.
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { CLI, compile, expectedHits, profEnv } from "./helpers";
import { packedProject } from "./packed";
import { APP, APP_HITS, APP_OUTPUT, CART, LIB, profileByFile } from "./e2e-fixture";

const CART_HITS = { "src/cart.ts": expectedHits(CART) };

// The same two test files for every runner: three calls of total() in all.
const CALLS_A = ["total([{ price: 2, qty: 3 }, { price: 1, qty: 1 }])", 7, "total([])", 0] as const;
const CALLS_B = ["total([{ price: 5, qty: 1 }])", 5] as const;
const jestFile = (calls: readonly (string | number)[]) => `import { test, expect } from "@jest/globals";
import { total } from "../src/cart";
test("total", () => {
${pairs(calls).map(([c, v]) => `  expect(${c}).toBe(${v});`).join("\n")}
});
`;
// Tests of a build: JavaScript that requires what tspc wrote.
const builtJestFile = (calls: readonly (string | number)[]) => `const { test, expect } = require("@jest/globals");
const { total } = require("../built/cart.js");
test("total", () => {
${pairs(calls).map(([c, v]) => `  expect(${c}).toBe(${v});`).join("\n")}
});
`;
const nodeTestFile = (calls: readonly (string | number)[]) => `import { test } from "node:test";
import * as assert from "node:assert/strict";
import { total } from "../src/cart";
test("total", () => {
${pairs(calls).map(([c, v]) => `  assert.equal(${c}, ${v});`).join("\n")}
});
`;
const mochaFile = (calls: readonly (string | number)[]) => `import * as assert from "node:assert/strict";
import { total } from "../src/cart";
declare const it: (name: string, fn: () => void) => void;
it("totals", () => {
${pairs(calls).map(([c, v]) => `  assert.equal(${c}, ${v});`).join("\n")}
});
`;
function pairs(calls: readonly (string | number)[]): [string | number, string | number][] {
  const out: [string | number, string | number][] = [];
  for (let i = 0; i < calls.length; i += 2) out.push([calls[i], calls[i + 1]]);
  return out;
}

let dir = "";
before(() => {
  dir = packedProject({
    prefix: "tsprof-runners-",
    dependencies: {
      jest: "30.5.2", "ts-jest": "29.4.15", mocha: "12.0.3", tsx: "4.23.15", "ts-node": "10.9.2",
      typescript: "6.0.3", "@types/node": "20.19.43",
      // jest 30 runs Babel 7: its TypeScript preset, at the 7.x line.
      "@babel/preset-typescript": "7.29.7", "@babel/plugin-transform-modules-commonjs": "7.29.14",
    },
    files: {
      "src/cart.ts": CART,
      "src/app.ts": APP,
      "src/lib.ts": LIB,
      "tsconfig.json": JSON.stringify({
        compilerOptions: { target: "es2022", module: "commonjs", strict: true, noUnusedLocals: true, esModuleInterop: true, types: ["node"] },
      }),
      "jest.config.js": `module.exports = { preset: "tsprof", testMatch: ["**/jt/*.test.ts"] };\n`,
      // A TypeScript config, which jest loads through ts-node's require hook: under tsprof run too.
      "jest.run.config.ts": `import type { Config } from "jest";\nconst config: Config = { preset: "tsprof", testMatch: ["**/jt/*.test.ts"] };\nexport default config;\n`,
      "jest.ts-jest.config.js": `module.exports = {
  testMatch: ["**/jt/*.test.ts"],
  transform: { "^.+\\\\.ts$": ["tsprof/jest", { transformer: "ts-jest" }] },
  setupFilesAfterEnv: ["tsprof/jest-setup"],
};
`,
      "babel.config.js": `module.exports = { presets: ["@babel/preset-typescript"], plugins: ["@babel/plugin-transform-modules-commonjs"] };\n`,
      "jest.babel.config.js": `module.exports = {
  testMatch: ["**/jt/*.test.ts"],
  transform: { "^.+\\\\.ts$": ["tsprof/jest", { transformer: "babel-jest" }] },
  setupFilesAfterEnv: ["tsprof/jest-setup"],
};
`,
      "jest.built.config.js": `module.exports = { testMatch: ["**/jb/*.test.js"], setupFilesAfterEnv: ["tsprof/jest-setup"] };\n`,
      "jb/a.test.js": builtJestFile(CALLS_A),
      "jb/b.test.js": builtJestFile(CALLS_B),
      "jt/a.test.ts": jestFile(CALLS_A),
      "jt/b.test.ts": jestFile(CALLS_B),
      "nt/a.test.ts": nodeTestFile(CALLS_A),
      "nt/b.test.ts": nodeTestFile(CALLS_B),
      "mt/a.test.ts": mochaFile(CALLS_A),
      "mt/b.test.ts": mochaFile(CALLS_B),
    },
  });
});

function run(args: string[], output: string) {
  const env: NodeJS.ProcessEnv = { ...profEnv(output), NO_COLOR: "1" };
  // Set by the test runner running this file: a `node --test` below would report to it, not to us.
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", timeout: 180_000, env });
  assert.equal(r.status, 0, `${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Jest run in the project with `config` (its default when none): both test files pass, and the profile has their hits. */
function jestProfiles(name: string, config?: string): void {
  const output = path.join(dir, `${name}.lprof`);
  const r = run(["node_modules/jest/bin/jest.js", "--no-cache", ...(config ? ["-c", config] : [])], output);
  assert.match(r.stderr, /Tests: +2 passed/);
  assert.deepEqual(profileByFile(output, dir), CART_HITS);
}

test("jest with preset: \"tsprof\": every test file's profile lands in one file", () => {
  jestProfiles("jest");
});

test("jest with ts-jest behind tsprof/jest: ts-jest type-checks the instrumented source and passes", () => {
  jestProfiles("ts-jest", "jest.ts-jest.config.js");
});

test("jest with babel-jest behind tsprof/jest", () => {
  jestProfiles("babel-jest", "jest.babel.config.js");
});

test("jest on a plugin build, with tsprof/jest-setup: the sandbox never exits, yet every test file's profile lands in one file", () => {
  // What tspc writes for src/cart.ts with the plugin (CommonJS), the build the tests require.
  fs.mkdirSync(path.join(dir, "built"), { recursive: true });
  fs.writeFileSync(path.join(dir, "built/cart.js"), compile(CART, path.join(dir, "src/cart.ts")));
  jestProfiles("jest-built", "jest.built.config.js");
});

test("jest under tsprof run, with a jest.config.ts: jest starts, and the preset's profile has every test file", () => {
  const output = path.join(dir, "jest-run.lprof");
  const r = run([CLI, "run", "-q", "-o", output, "node_modules/jest/bin/jest.js", "--no-cache", "-c", "jest.run.config.ts"], "");
  assert.match(r.stderr, /Tests: +2 passed/);
  assert.deepEqual(profileByFile(output, dir), CART_HITS);
});

test("node --test through tsprof run -- --test", () => {
  const r = run([CLI, "run", "-q", "-o", "node-test.lprof", "--", "--test", "--test-reporter=tap", "nt/a.test.ts", "nt/b.test.ts"], "");
  assert.match(r.stdout, /# pass 2/);
  assert.deepEqual(profileByFile(path.join(dir, "node-test.lprof"), dir), CART_HITS);
});

test("mocha through tsprof run node_modules/.bin/mocha", () => {
  const r = run([CLI, "run", "-q", "-o", "mocha.lprof", "node_modules/.bin/mocha", "mt/a.test.ts", "mt/b.test.ts"], "");
  assert.match(r.stdout, /2 passing/);
  assert.deepEqual(profileByFile(path.join(dir, "mocha.lprof"), dir), CART_HITS);
});

test("tsx and ts-node under tsprof run: refused in one line that gives the command that works", () => {
  for (const loader of [["--import", "tsx"], ["--require", "ts-node/register"], ["--loader=ts-node/esm"]]) {
    const r = spawnSync(process.execPath, [CLI, "run", "--", "--max-old-space-size=200", ...loader, "src/app.ts", "x"], { cwd: dir, encoding: "utf8", env: profEnv("") });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `tsprof run: ${loader.join(" ")} is not needed: tsprof run compiles TypeScript itself, and a second TypeScript loader `
      + "would compile the same files again without probes; drop it: tsprof run [options] -- --max-old-space-size=200 src/app.ts x\n");
  }
  // The command it gives works: the same project, profiled, tsx and ts-node installed beside it.
  const r = run([CLI, "run", "-q", "-o", "app.lprof", "--", "--max-old-space-size=200", "src/app.ts", "x"], "");
  assert.equal(r.stdout, APP_OUTPUT);
  assert.deepEqual(profileByFile(path.join(dir, "app.lprof"), dir), APP_HITS);
});
