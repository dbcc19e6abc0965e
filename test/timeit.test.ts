/*
 * The measuring core of `tsprof timeit`, on a fake clock: the timed function moves the clock
 * forward, so loop counts, autorange steps, units and warnings are exact, whatever the machine.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { autorange, repeat, timeit, Timer } from "../index";
import { formatTime } from "../timeit/format";
import { measure } from "../timeit/measure";
import { formatReport, formatStep } from "../timeit/report";
import { summarize } from "../timeit/stats";
import { functionHarness } from "../timeit/harness";
import { LoopTimer, TimedCodeError } from "../timeit/timer";
import { checkWarnings } from "../timeit/warnings";

/** A clock that only moves when told to; 2^-k steps keep every sum exact. */
function fakeClock() {
  let now = 0;
  return { timer: () => now, advance: (seconds: number) => void (now += seconds) };
}

const MS = 2 ** -10; // ≈ 0.98 ms, exact in binary

test("autorange tries 1, 2, 5, 10, 20, 50, … loops until a run takes at least 0.2 s", () => {
  const clock = fakeClock();
  const steps: number[] = [];
  const result = autorange(() => clock.advance(MS), { timer: clock.timer, callback: (n, t) => { steps.push(n); assert.equal(t, n * MS); } });
  // 200 loops take 0.195 s, short of 0.2 s; 500 loops are the first to reach it.
  assert.deepEqual(steps, [1, 2, 5, 10, 20, 50, 100, 200, 500]);
  assert.deepEqual(result, { number: 500, timeTaken: 500 * MS });
});

test("repeat runs `repeat` times `number` loops, with setup once per run, as Python", () => {
  const clock = fakeClock();
  let calls = 0;
  let setups = 0;
  const times = repeat(() => { calls++; clock.advance(MS); }, { repeat: 3, number: 7, setup: () => setups++, timer: clock.timer });
  assert.deepEqual(times, [7 * MS, 7 * MS, 7 * MS]);
  assert.equal(calls, 21);
  assert.equal(setups, 3);
});

test("defaults are Python's: timeit 1,000,000 calls, repeat 5 runs", () => {
  let calls = 0;
  assert.equal(typeof timeit(() => calls++), "number");
  assert.equal(calls, 1_000_000);
  calls = 0;
  assert.equal(repeat(() => calls++, { number: 10 }).length, 5);
  assert.equal(calls, 50);
});

test("an error in the timed code: the API rethrows it; the core says whether setup threw", () => {
  const boom = new RangeError("boom");
  assert.throws(() => timeit(() => { throw boom; }, { number: 3 }), (e: unknown) => e === boom);
  const stmt = new LoopTimer(functionHarness(() => { throw boom; }));
  assert.throws(() => stmt.timeit(3), (e: unknown) => e instanceof TimedCodeError && !e.inSetup && e.thrown === boom);
  const setup = new LoopTimer(functionHarness(() => 1, () => { throw new Error("no data"); }));
  assert.throws(() => setup.timeit(3), (e: unknown) => e instanceof TimedCodeError && e.inSetup && e.message === "Error: no data");
});

test("a run reports the garbage collections inside it", () => {
  const kept: object[] = [];
  const run = new Timer(() => kept.push({ n: kept.length })).run(300_000);
  assert.ok(run.gc.count > 0, "300,000 retained objects must trigger at least one collection");
  assert.ok(run.gc.seconds > 0);
});

test("times are written as Python's format_time writes them", () => {
  // Expected strings printed by Python 3.11's timeit.main format_time.
  const cases: [number, Parameters<typeof formatTime>[1], number | undefined, string][] = [
    [4.45e-6, undefined, undefined, "4.45 usec"],
    [0.2, undefined, undefined, "200 msec"],
    [1.5, undefined, undefined, "1.5 sec"],
    [3e-11, undefined, undefined, "0.03 nsec"],
    [1e-6, undefined, undefined, "1 usec"],
    [0.0009995, undefined, undefined, "1e+03 usec"],
    [123456, undefined, undefined, "1.23e+05 sec"],
    [4.45e-6, "msec", undefined, "0.00445 msec"],
    [2.5e-9, "usec", undefined, "0.0025 usec"],
    [1.23456e-3, undefined, 4, "1.235 msec"],
  ];
  for (const [seconds, unit, precision, expected] of cases) assert.equal(formatTime(seconds, unit, precision), expected);
  assert.equal(formatStep(1, 1.2e-5, 3), "1 loop -> 1.2e-05 secs");
  assert.equal(formatStep(20, 0.0007434, 3), "20 loops -> 0.000743 secs");
});

test("summary: best, worst, mean ± sample stddev, p75 and p99 by linear interpolation", () => {
  const s = summarize([3, 1, 2, 5, 4]);
  assert.deepEqual({ best: s.best, worst: s.worst, mean: s.mean, p75: s.p75, runs: s.runs }, { best: 1, worst: 5, mean: 3, p75: 4, runs: 5 });
  assert.equal(s.stddev, Math.sqrt(2.5));
  assert.ok(Math.abs(s.p99 - 4.96) < 1e-12);
  assert.equal(summarize([7]).stddev, 0);
});

test("measure with -n warms up by autoranging to 0.05 s, then times `repeat` runs of n loops", () => {
  const clock = fakeClock();
  const m = measure(new Timer(() => clock.advance(MS), { timer: clock.timer }), { number: 70, repeat: 3 });
  // 50 loops take 0.049 s, 100 loops 0.098 s: the warm-up's last step.
  assert.deepEqual(m.steps.map((s) => s.loops), [1, 2, 5, 10, 20, 50, 100]);
  assert.equal(m.loops, 70);
  assert.deepEqual(m.runs.map((r) => r.loops), [70, 70, 70]);
  assert.deepEqual(m.perLoop, [MS, MS, MS]);
});

test("measure without -n autoranges, and the report prints Python's lines", () => {
  const clock = fakeClock();
  const m = measure(new Timer(() => clock.advance(MS / 1024), { timer: clock.timer }));
  assert.equal(m.loops, 500_000); // 200,000 loops: 0.19 s; 500,000: 0.48 s
  assert.equal(m.repeat, 5);
  const text = formatReport(m, { precision: 3 }, true).split("\n");
  assert.equal(text[0], `raw times: ${Array(5).fill("477 msec").join(", ")}`);
  assert.equal(text[2], "500000 loops, best of 5: 954 nsec per loop");
  assert.equal(text[3], "mean ± std dev: 954 nsec ± 0 nsec");
  assert.equal(formatReport(m, { unit: "usec", precision: 4 }, false).split("\n")[0], "500000 loops, best of 5: 0.9537 usec per loop");
});

test("noisy runs: the worst at ≥ 4x the best gives Python's warning, word for word", () => {
  const clock = fakeClock();
  let slow = false;
  // Every other run is 5x slower: a machine busy with something else.
  const timer = new Timer(() => clock.advance(slow ? 5 * MS : MS), { setup: () => (slow = !slow), timer: clock.timer });
  const m = measure(timer, { number: 10, repeat: 5, formatTime: (s) => formatTime(s) });
  assert.deepEqual(m.warnings.map((w) => w.kind), ["unreliable"]);
  assert.equal(m.warnings[0].message, "The test results are likely unreliable. The worst time (4.88 msec) was more than four times slower than the best time (977 usec).");
  const steady = summarize([1e-6, 3.9e-6]);
  assert.deepEqual(checkWarnings({ summary: steady, emptyLoop: null, gc: noGc, formatTime: String }), []);
});

const noGc = { count: 0, full: 0, seconds: 0, share: 0 };

test("a statement no slower than the empty loop is reported as likely optimized away", () => {
  const clock = fakeClock();
  const empty = new Timer(() => clock.advance(MS / 1024), { timer: clock.timer });
  const folded = measure(new Timer(() => clock.advance(MS / 1024), { timer: clock.timer }), { number: 100, repeat: 3 }, empty);
  assert.equal(folded.emptyLoop, MS / 1024);
  assert.deepEqual(folded.warnings.map((w) => w.kind), ["optimized-away"]);
  assert.match(folded.warnings[0].message, /likely optimized away.*within 1\.5x of an empty loop's/);
  const real = measure(new Timer(() => clock.advance(MS / 256), { timer: clock.timer }), { number: 100, repeat: 3 }, empty);
  assert.deepEqual(real.warnings, []);
});

test("garbage collection taking ≥ 20% of the timed runs is reported as GC pressure", () => {
  const summary = summarize([1e-6, 1e-6]);
  const heavy = checkWarnings({ summary, emptyLoop: null, gc: { count: 40, full: 3, seconds: 0.5, share: 0.5 }, formatTime: String });
  assert.deepEqual(heavy.map((w) => w.kind), ["gc-pressure"]);
  assert.match(heavy[0].message, /^Garbage collection took 50% of the timed runs \(40 collections, 3 of them full\)/);
  assert.deepEqual(checkWarnings({ summary, emptyLoop: null, gc: { count: 40, full: 0, seconds: 0.15, share: 0.15 }, formatTime: String }), []);
});
