/*
 * The figures mitata and tinybench users look for, computed over the repeats (one value per run,
 * each the run's time divided by its loop count). Python's timeit reports only the best, and says
 * why: the minimum is the machine's lower bound, the rest mostly other processes. The best stays
 * the headline; the spread is there to judge it.
 */

/** Per-loop times of the runs, summarized (all in seconds). */
export interface Summary {
  /** Number of runs. */
  runs: number;
  best: number;
  worst: number;
  mean: number;
  /** Sample standard deviation (n − 1), as tinybench; 0 for a single run. */
  stddev: number;
  p75: number;
  p99: number;
}

/** The `q` quantile (0…1) of sorted values, interpolating linearly between ranks (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = (sorted.length - 1) * q;
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

/** Best, worst, mean ± stddev and p75/p99 of per-loop times. */
export function summarize(perLoop: readonly number[]): Summary {
  if (perLoop.length === 0) throw new RangeError("summarize needs at least one run");
  const sorted = [...perLoop].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / n;
  const squares = sorted.reduce((sum, x) => sum + (x - mean) ** 2, 0);
  return {
    runs: n,
    best: sorted[0],
    worst: sorted[n - 1],
    mean,
    stddev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    p75: quantile(sorted, 0.75),
    p99: quantile(sorted, 0.99),
  };
}
