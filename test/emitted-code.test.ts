/*
 * What tsprof writes into a program, as the program's own tools see it. Real ESLint with
 * typescript-eslint from npm, in a project with tsprof installed from its tarball, finds nothing in
 * either emitter's output (every hit fixture, as TypeScript, ES-module and CommonJS JavaScript)
 * that it does not find in the same program uninstrumented. And the state the probes share is
 * there before the module body runs: a profiled function called from an import cycle, before its
 * module's body ran, counts exactly (why the declarations are a hoisted function's properties).
 */
import { before, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as ts from "typescript";
import { compile, expectedHits, hitsByLine, makeProject, profEnv, runNode } from "./helpers";
import { packedProject } from "./packed";
import { cases } from "./hit-cases";
import { planFile } from "../transformer/plan";
import { emitText } from "../transformer/text-emit";
import { createTransformer } from "../transformer/index";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";

const ESLINT_CONFIG = `import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";
export default tseslint.config(
  js.configs.recommended,
  ...tseslint.configs.strict,
  ...tseslint.configs.stylistic,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: { "no-var": "error", "prefer-const": "error", "no-undef": "error", "@typescript-eslint/no-unused-vars": "error" },
  },
  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs" } },
  {
    files: ["typed/**/*.ts"],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
);
`;

let dir = "";
before(() => {
  dir = packedProject({
    prefix: "tsprof-lint-",
    dependencies: { eslint: "10.15.0", "@eslint/js": "10.0.1", "typescript-eslint": "8.74.0", globals: "17.14.0", typescript: "6.0.3" },
    packageJson: { type: "module" },
    files: {
      "eslint.config.js": ESLINT_CONFIG,
      "tsconfig.json": JSON.stringify({
        compilerOptions: { target: "es2022", module: "nodenext", strict: true, noEmit: true, types: [], skipLibCheck: true },
        include: ["typed"],
      }),
    },
  });
});

/** Every hit fixture as a module (so both emitters take their ES-module path), file name → source. */
const programs = cases.map((c, i) => ({ name: `case${i}`, source: `${c.source}\nexport {};\n`, options: c.options ?? {} }));

/** Writes `prof/<variant>/…` and `plain/<variant>/…`: each emitter's output beside the same program uninstrumented. */
function writeVariants(root: string) {
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  for (const p of programs) {
    const file = `/src/${p.name}.ts`;
    const sf = ts.createSourceFile(file, p.source, ts.ScriptTarget.Latest, true);
    // The text emitter (bundlers, test runners) on TypeScript, type-checked too, and on JavaScript.
    write(`typed/prof/${p.name}.ts`, emitText(ts, sf, planFile(ts, sf, p.options)).code);
    write(`typed/plain/${p.name}.ts`, p.source);
    const js = ts.transpileModule(p.source, { fileName: file, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
    const jsf = ts.createSourceFile(`/src/${p.name}.js`, js, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    write(`text-js/prof/${p.name}.js`, emitText(ts, jsf, planFile(ts, jsf, p.options)).code);
    write(`text-js/plain/${p.name}.js`, js);
    // The compiler plugin (tspc, tsprof run): its JavaScript as ES modules and as CommonJS, and its
    // output printed as TypeScript (what a tool that checks the transformed source reads).
    for (const [variant, module, ext] of [["tspc-esm", ts.ModuleKind.ESNext, "js"], ["tspc-cjs", ts.ModuleKind.CommonJS, "cjs"]] as const) {
      write(`${variant}/prof/${p.name}.${ext}`, compile(p.source, file, { ...p.options, compilerOptions: { module } }));
      write(`${variant}/plain/${p.name}.${ext}`, compile(p.source, file, { ...p.options, plain: true, compilerOptions: { module } }));
    }
    const transformed = ts.transform(sf, [createTransformer(ts, p.options)], { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 });
    write(`printed/prof/${p.name}.ts`, ts.createPrinter().printFile(transformed.transformed[0]));
    write(`printed/plain/${p.name}.ts`, p.source);
    transformed.dispose();
  }
}

interface LintMessage { ruleId: string | null; message: string; line: number; severity: number }

test("ESLint with typescript-eslint finds nothing in either emitter's output that the uninstrumented program lacks", () => {
  writeVariants(dir);
  const r = spawnSync(process.execPath, [path.join(dir, "node_modules/eslint/bin/eslint.js"), "-f", "json", "typed", "text-js", "tspc-esm", "tspc-cjs", "printed"], {
    cwd: dir, encoding: "utf8", timeout: 300_000, maxBuffer: 64 * 1024 * 1024,
  });
  assert.ok(r.stdout.startsWith("["), `eslint did not report: ${r.stderr}`);
  const results = JSON.parse(r.stdout) as { filePath: string; messages: LintMessage[] }[];
  // Findings per variant, program and rule, instrumented against uninstrumented.
  const found = new Map<string, { prof: string[]; plain: number }>();
  let files = 0;
  for (const result of results) {
    const [variant, kind, file] = path.relative(dir, result.filePath).split(path.sep);
    if (kind === "prof") files++;
    for (const m of result.messages) {
      assert.ok(m.ruleId, `${variant}/${kind}/${file}:${m.line}: ${m.message}`);
      const key = `${variant} ${file.replace(/\..*/, "")} ${m.ruleId}`;
      const entry = found.get(key) ?? { prof: [], plain: 0 };
      if (kind === "prof") entry.prof.push(`${variant}/${file}:${m.line}: ${m.message}`);
      else entry.plain++;
      found.set(key, entry);
    }
  }
  assert.equal(files, programs.length * 5);
  const added: string[] = [];
  for (const [key, { prof, plain }] of found) {
    const extra = prof.length - plain;
    // In CommonJS output every import is a require() call, the compiler's own ones too: the one
    // tsprof adds is the runtime's.
    if (key.startsWith("tspc-cjs ") && key.endsWith(" @typescript-eslint/no-require-imports") && extra === 1) continue;
    if (extra !== 0) added.push(...prof);
  }
  assert.deepEqual(added, []);
  // The exception above is exactly one finding per CommonJS file, no more.
  const cjsRequires = [...found].filter(([k]) => k.startsWith("tspc-cjs ") && k.endsWith("no-require-imports"));
  assert.equal(cjsRequires.reduce((n, [, v]) => n + v.prof.length - v.plain, 0), programs.length);
  // The rules ran: the fixtures' own findings (a fall-through case, an unused expression) are reported.
  assert.ok([...found.keys()].some((k) => k.endsWith(" no-fallthrough")));
});

const CYCLE_A = `import { fromB } from "./b.mjs";
/** @profile */
export function square(x: number): number {
  const y = x * x; // hits: 2
  return y; // hits: 2
}
console.log(fromB, square(3));
`;
// b evaluates first (a imports it), and calls a's square before a's module body has run.
const CYCLE_B = `import { square } from "./a.mjs";
export const fromB = square(2);
`;

test("a profiled function called from an import cycle before its module body ran: the program's output, exact hits, both emitters", () => {
  const project = makeProject();
  const a = path.join(project, "a.ts");
  fs.writeFileSync(a, CYCLE_A);
  const esm = { esm: true } as const;
  fs.writeFileSync(path.join(project, "b.mjs"), compile(CYCLE_B, path.join(project, "b.ts"), { ...esm, plain: true }));
  fs.writeFileSync(path.join(project, "a.mjs"), compile(CYCLE_A, a, { ...esm, plain: true }));
  const plain = runNode([path.join(project, "a.mjs")], { cwd: project });
  assert.equal(plain.stdout, "4 9\n");
  const sf = ts.createSourceFile(a, CYCLE_A, ts.ScriptTarget.Latest, true);
  const emitted = {
    "compiler plugin": compile(CYCLE_A, a, esm),
    "text emitter": compile(emitText(ts, sf, planFile(ts, sf)).code, a, { ...esm, plain: true }),
  };
  for (const [emitter, js] of Object.entries(emitted)) {
    // The entry is a itself, so b sees it mid-cycle.
    fs.writeFileSync(path.join(project, "a.mjs"), js);
    const output = path.join(project, "a.lprof");
    fs.rmSync(output, { force: true });
    const run = runNode([path.join(project, "a.mjs")], { cwd: project, env: profEnv(output, { TSPROF_TIMING: "exact" }) });
    assert.equal(run.stderr, plain.stderr, emitter);
    assert.equal(run.stdout, plain.stdout, emitter);
    assert.equal(run.status, 0, emitter);
    assert.deepEqual(hitsByLine(mergeProfiles([readLprof(output)], { raw: true })), expectedHits(CYCLE_A), emitter);
  }
});
