/*
 * `tsprof run` honours the project's tsconfig.json, end to end in a project that installs tsprof
 * from its tarball beside real packages (@tsconfig/node20, reflect-metadata, preact): `extends`
 * from packages, decorators of both kinds with their metadata, class-field semantics, sloppy
 * mode, JSX, `paths`, declaration-only enums, and `-p` patterns. Each program also runs compiled
 * by TypeScript itself from the same tsconfig.json (read by TypeScript's own parser, not
 * tsprof's) and must print the same; hits are exact.
 */
import { spawnSync } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import * as ts from "typescript";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";
import { packedProject } from "./packed";

const WITH_DISPOSE = "{ using r = { [Symbol.dispose]() { log.push(\"disposed\"); } }; }";

const FILES: Record<string, string> = {
  // A tsconfig package linked from the workspace, extended by name together with a registry one.
  "packages/tsconfig/package.json": JSON.stringify({ name: "@acme/tsconfig", version: "1.0.0" }),
  "packages/tsconfig/tsconfig.json": JSON.stringify({ compilerOptions: { experimentalDecorators: true, emitDecoratorMetadata: true } }),
  "packages/util/package.json": JSON.stringify({ name: "@acme/util", version: "1.0.0", main: "src/index.ts" }),
  "packages/util/src/index.ts": `export function twice(n: number): number {
  return n * 2; // hits: 2
}
`,
  "legacy/tsconfig.json": JSON.stringify({ extends: ["@tsconfig/node20", "@acme/tsconfig"] }),
  "legacy/app.ts": `import "reflect-metadata";
function Injectable(): ClassDecorator {
  return (target) => { console.log("injectable", target.name); };
}
@Injectable()
class Service {
  constructor(public name: string, public size: number) {}
  /** @profile */
  describe(): string {
    return this.name + this.size; // hits: 1
  }
}
console.log(Reflect.getMetadata("design:paramtypes", Service).map((t: Function) => t.name).join(","), new Service("s", 2).describe());
`,
  "modern/tsconfig.json": JSON.stringify({ compilerOptions: { target: "es2022", strict: true } }),
  "modern/app.ts": `const log: string[] = [];
function logged(value: Function, context: ClassMethodDecoratorContext) {
  log.push("decorated " + String(context.name));
}
class Counter {
  accessor count = 1;
  @logged
  bump() {
    this.count++;
  }
}
/** @profile */
function main() {
  const c = new Counter(); // hits: 1
  c.bump(); // hits: 1
  ${WITH_DISPOSE} // hits: 1
  console.log(log.join(","), c.count); // hits: 1
}
main();
`,
  "fields/tsconfig.json": JSON.stringify({ compilerOptions: { target: "es2022", useDefineForClassFields: false } }),
  "fields/app.ts": `class Base {
  set x(v: number) { console.log("setter", v); }
}
class Derived extends Base {
  x = 1;
}
/** @profile */
function make() {
  return Object.hasOwn(new Derived(), "x"); // hits: 1
}
console.log(make());
`,
  "sloppy/tsconfig.json": JSON.stringify({ compilerOptions: { alwaysStrict: false } }),
  "sloppy/app.ts": `/** @profile */
function f(this: unknown, o: { x: number }) {
  with (o) { // hits: 1
    x = 2; // hits: 1
    console.log(x); // hits: 1
  }
  return this === undefined ? "strict" : "sloppy"; // hits: 1
}
console.log(f.call(undefined, { x: 1 }), o2());
function o2() { return typeof globalThis; }
`,
  "jsx/tsconfig.json": JSON.stringify({ compilerOptions: { jsx: "react-jsx", jsxImportSource: "preact" } }),
  "jsx/List.tsx": `/** @profile */
export function List(props: { items: string[] }) {
  return <ul>{props.items.map((i) => <li>{i}</li>)}</ul>; // hits: 1
}
`,
  "jsx/app.ts": `import { render } from "preact-render-to-string";
import { h } from "preact";
import { List } from "./List";
console.log(render(h(List, { items: ["a", "b"] })));
`,
  "paths/tsconfig.json": JSON.stringify({ compilerOptions: { paths: { "@core/*": ["./src/core/*"], "config": ["./src/config.ts"] } } }),
  "paths/src/core/cart.ts": `/** @profile */
export function total(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0); // hits: 1
}
`,
  "paths/src/config.ts": "export const currency = \"EUR\";\n",
  "paths/app.ts": `import { total } from "@core/cart";
import { currency } from "config";
console.log(total([1, 2, 3]), currency);
`,
  "enums/types.d.ts": "export declare const enum Color { Red = 0, Green = 1, Blue = 4 }\n",
  "enums/direction.ts": "console.log(\"direction.ts ran\");\nexport const enum Direction { Up = 1, Down = 2 }\n",
  "enums/app.ts": `import { Color } from "./types";
import { Direction } from "./direction";
/** @profile */
function pick() {
  return [Color.Blue, Direction.Down].join(); // hits: 1
}
console.log(pick());
`,
  "exports/lib.ts": "// exports.old = 1, before the rename\nexport const current = 1;\nexport const note = \"exports.inString = 2\";\n",
  "exports/main.mts": "import * as lib from \"./lib.js\";\nimport { current } from \"./lib.js\";\nconsole.log(current, Object.keys(lib).filter((k) => k !== \"module.exports\").sort().join());\n",
  "errors/app.ts": "import \"./thrower\";\n",
  "errors/caught.ts": "declare const require: (m: string) => unknown;\ntry { require(\"./thrower\"); } catch (e) { console.log((e as Error).stack); }\n",
  "errors/thrower.ts": "throw new Error(\"boom\");\n",
  "patterns/app.ts": `import { twice } from "@acme/util";
import * as lib from "./lib";
console.log(twice(lib.three()), twice(1));
`,
  "patterns/lib.ts": `export function three(): number {
  return 3; // hits: 1
}
`,
  "patterns/usets.ts": `import * as ts from "typescript";
function parse(): number {
  return ts.createSourceFile("x.ts", "let a = 1;", ts.ScriptTarget.ES2022).statements.length;
}
console.log(parse());
`,
};

let dir: string;

/** `tsprof run ARGS` in `cwd` with a cold compile cache of its own. */
function run(cwd: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, TSPROF_CACHE_DIR: "" };
  for (const k of Object.keys(env)) if (k.startsWith("TSPROF_") && k !== "TSPROF_CACHE_DIR") delete env[k];
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [path.join(dir, "node_modules", "tsprof", "bin", "tsprof.js"), "run", "-q", ...args], { cwd, env, encoding: "utf8", timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Hits, `file:line` → N (relative to `root`), of a profile. */
function hitsIn(output: string, root: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fn of mergeProfiles([readLprof(output)], { raw: true }).functions) {
    const file = path.relative(root, fn.file).split(path.sep).join("/");
    for (const [line, t] of fn.lines) if (t.hits > 0) out[`${file}:${line}`] = t.hits;
  }
  return out;
}

/** `// hits: N` comments of `files` (relative to `root`). */
function annotated(root: string, files: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of files) {
    fs.readFileSync(path.join(root, f), "utf8").split("\n").forEach((text, i) => {
      const m = /\/\/ hits: (\d+)\s*$/.exec(text);
      if (m) out[`${f}:${i + 1}`] = Number(m[1]);
    });
  }
  return out;
}

/**
 * The program compiled without tsprof, by TypeScript from the scenario's tsconfig.json as
 * TypeScript itself reads it (extends and all), one file at a time, and run with node.
 */
function plainRun(scenario: string, entry: string): string {
  const root = path.join(dir, scenario);
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d: ts.Diagnostic) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, " ")) };
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, "tsconfig.json"), {}, host)!;
  const out = path.join(root, "plain");
  for (const file of parsed.fileNames) {
    const js = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: { ...parsed.options, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, outDir: undefined, ignoreDeprecations: "6.0" },
    }).outputText;
    const target = path.join(out, path.relative(root, file).replace(/\.tsx?$/, ".js"));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, js);
  }
  const r = spawnSync(process.execPath, [path.join(out, entry)], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("tsprof run: the project's tsconfig.json", () => {
  before(() => {
    dir = fs.realpathSync(packedProject({
      prefix: "tsprof-settings-",
      dependencies: { "@tsconfig/node20": "20.1.10", "reflect-metadata": "0.2.2", "preact": "11.2.0", "preact-render-to-string": "6.8.2" },
      packageJson: { workspaces: ["packages/*"] },
      files: FILES,
    }));
  });

  /** Runs `scenario/app.ts`; asserts exit 0, no stderr, the plain program's output and the annotated hits. */
  function check(scenario: string, files: string[], expected: string) {
    const root = path.join(dir, scenario);
    const r = run(root, ["app.ts"]);
    assert.deepEqual([r.status, r.stderr], [0, ""], r.stderr);
    assert.equal(r.stdout, expected);
    assert.deepEqual(hitsIn(path.join(root, "app.ts.lprof"), root), annotated(root, files));
  }

  test("extends from packages (an array: a registry package and a workspace one): legacy decorators with their design:paramtypes", () => {
    check("legacy", ["app.ts"], "injectable Service\nString,Number s2\n");
    assert.equal(plainRun("legacy", "app.js"), "injectable Service\nString,Number s2\n");
  });

  test("TC39 decorators, accessor and using run on this Node: lowered from the project's target", () => {
    check("modern", ["app.ts"], "decorated bump,disposed 2\n");
    assert.equal(plainRun("modern", "app.js"), "decorated bump,disposed 2\n");
  });

  test("useDefineForClassFields: false assigns through the base class's setter", () => {
    check("fields", ["app.ts"], "setter 1\nfalse\n");
    assert.equal(plainRun("fields", "app.js"), "setter 1\nfalse\n");
  });

  test("alwaysStrict: false runs sloppy code; statements inside with {} are counted", () => {
    check("sloppy", ["app.ts"], "2\nsloppy object\n");
    assert.equal(plainRun("sloppy", "app.js"), "2\nsloppy object\n");
  });

  test(".tsx imported from .ts, compiled with the project's jsx and jsxImportSource (preact)", () => {
    check("jsx", ["List.tsx"], "<ul><li>a</li><li>b</li></ul>\n");
    assert.equal(plainRun("jsx", "app.js"), "<ul><li>a</li><li>b</li></ul>\n");
  });

  test("paths aliases resolve from the project's files, with and without a wildcard", () => {
    check("paths", ["src/core/cart.ts"], "6 EUR\n");
  });

  test("a declare const enum of a .d.ts has its values; a const enum's module runs (isolatedModules, documented)", () => {
    fs.writeFileSync(path.join(dir, "enums", "tsconfig.json"), "{}");
    check("enums", ["app.ts"], "direction.ts ran\n4,2\n");
  });

  test("-p ., -p ./ and -p @scope/pkg (a workspace package) select files; -p '**' and -p typescript never tsprof's own", () => {
    const root = path.join(dir, "patterns");
    const out = path.join(root, "app.ts.lprof");
    const fromRoot = (hits: Record<string, number>) => Object.fromEntries(Object.entries(hits).map(([k, v]) => [path.relative(root, path.join(dir, k)).split(path.sep).join("/"), v]));
    const both = { ...annotated(root, ["lib.ts"]), ...fromRoot(annotated(dir, ["packages/util/src/index.ts"])) };
    for (const pattern of [".", "./"]) {
      const r = run(dir, ["-p", pattern, "-o", out, "patterns/app.ts"]);
      assert.deepEqual([r.status, r.stderr, r.stdout], [0, "", "6 2\n"], pattern);
      assert.deepEqual(hitsIn(out, dir), { "patterns/lib.ts:2": 1, "packages/util/src/index.ts:2": 2 }, pattern);
    }
    for (const pattern of ["patterns/{lib,other}.ts", "patterns/[!a]ib.ts", "patterns/[kl]ib.ts,patterns/nothing.ts"]) {
      const r = run(dir, ["-p", pattern, "-o", out, "patterns/app.ts"]);
      assert.equal(r.status, 0, pattern);
      assert.deepEqual(hitsIn(out, dir), { "patterns/lib.ts:2": 1 }, pattern);
      assert.equal(r.stderr.includes("-p patterns/nothing.ts selected nothing"), pattern.includes("nothing"), r.stderr);
    }
    let r = run(root, ["-p", "@acme/util", "app.ts"]);
    assert.deepEqual([r.status, r.stderr], [0, ""]);
    assert.deepEqual(hitsIn(out, root), fromRoot({ "packages/util/src/index.ts:2": 2 }));
    r = run(root, ["-p", "**", "app.ts"]);
    assert.deepEqual([r.status, r.stderr], [0, ""]);
    assert.deepEqual(hitsIn(out, root), both);
    r = run(root, ["-p", "typescript", "-p", "usets.ts", "usets.ts"]);
    assert.deepEqual([r.status, r.stdout], [0, "1\n"]);
    // Installed once and shared (npm dedupes it), the program's TypeScript is tsprof's own.
    assert.match(r.stderr, /^tsprof run: -p typescript selected nothing: the program uses the TypeScript tsprof compiles with \(.*node_modules\/typescript\), which is never profiled; install a typescript of its own in the project to profile it\n$/);
    assert.deepEqual(Object.keys(hitsIn(path.join(root, "usets.ts.lprof"), root)), ["usets.ts:3"]);
  });

  test("a -p pattern that selects nothing says so, naming the forms patterns take", () => {
    const root = path.join(dir, "patterns");
    const r = run(root, ["-p", "src/lib.ts", "app.ts"]);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^tsprof run: -p src\/lib\.ts selected nothing: no file the program loaded matches it \(or none with a function\); patterns are paths relative to .*patterns \(src\/util\.ts, src\/, \.\), file names at any depth \(util\.ts\), globs \('src\/\*\*\/\*\.ts'\) or package names\n$/);
  });

  test("named imports of a CommonJS .ts file from an ES module: the names Node's own lexer finds, none from comments or strings", () => {
    const root = path.join(dir, "exports");
    fs.writeFileSync(path.join(root, "tsconfig.json"), "{}");
    const r = run(root, ["main.mts"]);
    assert.deepEqual([r.status, r.stderr, r.stdout], [0, "", "1 __esModule,current,default,note\n"]);
  });

  test("an error's stack names only files that exist: tsprof's own frames map to sources the package ships", () => {
    fs.writeFileSync(path.join(dir, "errors", "tsconfig.json"), "{}");
    const r = run(path.join(dir, "errors"), ["app.ts"]);
    assert.equal(r.status, 1);
    const framesOf = (text: string) => [...text.matchAll(/^\s+at (?:.* \()?(\/[^:)]+):\d+:\d+\)?$/gm)].map((m) => m[1]);
    // Uncaught, the stack is the program's: tsprof run drops its own lines before Node prints it.
    const frames = framesOf(r.stderr);
    assert.equal(frames.some((f) => f.includes(path.join("node_modules", "tsprof"))), false, r.stderr);
    assert.ok(frames.some((f) => f.endsWith(path.join("errors", "thrower.ts"))), r.stderr);
    for (const f of frames) assert.ok(fs.existsSync(f), `${f} is in the stack but not on disk:\n${r.stderr}`);
    // Caught and printed by the program, before module.registerHooks (node < 22.15), tsprof's require hooks are on the stack.
    const caught = run(path.join(dir, "errors"), ["caught.ts"]);
    const hooked = typeof (require("node:module") as { registerHooks?: unknown }).registerHooks !== "function";
    const seen = framesOf(caught.stdout);
    assert.equal(seen.some((f) => f.includes(path.join("node_modules", "tsprof"))), hooked, caught.stdout + caught.stderr);
    for (const f of seen) assert.ok(fs.existsSync(f), `${f} is in the stack but not on disk:\n${caught.stdout}`);
  });

  test("an extends naming a package that is not installed: one line, exit 2", () => {
    fs.mkdirSync(path.join(dir, "broken"), { recursive: true });
    fs.writeFileSync(path.join(dir, "broken", "tsconfig.json"), JSON.stringify({ extends: "@acme/missing-config" }));
    fs.writeFileSync(path.join(dir, "broken", "app.ts"), "console.log(1);\n");
    const r = run(path.join(dir, "broken"), ["app.ts"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^tsprof run: .*broken\/tsconfig\.json: File '@acme\/missing-config' not found \(in "extends"\); install the package it names or fix the path\n$/);
  });
});
