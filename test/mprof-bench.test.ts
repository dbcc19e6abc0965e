/*
 * bench:mprof's arithmetic (bench/mprof.ts): the collections' cost fitted on paused blocks, the
 * total ratio adjusted for how many collections fell in each block, and its bootstrap interval.
 * Synthetic rounds with known costs: no timing, nothing run.
 */
import * as assert from "node:assert/strict";
import { describe, test } from "node:test";
import { collectionCost, seeded, totals, type Round } from "../bench/mprof";
import type { RawBlock } from "../bench/mprof-child";

const block = (kind: string, cpuMs: number, gc: number[]): RawBlock => ({ kind, cpuMs, wallMs: cpuMs, processMs: cpuMs, samples: 0, runs: 1, gc: [...gc, 0], gcMs: 0, t0: 0, t1: 0 });

/**
 * Rounds of paused, sampled, paused: the program's own work costs 100 ms a block (×1.03 sampled),
 * a minor collection 2 ms and a major one 20 ms (with an incremental marking beside each major,
 * as V8 reports them). The paused blocks alternate between none and one major collection; every
 * sampled block gets one, an unlucky draw that the raw total takes for sampling's cost.
 */
function rounds(n: number, noise = 0): Round[] {
  const rand = seeded(42);
  const cpu = (base: number, gc: number[]) => base + 2 * gc[0] + 20 * gc[1] + noise * (rand() - 0.5);
  const out: Round[] = [];
  for (let r = 0; r < n; r++) {
    const a = [3, r % 2, r % 2], b = [3, 1 - (r % 2), 1 - (r % 2)], s = [3, 1, 1];
    out.push([block("off", cpu(100, a), a), block("0.01", cpu(103, s), s), block("off", cpu(100, b), b)]);
  }
  return out;
}

describe("bench:mprof's totals", () => {
  test("the cost per collection is fitted from the paused blocks, major and incremental together", () => {
    const paused = rounds(40).flatMap((r) => r.filter((b) => b.kind === "off"));
    const { beta, mean } = collectionCost(paused);
    // Minor collections do not vary here: no weight. Major and incremental always come together:
    // the ridge splits their cost, whose sum is what a block is adjusted by.
    assert.equal(beta[0], 0);
    assert.ok(Math.abs(beta[1] + beta[2] - 20) < 0.5, `major + incremental: ${beta[1] + beta[2]} ms, not 20`);
    assert.deepEqual(mean, [3, 0.5, 0.5]);
  });

  test("the adjusted total is the expected ratio; the raw one counts the sampled blocks' extra collections", () => {
    const t = totals(rounds(40), ["0.01"], 0.95, 200)["0.01"];
    // Expected: (103 + 6 + 20 × 0.5) / (100 + 6 + 20 × 0.5), the collections at their mean.
    const expected = (103 + 6 + 10) / (100 + 6 + 10);
    assert.ok(Math.abs(t.adjusted.ratio - expected) < 0.002, `adjusted ${t.adjusted.ratio}, expected ${expected}`);
    assert.ok(Math.abs(t.raw.ratio - (103 + 6 + 20) / (100 + 6 + 10)) < 0.002, `raw ${t.raw.ratio}`);
    assert.equal(t.adjusted.n, 40);
    assert.equal(t.adjusted.level, 0.95);
  });

  test("the interval holds the ratio, narrows with more rounds, and widens with a higher level", () => {
    const few = totals(rounds(20, 20), ["0.01"], 0.95, 200)["0.01"].adjusted;
    const many = totals(rounds(160, 20), ["0.01"], 0.95, 200)["0.01"].adjusted;
    const strict = totals(rounds(160, 20), ["0.01"], 0.99, 200)["0.01"].adjusted;
    for (const t of [few, many, strict]) assert.ok(t.ciLow <= t.ratio && t.ratio <= t.ciHigh, JSON.stringify(t));
    assert.ok(many.ciHigh - many.ciLow < (few.ciHigh - few.ciLow) / 2, `${JSON.stringify(few)} ${JSON.stringify(many)}`);
    assert.ok(strict.ciHigh - strict.ciLow > many.ciHigh - many.ciLow);
  });

  test("a kind missing from later rounds is judged on the rounds it was in", () => {
    const rs = rounds(30);
    // Ten more rounds in which only the A/A kind ran (the sampled one was decided before).
    for (let r = 0; r < 10; r++) rs.push([block("off", 110, [3, 0, 0]), block("aa", 110, [3, 0, 0]), block("off", 110, [3, 0, 0])]);
    const t = totals(rs, ["0.01", "aa"], 0.95, 200);
    assert.equal(t["0.01"].adjusted.n, 30);
    assert.equal(t.aa.adjusted.n, 10);
    assert.ok(Math.abs(t.aa.adjusted.ratio - 1) < 1e-9);
  });
});
