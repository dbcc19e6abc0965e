import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { startCpuProfile, type CpuProfile, type CpuSession } from "../runtime/v8-cpu";

function busy(ms: number): number {
  const end = Date.now() + ms;
  let a = 0;
  while (Date.now() < end) a += Math.sqrt(a + 1);
  return a;
}

function selfTicks(p: CpuProfile, name: string): number {
  return p.nodes.filter((n) => n.callFrame.functionName === name).reduce((s, n) => s + (n.hitCount ?? 0), 0);
}

/**
 * A new `busy` (its own code, never run): once hot, V8 may inline `busy` into its caller, whose
 * frame then holds every sample (measured at a load average of 17: all of them, in 3 attempts of 4).
 */
const freshBusy = () => new Function(`return ${busy.toString()}`)() as typeof busy;

/**
 * Profiles `busy(ms)`, doubling `ms` until V8 saw it: on a loaded machine the thread may be
 * descheduled for a whole short window, so the measurement is retried, not the assertion; each
 * time with a fresh `busy`, so that a retry never runs code inlined by the attempts before it.
 */
function profileBusy(): { session: CpuSession; profile: CpuProfile | null } {
  let session: CpuSession | null = null;
  let profile: CpuProfile | null = null;
  for (let ms = 60; ms <= 3840; ms *= 2) {
    const run = freshBusy();
    session = startCpuProfile(200);
    assert.ok(session, "this Node has an inspector");
    run(ms);
    profile = session.stop();
    if (profile && selfTicks(profile, "busy") > 0) break;
  }
  return { session: session!, profile };
}

test("startCpuProfile returns V8's profile synchronously, with line ticks of the busy function", () => {
  const { session, profile: p } = profileBusy();
  assert.ok(p);
  assert.equal(p.samples.length, p.timeDeltas.length);
  assert.ok(selfTicks(p, "busy") > 0, "busy() was sampled");
  const node = p.nodes.find((n) => n.callFrame.functionName === "busy" && n.positionTicks?.length);
  assert.ok(node, "busy() carries per-line ticks");
  assert.equal(session.stop(), p, "stop is idempotent");
});

test("startCpuProfile works in a worker thread, profiling that thread", async () => {
  const src = `
    const { startCpuProfile } = require(${JSON.stringify(require.resolve("../runtime/v8-cpu"))});
    const { parentPort } = require("node:worker_threads");
    function workerBusy(ms) { const end = Date.now() + ms; let a = 0; while (Date.now() < end) a += Math.sqrt(a + 1); return a; }
    let ticks = 0;
    for (let ms = 60; ms <= 3840 && ticks === 0; ms *= 2) {
      const run = new Function("return " + workerBusy.toString())();
      const s = startCpuProfile(200);
      run(ms);
      const p = s.stop();
      ticks = p.nodes.filter((n) => n.callFrame.functionName === "workerBusy").reduce((t, n) => t + (n.hitCount || 0), 0);
    }
    parentPort.postMessage(ticks);
  `;
  const ticks = await new Promise<number>((resolve, reject) => {
    const w = new Worker(src, { eval: true });
    w.once("message", resolve);
    w.once("error", reject);
  });
  assert.ok(ticks > 0, "the worker's own function was sampled");
});
