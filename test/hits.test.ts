/*
 * Hit counts, line by line: each program says, in trailing `// hits: N` comments, how many times
 * each line of its profiled functions must be entered. Every program is run twice — compiled
 * without tsprof and instrumented — and must print the same thing both times. Both builds carry
 * an inline source map, so the instrumented one has its lines moved onto the plain build's
 * (transformer/relayout.ts): every source position the plain build prints is printed on the same
 * line instrumented.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { expectedHits, hitsByLine, runProfiled, lineDrift } from "./helpers";
import { cases } from "./hit-cases";

for (const c of cases) {
  test(c.name, () => {
    const options = { ...c.options, compilerOptions: { ...c.options?.compilerOptions, inlineSourceMap: true } };
    const r = runProfiled(c.source, options);
    assert.equal(r.profiled.stderr, r.plain.stderr, "stderr differs with the transform");
    assert.equal(r.profiled.stdout, r.plain.stdout, "stdout differs with the transform");
    assert.equal(r.profiled.status, r.plain.status);
    assert.ok(r.plain.stdout.length > 0, "the program printed nothing");
    assert.deepEqual(hitsByLine(r.profile), expectedHits(c.source));
    const ext = c.options?.esm ? ".mjs" : ".js";
    // A class with TC39 decorators lowered by TypeScript: the decorator helpers of the two builds
    // differ (`@profile` is removed), and the class head sits on another line; the methods' lines
    // match (docs/semantics.md, "Raw call-site lines").
    if (/\n\s*@\w/.test(c.source)) return;
    assert.deepEqual(lineDrift(fs.readFileSync(`${r.dir}/plain${ext}`, "utf8"), fs.readFileSync(`${r.dir}/prog${ext}`, "utf8")), [], "source positions printed on another line than the plain build's");
  });
}
