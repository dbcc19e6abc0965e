/*
 * Programs more than one test file runs: a busy-wait helper, the 20/60/20 ms function whose
 * line shares every timing mode must get right, and the compile cache's probe.
 */
import { fnNamed, type runProfiled } from "./helpers";
import { totalTime } from "../report/profile";

/**
 * `spin(ms)` busy-waits, and records in `spun` how long it really took (on a loaded machine, the
 * process may be descheduled past the end: the program's own clock says by how much);
 * `sleep(ms)` suspends. Seven lines, so programs built on it know their line numbers.
 */
export const SPIN = `
function spin(ms: number) {
  const start = performance.now(), end = start + ms;
  while (performance.now() < end); spun.push(performance.now() - start);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)), spun: number[] = [];
`;

/** Lines 10, 11 and 12 spin 20, 60 and 20 ms; prints the three durations `spin` measured itself. */
export const COARSE = `${SPIN}
/** @profile */
function work() {
  spin(20);
  spin(60);
  spin(20);
}
const t0 = performance.now(); work(); const wall = performance.now() - t0;
console.log(JSON.stringify(spun), wall);
`;

/** COARSE with every spin `k` times as long: the same lines and shares, `k` times the samples. */
export const coarseTimes = (k: number) => COARSE.replace("spin(20);\n  spin(60);\n  spin(20);", `spin(${20 * k});\n  spin(${60 * k});\n  spin(${20 * k});`);

/** What each `spin` of a run took by the program's own clock, in ms (printed first on its last line). */
export function spunMs(run: ReturnType<typeof runProfiled>): number[] {
  const lines = run.profiled.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1].split(" ")[0]) as number[];
}

/**
 * Each busy line's share of `work`'s time, in %, the total in ms, and the truth: each line's share
 * of the time its `spin` took by the program's own clock (20/60/20 on an idle machine).
 */
export function coarseShares(run: ReturnType<typeof runProfiled>): { shares: number[]; truth: number[]; lineMs: number[]; spunMs: number[]; outsideMs: number; totalMs: number; fn: ReturnType<typeof fnNamed> } {
  const fn = fnNamed(run.profile, "work");
  const total = totalTime(fn);
  const lineMs = [10, 11, 12].map((line) => (fn.lines.get(line)?.time ?? 0) / 1e6);
  const spun = spunMs(run);
  const spunTotal = spun.reduce((a, b) => a + b, 0);
  // The call's wall time (probes included) beyond its spins: time no spin saw, billed to some line.
  const wall = Number(run.profiled.stdout.trim().split("\n").pop()!.split(" ")[1]);
  return { shares: lineMs.map((t) => (100 * t * 1e6) / total), truth: spun.map((t) => (100 * t) / spunTotal), lineMs, spunMs: spun, outsideMs: wall - spunTotal, totalMs: total / 1e6, fn };
}

/**
 * A timing measurement taken again while the machine disturbed it, then the least disturbed one.
 * `spin` waits on the wall clock, so a loaded machine can only add time (the process is
 * descheduled past a loop's end, or between two probes); `excessMs` says how much a run got
 * beyond what its program spins, and a run within `toleranceMs` is kept at once. The assertions
 * then judge the program on a clean measurement, never on a retried assertion: a deterministic
 * fault (time billed to the wrong line) shows in every run and still fails.
 */
export function leastDisturbed<T>(measure: () => T, excessMs: (m: T) => number, toleranceMs = 8, attempts = 5): T {
  let best: { m: T; excess: number } | undefined;
  for (let i = 0; i < attempts; i++) {
    const m = measure();
    const excess = excessMs(m);
    if (!best || excess < best.excess) best = { m, excess };
    if (excess <= toleranceMs) break;
  }
  return best!.m;
}

/** `work`'s time beyond the 100 ms COARSE spins, in ms. */
export const coarseExcess = (c: ReturnType<typeof coarseShares>) => c.totalMs - 100;

/** Time of the COARSE call that no spin saw (the process descheduled between two spins), in ms. */
export const coarseOutside = (c: ReturnType<typeof coarseShares>) => c.outsideMs;

/** A function's profiled time beyond `busyMs`, in ms. */
export function excessOver(fnName: string, busyMs: number): (r: ReturnType<typeof runProfiled>) => number {
  return (r) => totalTime(fnNamed(r.profile, fnName)) / 1e6 - busyMs;
}

/**
 * `mark()` stamps the program's own clock into `marks`; `later(ms)` is a timer promise that marks
 * when it was set (just before its caller suspends) and when it fired. Placed after a profiled
 * function whose await line is `await later(ms);`, the line before it ending in `mark();` and the
 * line after it starting with `mark();`, the four marks say how long the await line ran and how
 * long it was suspended by the program's own clock, descheduling included (`awaitTruth`).
 */
export const MARKS = `
const marks: number[] = [];
function mark() { marks.push(performance.now()); }
function later(ms: number) { const p = new Promise((r) => setTimeout(() => { mark(); r(0); }, ms)); mark(); return p; }
`;

/**
 * The await line's truth from a MARKS program that printed `JSON.stringify(marks)` last, in ms:
 * `runMs`, how long it ran before suspending and after resuming (a few microseconds, unless a
 * loaded machine descheduled the thread there); `suspendedMs`, from setting the timer to its firing.
 */
export function awaitTruth(run: ReturnType<typeof runProfiled>): { runMs: number; suspendedMs: number } {
  const lines = run.profiled.stdout.trim().split("\n");
  const [a, b, c, d] = JSON.parse(lines[lines.length - 1]) as number[];
  return { runMs: b - a + (d - c), suspendedMs: c - b };
}

/**
 * Prints `twice(21)`, then "compiled" when TypeScript was loaded to compile it or "cached" when
 * the compile cache served it. `factor` changes the source without changing its size.
 */
export const cacheProbe = (factor = 2) => [
  "/** @profile */",
  "function twice(n: number): number {",
  `  return n * ${factor};`,
  "}",
  "const loaded = Object.keys(require.cache).some((f) => f.includes(`${require(\"path\").sep}typescript${require(\"path\").sep}`));",
  "console.log(twice(21), loaded ? \"compiled\" : \"cached\");",
].join("\n");
