/*
 * Programs more than one test file runs: a busy-wait helper, and the 20/60/20 ms function whose
 * line shares every timing mode must get right.
 */
import { fnNamed, type runProfiled } from "./helpers";
import { totalTime } from "../report/profile";

/** `spin(ms)` busy-waits; `sleep(ms)` suspends. Seven lines, so programs built on it know their line numbers. */
export const SPIN = `
function spin(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
`;

/** Lines 10, 11 and 12 spin 20, 60 and 20 ms. */
export const COARSE = `${SPIN}
/** @profile */
function work() {
  spin(20);
  spin(60);
  spin(20);
}
work();
console.log("ok");
`;

/** Each busy line's share of `work`'s time, in %, and the total in ms. */
export function coarseShares(run: ReturnType<typeof runProfiled>): { shares: number[]; totalMs: number; fn: ReturnType<typeof fnNamed> } {
  const fn = fnNamed(run.profile, "work");
  const total = totalTime(fn);
  return { shares: [10, 11, 12].map((line) => (100 * (fn.lines.get(line)?.time ?? 0)) / total), totalMs: total / 1e6, fn };
}
