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
import { CLI, expectedHits, hitsByLine, makeProject } from "./helpers";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";
import { decodeMappings } from "../runtime/mappings";

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

  test("profiled ES modules: the probes written into the text, then stripped: raw CallSite lines and columns, toString() and output as the stripped plain run's, exact hits; a file stripping cannot take still compiles", { skip: canStripTypes() ? false : "no type stripper: neither module.stripTypeScriptTypes nor amaro" }, () => {
    const where = `// MARK where
export const seen: string[] = [];
export function where(tag: string): number {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, cs) => cs;
  const cs = (new Error().stack as unknown as NodeJS.CallSite[])[1];
  Error.prepareStackTrace = saved;
  seen.push([tag, cs.getLineNumber(), cs.getColumnNumber(), cs.getEnclosingLineNumber(), cs.getEnclosingColumnNumber()].join("|"));
  return 1;
}
`;
    const main = `// MARK textpath
import { seen, where } from "./where.js";
import { Tone } from "./tone.js";
/** @profile */
function outer(n: number): number {
  let total: number = 0; // hits: 1
  for (let i: number = 0; i < n; i++) { // hits: 4
    total += where("loop") as number; // hits: 3
  }
  const typed: Array<number> = [where("typed"), 2]; // hits: 1
  return total + typed.length; // hits: 1
}
class Shape<T extends number> {
  readonly side: T;
  constructor(side: T) {
    this.side = side;
  }
  area(w: T, h: number): number {
    return where("method") * w * h * this.side; // hits: 1
  }
}
/** @profile */
async function later(x: number): Promise<number> {
  await null; // hits: 1
  where("async"); // hits: 1
  return x; // hits: 1
}
/** @profile */
function fact(n: number): number {
  if (n <= 1) return where("base"); // hits: 4
  return n * fact(n - 1); // hits: 2
}
/** @profile */
const arrow = (x: number): number => where("arrow") + x; // hits: 1
console.log(outer(3), new Shape(1).area(2, 3), fact(1), fact(3), arrow(1), Tone.High);
for (const f of [outer, Shape, Shape.prototype.area, later, fact, arrow]) console.log(JSON.stringify(f.toString()));
await later(1);
console.log(seen.join("\\n"));
`;
    // Stripping refuses an enum: this profiled file goes to TypeScript.
    const tone = `// MARK tone
export enum Tone { Low = 1, High = 2 }
/** @profile */
export function pitch(t: Tone): number {
  return t * 2; // hits: 1
}
pitch(Tone.Low);
`;
    const root = path.join(dir, "textpath");
    // The reference: the same files with no mark (same length), so every file is stripped as it is.
    for (const [name, unmark] of [["prof", false], ["plain", true]] as const) {
      fs.mkdirSync(path.join(root, name), { recursive: true });
      fs.writeFileSync(path.join(root, name, "package.json"), MODULE);
      fs.writeFileSync(path.join(root, name, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "es2022", strict: true } }));
      for (const [file, text] of [["main.ts", main], ["where.ts", where], ["tone.ts", tone]]) {
        fs.writeFileSync(path.join(root, name, file), unmark ? text.replaceAll("@profile", "@nothing") : text);
      }
    }
    const runIn = (name: string) => {
      const env: NodeJS.ProcessEnv = { ...process.env, TSPROF_CACHE_DIR: path.join(root, name, ".cache") };
      for (const k of Object.keys(env)) if (k.startsWith("TSPROF_") && k !== "TSPROF_CACHE_DIR") delete env[k];
      delete env.NODE_OPTIONS;
      // Shape.area by name: a mark inside the class would be in the class's text.
      const select = name === "prof" ? ["-p", "main.ts:Shape.area"] : [];
      const r = spawnSync(process.execPath, [CLI, "run", "-q", ...select, "-o", "out.lprof", "main.ts"], { cwd: path.join(root, name), env, encoding: "utf8", timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "");
      return r.stdout;
    };
    const plain = runIn("plain"), profiled = runIn("prof");
    const rows = (out: string) => out.trim().split("\n");
    // The first output lines and every toString() are the plain run's.
    assert.deepEqual(rows(profiled).slice(0, 7), rows(plain).slice(0, 7));
    assert.match(rows(plain)[1], /const typed {16}= \[/, "toString() of the stripped plain file keeps its blanks");
    // The cache entry of each file: main.ts by the text emitter (its names, every line where it
    // was), tone.ts by TypeScript (its enum's emit, its unique names).
    const built = entries(path.join(root, "prof", ".cache"));
    const of = (mark: string) => {
      const found = [...new Set(built.filter((code) => code.includes(`// MARK ${mark}`)))];
      assert.equal(found.length, 1, mark);
      return found[0];
    };
    const code = of("textpath");
    assert.match(code, /__tsp_load\.c\.hit\(/);
    assert.doesNotMatch(code, /__tsp_load_1|"use strict"/);
    assert.match(of("tone"), /\(function \(\w+\) \{/, "tone.ts compiled by TypeScript");
    assert.match(of("tone"), /__tsp_load_1/);
    const mappings = decodeMappings((JSON.parse(Buffer.from(code.slice(code.lastIndexOf(",") + 1), "base64").toString()) as { mappings: string }).mappings);
    /** A raw (1-based) line and column through the entry's source map: the source's (1-based) line and column. */
    const mapped = (line: number, column: number) => {
      const seg = mappings[line - 1].filter((g) => g[0] <= column - 1).pop()!;
      return [seg[2] + 1, seg[3] + 1 + (column - 1 - seg[0])].join(":");
    };
    // Raw call sites: every line the plain run's, and every column through the file's map (the
    // probes written before a statement on its line move it right). The recursion base reached
    // in fact's copy reads the copy's line (docs/semantics.md, "Limits").
    const sites = (out: string) => rows(out).slice(7).map((l) => l.split("|"));
    const p = sites(plain), q = sites(profiled);
    assert.equal(p.length, 9, plain);
    assert.equal(q.length, p.length, profiled);
    const copy = p.map((r) => r[0]).lastIndexOf("base");
    assert.ok(copy > p.findIndex((r) => r[0] === "base"), plain);
    for (let i = 0; i < p.length; i++) {
      const [tag, line, column, enclosingLine, enclosingColumn] = q[i].map((x, k) => (k === 0 ? x : Number(x))) as [string, number, number, number, number];
      assert.equal(tag, p[i][0]);
      if (i === copy) continue;
      assert.deepEqual([line, enclosingLine], [Number(p[i][1]), Number(p[i][3])], `${tag}: raw line and enclosing line`);
      assert.equal(mapped(line, column), `${p[i][1]}:${p[i][2]}`, `${tag}: column through the map`);
      assert.equal(mapped(enclosingLine, enclosingColumn), `${p[i][3]}:${p[i][4]}`, `${tag}: enclosing column through the map`);
    }
    // Exact hits in both files: the stripped one (main.ts) and the one TypeScript compiled (tone.ts).
    const profile = mergeProfiles([readLprof(path.join(root, "prof", "out.lprof"))], { raw: true });
    for (const [file, text] of [["main.ts", main], ["tone.ts", tone]]) {
      const mine = { ...profile, functions: profile.functions.filter((f) => path.basename(f.file) === file) };
      assert.deepEqual(hitsByLine(mine), expectedHits(text), `hits in ${file}`);
    }
  });

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
