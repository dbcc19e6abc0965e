import type { GcActivity } from "./gc";
import type { Summary } from "./stats";

/*
 * The three things a careful engineer checks before trusting a timing. Each threshold is a
 * measurement on node 20 (2 cores, other work running), written next to it.
 */

/** Python's rule, kept: the worst run at least 4x the best. */
export const UNRELIABLE_RATIO = 4;

/**
 * Best per-loop time at most this many times the empty loop's: nothing measurable happened. An
 * empty iteration takes ≈ 0.4 ns, about one cycle of this 2.6 GHz CPU, so a fraction of a cycle
 * (code alignment alone) moves the ratio by a third. Measured at equal loop counts: constant-folded statements
 * (`x` after `const x = 1`, `Math.sqrt(2)`) at 0.73–1.33x the empty loop (about 50 runs, autoranged
 * and at 10^6 loops); `y++`, a single add, at 1.22–1.39x, which is below what the loop resolves
 * and is flagged too; `a[k++ & 1023]` at 2.0–2.3x; `a.indexOf(7)` at 10–27x.
 */
export const FLOOR_MARGIN = 1.5;

/**
 * Share of the timed runs spent collecting garbage. Statements whose garbage dies young measured
 * 1.8–9.2% (`JSON.parse(JSON.stringify(o))` 1.8%, `[...Array(1000).keys()].map(…)` 3.7–8.2%,
 * `'a'.repeat(100).split('')` 4–9.2%); one that keeps what it allocates (`kept.push({…})`)
 * 63–74%, mostly in full collections.
 */
export const GC_SHARE = 0.2;

/** GC activity over all timed runs. */
export interface GcTotals extends GcActivity {
  /** `seconds` divided by the runs' total time. */
  share: number;
}

/** A warning: a stable `kind` for scripts (`--json`) and the sentence printed on stderr. */
export interface TimingWarning {
  kind: "unreliable" | "optimized-away" | "gc-pressure";
  message: string;
}

/** What the checks look at; `emptyLoop` is the empty loop's best per-loop time (null: not measured). */
export interface WarningInput {
  summary: Summary;
  emptyLoop: number | null;
  gc: GcTotals;
  /** Formats seconds the way the report does (unit and precision). */
  formatTime(seconds: number): string;
}

/** The warnings a measurement deserves, most fundamental first. */
export function checkWarnings({ summary, emptyLoop, gc, formatTime }: WarningInput): TimingWarning[] {
  const warnings: TimingWarning[] = [];
  const { best, worst } = summary;
  if (emptyLoop !== null && best <= emptyLoop * FLOOR_MARGIN) {
    warnings.push({
      kind: "optimized-away",
      message:
        `The statement was likely optimized away, or is too fast to measure: its best time (${formatTime(best)} per loop) ` +
        `is within ${FLOOR_MARGIN}x of an empty loop's (${formatTime(emptyLoop)} per loop). V8 computes a constant result once or not at all; ` +
        "give the statement inputs that change between loops (for example, index an array built with -s).",
    });
  }
  if (worst >= best * UNRELIABLE_RATIO) {
    // Python's sentence, word for word: users search for it.
    warnings.push({
      kind: "unreliable",
      message:
        "The test results are likely unreliable. " +
        `The worst time (${formatTime(worst)}) was more than four times slower than the best time (${formatTime(best)}).`,
    });
  }
  if (gc.share >= GC_SHARE) {
    const full = gc.full > 0 ? `, ${gc.full} of them full` : "";
    warnings.push({
      kind: "gc-pressure",
      message:
        `Garbage collection took ${Math.round(gc.share * 100)}% of the timed runs (${gc.count} collections${full}): ` +
        "the time per loop depends on how much the statement allocates and keeps alive, and on the heap around it.",
    });
  }
  return warnings;
}
