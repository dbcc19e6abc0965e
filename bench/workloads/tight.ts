// A tight arithmetic loop (the seed tutorial's `sum += i`): ~1 ns per line, the worst case for a line profiler.
/** @profile */
function tight(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    s += i;
  }
  return s;
}
export const run = () => tight(2_000_000);
