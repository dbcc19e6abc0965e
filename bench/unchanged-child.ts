/* The in-process half of bench/unchanged.ts: toString per call, the built-ins snapshot. */
import { capturePristine, pristineProperties, withPristineBuiltins } from "../runtime/pristine";
import { registerTexts } from "../runtime/source-text";

function sample(a: number, b: number): number {
  const c = a * b + 1;
  return c > 10 ? c : a + b;
}

const nativeToString = Function.prototype.toString;
const perCall = (fn: () => number, n: number) => {
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink += fn();
  return ((performance.now() - t0) * 1e6) / n + (sink < 0 ? 1 : 0);
};
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const N = 100_000;
registerTexts(["function other() {}"]);
const viaNative = () => nativeToString.call(sample).length;
const viaReplaced = () => Function.prototype.toString.call(sample).length;
const natives: number[] = [], replaced: number[] = [];
for (let round = 0; round < 9; round++) {
  natives.push(perCall(viaNative, N));
  replaced.push(perCall(viaReplaced, N));
}
const native = median(natives), patched = median(replaced);

const t0 = performance.now();
capturePristine();
const captureUs = (performance.now() - t0) * 1000;
withPristineBuiltins(() => 0);
const t1 = performance.now();
withPristineBuiltins(() => 0);
const checkUs = (performance.now() - t1) * 1000;
process.stdout.write(JSON.stringify({ nativeNs: native, patchedNs: patched, properties: pristineProperties(), captureUs, checkUs }));
