/*
 * Hit counts, line by line: each program says, in trailing `// hits: N` comments, how many times
 * each line of its profiled functions must be entered. Every program is run twice — compiled
 * without tsprof and instrumented — and must print the same thing both times.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { expectedHits, hitsByLine, runProfiled } from "./helpers";
import { cases } from "./hit-cases";

for (const c of cases) {
  test(c.name, () => {
    const r = runProfiled(c.source, c.options);
    assert.equal(r.profiled.stderr, r.plain.stderr, "stderr differs with the transform");
    assert.equal(r.profiled.stdout, r.plain.stdout, "stdout differs with the transform");
    assert.equal(r.profiled.status, r.plain.status);
    assert.ok(r.plain.stdout.length > 0, "the program printed nothing");
    assert.deepEqual(hitsByLine(r.profile), expectedHits(c.source));
  });
}
