/*
 * Type stripping (node ≥ 22.13 by Node, older node by amaro) for ES modules with nothing to profile: the program must do
 * exactly what it does compiled by TypeScript (run here as plain node on TypeScript's own
 * output), on every node; where Node can strip, the files it may take are stripped (same
 * lines and columns, no source map) and the others go to TypeScript: enums, decorators,
 * `accessor`, `using`, imports and exports of types, and projects whose class fields differ.
 */
import { spawnSync } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import * as ts from "typescript";
import { canStripTypes, skeleton, stripTypes } from "../loader/strip";
import { CLI, makeProject } from "./helpers";

const MODULE = JSON.stringify({ type: "module" });
const hasCompileCache = typeof (require("node:module") as { enableCompileCache?: unknown }).enableCompileCache === "function";
const hasRegisterHooks = typeof (require("node:module") as { registerHooks?: unknown }).registerHooks === "function";

/** Files of each scenario (a directory with its package.json and tsconfig.json); `main.ts` is the entry. */
const SCENARIOS: Record<string, { tsconfig: object; files: Record<string, string>; stripped: string[]; compiled: string[]; transformed?: string[] }> = {
  esm: {
    tsconfig: { compilerOptions: { target: "es2022", strict: true } },
    stripped: ["main.ts", "plain.ts", "strings.ts"],
    compiled: ["user.ts", "reexport.ts", "lowered.ts", "deco.ts", "defaults.ts"],
    transformed: ["enum.ts"],
    files: {
      "plain.ts": `// MARK plain

export interface Point { x: number; y: number }
export function fail(p: Point): never {
  const n: number = p.x + p.y;
  throw new Error("at " + n);
}
`,
      "strings.ts": `// MARK strings: import { Nothing } from "nowhere"; @decorator in a comment

const quote = /["'\`]/g;
const nested = \`a \${\`b \${"c".replace(quote, "")}\`} d\`;
/* import { Gone } from "./gone.js" */
export const text: string = nested + '@' + "//" + \`\${1 + 2}\`;
`,
      "enum.ts": "// MARK enum\n\nexport enum Color { Red = 1, Blue = Red * 4 }\n",
      "typeonly.ts": "// MARK typeonly\n\nconsole.log(\"typeonly.ts ran\");\nexport interface Shape { sides: number }\n",
      "user.ts": "// MARK user\n\nimport { Shape } from \"./typeonly.js\";\nexport const square: Shape = { sides: 4 };\n",
      "reexport.ts": "// MARK reexport\n\ninterface Hidden { a: 1 }\nexport const shown = 1;\nexport { Hidden };\n",
      "defaults.ts": "// MARK defaults\n\ninterface Config { a: number }\nexport const config = 1;\nexport default Config;\n",
      "lowered.ts": `// MARK lowered

export class Counter {
  accessor count = 1;
}
export function dispose(): string {
  const log: string[] = [];
  { using r = { [Symbol.dispose]() { log.push("disposed"); } }; }
  return log.join();
}
`,
      "deco.ts": `// MARK deco

const seen: string[] = [];
function logged(value: Function, context: ClassMethodDecoratorContext) {
  seen.push(String(context.name));
}
export class Service {
  @logged
  run() { return seen.join(); }
}
`,
      "main.ts": `// MARK main

import { fail } from "./plain.js";
import { text } from "./strings.js";
import { Color } from "./enum.js";
import { square } from "./user.js";
import * as re from "./reexport.js";
import { config } from "./defaults.js";
import { Counter, dispose } from "./lowered.js";
import { Service } from "./deco.js";
let where = "";
try {
  fail({ x: 1, y: 2 });
} catch (e) {
  where = /plain\\.[jt]s:\\d+:\\d+/.exec(String((e as Error).stack))?.[0] ?? "no position";
}
console.log(where);
console.log(text, Color.Blue, square.sides, Object.keys(re).join(), config, new Counter().count, dispose(), new Service().run());
`,
    },
  },
  // What stripping refuses, by Node's transform mode (lines move: a source map maps them back);
  // const enums and `declare` by TypeScript.
  transform: {
    tsconfig: { compilerOptions: { target: "es2022", strict: true } },
    stripped: ["main.ts"],
    compiled: ["consts.ts", "ambient.ts", "mixed.ts"],
    transformed: ["kinds.ts", "space.ts", "params.ts"],
    files: {
      "kinds.ts": `// MARK kinds

export enum Kind { Small = 2, Large = Small * 3, Named = "n" }
enum Local { A, B }
export enum Kind { Extra = 9 }
export function check(k: Kind): string {
  if (k === Kind.Extra) throw new Error("extra " + Local.B);
  return Kind[k as number] ?? String(k);
}
`,
      "space.ts": "// MARK space\n\nexport namespace Geo {\n  export const unit: number = 3;\n  export function area(r: number): number { return unit * r * r; }\n}\nnamespace Geo { export const more = Geo.unit + 1; }\n",
      "params.ts": "// MARK params\n\nimport { Kind } from \"./kinds.js\";\nexport class Box {\n  tag = \"box\";\n  constructor(public readonly size: number, private kind: Kind = Kind.Small) {}\n  describe(): string { return `${this.tag} ${this.size} ${this.kind}`; }\n}\n",
      "consts.ts": "// MARK consts\n\nexport const enum Flag { On = 1, Off = 0 }\nexport const on: number = Flag.On;\n",
      "ambient.ts": "// MARK ambient\n\ndeclare const enum Mode { Fast = 7 }\nexport const mode: Mode = 7;\nexport enum Other { X }\n",
      "mixed.ts": "// MARK mixed\n\nimport { Box } from \"./params.js\";\nimport { Kind, check } from \"./kinds.js\";\nenum Pick { One = 1 }\nexport let made: Box | undefined;\nexport const checked = check(Kind.Large) + Pick.One;\n",
      "main.ts": `// MARK transform

import { check, Kind } from "./kinds.js";
import { Geo } from "./space.js";
import { Box } from "./params.js";
import { on, Flag } from "./consts.js";
import { mode, Other } from "./ambient.js";
import { made, checked } from "./mixed.js";
let where = "";
try {
  check(Kind.Extra);
} catch (e) {
  where = /kinds\\.[jt]s:\\d+:\\d+/.exec(String((e as Error).stack))?.[0] ?? "no position";
}
console.log(where);
console.log(check(Kind.Large), Kind.Named, JSON.stringify(Kind), Geo.area(2), Geo.more, new Box(4).describe(), Object.keys(new Box(5)).join());
console.log(on, Flag.Off, mode, Other.X, String(made), checked);
`,
    },
  },
  // Class fields assigned, not defined: a base class setter sees them.
  fields: {
    tsconfig: { compilerOptions: { target: "es2022", useDefineForClassFields: false } },
    stripped: [],
    compiled: ["main.ts"],
    files: {
      "main.ts": "// MARK fields\n\nclass Base { set x(v: number) { console.log(\"setter\", v); } }\nclass Derived extends Base { x = 1; }\nconsole.log(Object.hasOwn(new Derived(), \"x\"));\n",
    },
  },
  old: {
    tsconfig: { compilerOptions: { target: "es2019" } },
    stripped: [],
    compiled: ["main.ts"],
    files: {
      "main.ts": "// MARK old\n\nclass Base { set x(v: number) { console.log(\"setter\", v); } }\nclass Derived extends Base { x = 1; }\nconsole.log(Object.hasOwn(new Derived(), \"x\"));\n",
    },
  },
  // verbatimModuleSyntax keeps an unused import, as stripping does.
  verbatim: {
    tsconfig: { compilerOptions: { target: "es2022", verbatimModuleSyntax: true } },
    stripped: ["main.ts", "side.ts"],
    compiled: [],
    files: {
      "side.ts": "// MARK side\n\nconsole.log(\"side.ts ran\");\nexport const unused: number = 1;\n",
      "main.ts": "// MARK verbatim\n\nimport { unused } from \"./side.js\";\nimport type { Nothing } from \"./side.js\";\nconst n: number = 2;\nconsole.log(\"main\", n);\n",
    },
  },
  // Only strippable files and nothing profiled: TypeScript is never loaded.
  notypescript: {
    tsconfig: { compilerOptions: { strict: true } },
    stripped: ["main.ts", "lib.ts"],
    compiled: [],
    files: {
      "lib.ts": "// MARK lib\n\nexport const half = (n: number): number => n / 2;\n",
      "main.ts": `// MARK notypescript

import { createRequire } from "node:module";
import { half } from "./lib.js";
const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/.test(f));
console.log(half(4), loaded ? "typescript loaded" : "no typescript");
`,
    },
  },
};

let dir: string;

/** The scenario compiled by TypeScript itself (one file at a time, ES modules) and run with node. */
function typescriptRun(name: string): string {
  const { tsconfig, files } = SCENARIOS[name];
  const out = path.join(dir, `${name}-plain`);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "package.json"), MODULE);
  const options = ts.convertCompilerOptionsFromJson((tsconfig as { compilerOptions: object }).compilerOptions, dir).options;
  for (const [file, source] of Object.entries(files)) {
    const js = ts.transpileModule(source, { fileName: file, compilerOptions: { ...options, module: ts.ModuleKind.ESNext, ignoreDeprecations: "6.0" } }).outputText;
    fs.writeFileSync(path.join(out, file.replace(/\.ts$/, ".js")), js);
  }
  const r = spawnSync(process.execPath, [path.join(out, "main.js")], { cwd: out, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function tsprofRun(name: string, cache: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, TSPROF_CACHE_DIR: cache };
  for (const k of Object.keys(env)) if (k.startsWith("TSPROF_") && k !== "TSPROF_CACHE_DIR") delete env[k];
  delete env.NODE_OPTIONS;
  return spawnSync(process.execPath, [CLI, "run", "-q", "main.ts"], { cwd: path.join(dir, name), env, encoding: "utf8", timeout: 120_000 });
}

/** The compile cache's entries (code after the header line). */
function entries(cache: string): string[] {
  return fs.readdirSync(cache).filter((f) => f.endsWith(".js")).map((f) => {
    const text = fs.readFileSync(path.join(cache, f), "utf8");
    return text.slice(text.indexOf("\n") + 1);
  });
}

describe("tsprof run: type stripping where Node has it, TypeScript where it must", () => {
  before(() => {
    dir = makeProject("tsprof-strip-");
    for (const [name, { tsconfig, files }] of Object.entries(SCENARIOS)) {
      fs.mkdirSync(path.join(dir, name));
      fs.writeFileSync(path.join(dir, name, "package.json"), MODULE);
      fs.writeFileSync(path.join(dir, name, "tsconfig.json"), JSON.stringify(tsconfig));
      for (const [file, source] of Object.entries(files)) fs.writeFileSync(path.join(dir, name, file), source);
    }
  });

  for (const name of Object.keys(SCENARIOS)) {
    test(`${name}: the same output as TypeScript's own; each file stripped or compiled as it should be`, () => {
      const { files, stripped, compiled } = SCENARIOS[name];
      const cache = path.join(dir, `.cache-${name}`);
      const r = tsprofRun(name, cache);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "");
      const expected = name === "notypescript" ? "2 no typescript\n" : typescriptRun(name);
      if (name === "notypescript" && !hasRegisterHooks) {
        // Node's hooks thread compiles, out of the program's sight. Where TypeScript is loaded
        // there (node without Node's compile cache), its V8 code cache is written once it has
        // compiled a file: none here, since amaro stripped both files.
        assert.match(r.stdout, /^2 /);
        if (!hasCompileCache) assert.deepEqual(fs.readdirSync(cache).filter((f) => f.endsWith(".bin")), [], "TypeScript's code cache written: TypeScript compiled a file");
      } else if (name === "esm" || name === "transform") {
        // The first line is where the error was thrown: TypeScript's output has moved it, tsprof's
        // points at the original line and column (mapped back, or never moved when stripped).
        const [where, ...rest] = r.stdout.split("\n");
        assert.deepEqual(rest, expected.split("\n").slice(1));
        const thrower = name === "esm" ? "plain.ts" : "kinds.ts";
        const lines = files[thrower].split("\n");
        const line = lines.findIndex((l) => l.includes("throw new Error"));
        assert.equal(where, `${thrower}:${line + 1}:${lines[line].indexOf("new Error") + 1}`);
      } else {
        assert.equal(r.stdout, expected);
      }
      const all = entries(cache);
      const entryOf = (file: string) => {
        const mark = /^\/\/ MARK \w+/.exec(files[file])![0];
        // By content and, for a file older than a few seconds, by identity too: the same code.
        const found = [...new Set(all.filter((code) => code.includes(mark)))];
        assert.equal(found.length, 1, `one cache entry for ${name}/${file}`);
        return found[0];
      };
      for (const file of stripped) {
        const code = entryOf(file);
        if (canStripTypes()) {
          // Stripped: every line as long as it was, and no source map.
          assert.deepEqual(code.split("\n").map((l) => l.length), files[file].split("\n").map((l) => l.length), `${name}/${file} stripped`);
          assert.doesNotMatch(code, /sourceMappingURL/);
        } else {
          assert.match(code, /sourceMappingURL=data:/, `${name}/${file} compiled by TypeScript`);
        }
      }
      // TypeScript writes an enum or namespace as `(function (E) {…})(E || (E = {}))`, Node's transform as `function(E) {…}`.
      const typescriptEmit = /\(function \(\w+\) \{/;
      for (const file of compiled) {
        assert.match(entryOf(file), /sourceMappingURL=data:/, `${name}/${file} compiled by TypeScript`);
        if (canStripTypes() && /enum|namespace/.test(files[file])) assert.match(entryOf(file), typescriptEmit, `${name}/${file} compiled by TypeScript`);
      }
      for (const file of SCENARIOS[name].transformed ?? []) {
        const code = entryOf(file);
        assert.match(code, /sourceMappingURL=data:/, `${name}/${file} has a source map`);
        if (canStripTypes()) {
          assert.doesNotMatch(code, typescriptEmit, `${name}/${file} by Node's transform`);
          const map = JSON.parse(Buffer.from(code.slice(code.lastIndexOf(",") + 1), "base64").toString()) as { sources: string[] };
          assert.deepEqual(map.sources, [file]);
        }
      }
    });
  }

  test("skeleton: comments, strings, templates and regular expressions blanked, lengths kept", () => {
    const code = "const a = \"x@y\"; // @c\nconst r = /['\"]/g; /* @d */ const t = `${`@${a}`}@`;\n";
    const skel = skeleton(code)!;
    assert.equal(skel.length, code.length);
    assert.doesNotMatch(skel, /@/);
    assert.match(skel, /const r = \/ {4}\/g;/);
    assert.equal(skeleton("const a = 'open\n"), undefined);
    assert.equal(skeleton("/* open"), undefined);
    assert.equal(skeleton("const t = `${"), undefined);
  });

  test("stripTypes: what it leaves to TypeScript", { skip: canStripTypes() ? false : "no type stripper: neither module.stripTypeScriptTypes nor amaro" }, () => {
    const taken = (s: string, verbatim = false) => stripTypes(s, verbatim) !== undefined;
    assert.ok(taken("const a: number = 1;\nexport { a };\n"));
    assert.ok(taken("import { b } from \"./b.js\";\nexport const c = b + 1;\n"));
    assert.ok(taken("import def, * as ns from \"./b.js\";\nconsole.log(def, ns);\n"));
    assert.ok(taken("import \"./side.js\";\n"));
    assert.ok(!taken("export enum E { A }\n"), "enum");
    assert.ok(!taken("namespace N { export const a = 1; }\n"), "namespace");
    assert.ok(!taken("class A { constructor(private x: number) {} }\n"), "parameter property");
    assert.ok(!taken("@d class A {}\n"), "decorator");
    assert.ok(!taken("class A { accessor x = 1; }\n"), "accessor");
    assert.ok(!taken("{ using r = f(); }\n"), "using");
    assert.ok(!taken("import { T } from \"./t.js\";\nlet x: T;\n"), "import used as a type only");
    assert.ok(!taken("import { T } from \"./t.js\";\n// T\nconst s = \"T\"; o.T; ({ T: 1 });\n"), "import named in comments, strings and properties only");
    assert.ok(!taken("import { type T } from \"./t.js\";\n"), "import of types only");
    assert.ok(!taken("interface I {}\nexport { I };\n"), "export of a type");
    assert.ok(!taken("interface I {}\nexport default I;\n"), "default export of a type");
    assert.ok(taken("import { v } from \"./t.js\";\n", true), "kept as written under verbatimModuleSyntax");
    assert.ok(!taken("const a = <any>b;\n"), "angle-bracket assertion");
    const source = "function f<T>(a: T, b?: string): T {\n  return a as T;\n}\nexport { f };\n";
    assert.deepEqual(stripTypes(source, false)!.split("\n").map((l) => l.length), source.split("\n").map((l) => l.length));
  });
});
