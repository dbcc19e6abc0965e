// The sampling-interval accuracy fixture (bench/prof-accuracy-child.ts): a, b and c run the same
// loop 1 : 3 : 1, interleaved in chunks of about 0.1-0.5 ms, and the fixture clocks each call
// itself (two clock reads against a chunk: 0.03%). Those clocked times are the truth the
// sampler's shares are held against: V8 compiles a, b and c apart, so 20/60/20 by construction
// is off by several points on its own.
import { performance } from "node:perf_hooks";

// Each loop is the function's own code: were a, b and c to call one helper, V8 could inline it
// into them and them into run, and its samples would carry the helper's lines only, skipping
// a, b and c (positionTicks name the innermost line).
function a(): number {
  let s = 0;
  for (let i = 0; i < 20_000; i++) s = (s + i * 7) % 1000003;
  return s;
}
function b(): number {
  let s = 0;
  for (let i = 0; i < 60_000; i++) s = (s + i * 7) % 1000003;
  return s;
}
function c(): number {
  let s = 0;
  for (let i = 0; i < 20_000; i++) s = (s + i * 7) % 1000003;
  return s;
}
export const clocked = [0, 0, 0];
export const run = (units: number): number => {
  let s = 0;
  for (let i = 0; i < units; i++) {
    const t0 = performance.now();
    s += a();
    const t1 = performance.now();
    s += b();
    const t2 = performance.now();
    s += c();
    const t3 = performance.now();
    clocked[0] += t1 - t0;
    clocked[1] += t2 - t1;
    clocked[2] += t3 - t2;
  }
  return s;
};
