/*
 * `tsprof view` against damaged and hostile files: a seeded mutation fuzzer (test/lprof-fuzz.ts),
 * a few thousand cases per seed; `npm run fuzz` (bench/fuzz-lprof.ts) runs it longer.
 */
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { fuzz } from "./lprof-fuzz";

for (const seed of [1, 2]) {
  test(`mutated .lprof files (seed ${seed}): refused in one line, or a report with no NaN, Infinity, -0.0 or terminal escapes`, () => {
    const r = fuzz(seed, 700);
    assert.deepEqual(r.failures, []);
    assert.equal(r.cases, 700);
    // Both outcomes are exercised: the fuzzer is not only producing garbage, nor only valid files.
    assert.ok(r.refused > 50 && r.shown > 50, `refused ${r.refused}, shown ${r.shown}`);
  });
}
