/*
 * Child process of `npm run bench:prof`: how close sampler mode's times come to the truth, at one
 * sampling interval. The module (bench/workloads/prof-split.ts, instrumented by the
 * function-profile transform) has three functions doing the same loop 1 : 3 : 1 times,
 * interleaved, and clocks each call. Prints JSON `{ worst, samples }`: the worst distance, in
 * points, between a function's cumtime share of the three and its clocked share, and the time
 * the samples gave the three, in intervals (milliseconds ÷ interval).
 */
import { recorder } from "../runtime/calls";
import { sampledProfile } from "../runtime/calls-sampled";
import { startCpuProfile } from "../runtime/v8-cpu";

const [modulePath, intervalText, unitsText] = process.argv.slice(2);
recorder().setMode("sampler");
process.setSourceMapsEnabled(true);
const w = require(modulePath) as { run: (units: number) => number; clocked: number[] };
// Warm: spin optimized as a function before the profiler starts, so each share is the same code.
for (let i = 0; i < 20; i++) w.run(1);
const rec = recorder();
const before = rec.snapshot();
const session = startCpuProfile(Number(intervalText));
w.clocked.fill(0);
const sink = w.run(Number(unitsText));
const profile = session?.stop();
if (!profile) throw new Error("no CPU profile");
const counted = rec.snapshot().map((f, i) => ({ ...f, ncalls: f.ncalls - before[i].ncalls }));
const { functions } = sampledProfile(profile, rec.functions(), counted);
const ct = (name: string) => functions.find((f) => f.name === name)?.cumtime ?? 0;
const parts = [ct("a"), ct("b"), ct("c")];
const sum = parts.reduce((x, y) => x + y, 0);
const clockSum = w.clocked.reduce((x, y) => x + y, 0);
const truth = w.clocked.map((t) => (100 * t) / clockSum);
const worst = sum > 0 ? Math.max(...parts.map((p, i) => Math.abs((100 * p) / sum - truth[i]))) : 100;
process.stdout.write(JSON.stringify({ worst, samples: Math.round((sum * 1e6) / Number(intervalText)), shares: parts.map((p) => (100 * p) / sum), truth, sink }));
