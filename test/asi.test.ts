/*
 * Where a line break is the program's own syntax: `let` + a line break where only a statement may
 * stand reads, in sloppy JavaScript, as the identifier `let`, an inserted `;`, then the next
 * statement. TypeScript's tree holds a `let` declaration there; moved into the block that a probe
 * needs, that text would read as one (a SyntaxError). Both emitters, run plain and instrumented.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { compile, expectedHits, hitsByLine, makeProject, profEnv, runNode } from "./helpers";
import { planFile } from "../transformer/plan";
import { emitText } from "../transformer/text-emit";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";

const SOURCE = `var let = 3;
/** @profile */
function f(xs) {
  for (var x of xs) let // hits: 3
  {}
  for (var k in xs) let // hits: 3
  {}
  if (xs.length) let // hits: 1
  {}
  return x + k + let; // hits: 1
}
/** @profile */
async function g(xs) {
  for await (var y of xs) let // hits: 3
  {}
  return y; // hits: 1
}
g([4, 5]).then((y) => console.log(f([1, 2]), y));
`;

test("let + a line break in a loop's or an if's body stays the identifier let, and the next statement, under both emitters: output and exact hits", () => {
  const dir = fs.realpathSync(makeProject("tsprof-asi-"));
  const src = path.join(dir, "asi.js");
  const options = { alwaysStrict: false, allowJs: true, ignoreDeprecations: "6.0" } as ts.CompilerOptions;
  fs.writeFileSync(src, SOURCE);
  const plain = path.join(dir, "plain.js"), prof = path.join(dir, "prof.js"), text = path.join(dir, "text.js");
  fs.writeFileSync(plain, compile(SOURCE, src, { plain: true, compilerOptions: options }));
  fs.writeFileSync(prof, compile(SOURCE, src, { compilerOptions: options }));
  const sf = ts.createSourceFile(src, SOURCE, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  fs.writeFileSync(text, emitText(ts, sf, planFile(ts, sf), { format: "cjs" }).code);
  const p = runNode([plain], { cwd: dir, env: profEnv(path.join(dir, "plain.lprof")) });
  assert.equal(p.stdout, "213 5\n", p.stderr);
  // The source itself, as it would run unbuilt, agrees.
  assert.equal(runNode([src], { cwd: dir }).stdout, p.stdout);
  for (const file of [prof, text]) {
    const output = path.join(dir, "out.lprof");
    fs.rmSync(output, { force: true });
    const r = runNode([file], { cwd: dir, env: profEnv(output, { TSPROF_TIMING: "exact" }) });
    assert.equal(r.stdout, p.stdout, `${path.basename(file)}: ${r.stderr}`);
    assert.deepEqual(hitsByLine(mergeProfiles([readLprof(output)], { raw: true })), expectedHits(SOURCE), path.basename(file));
  }
});
