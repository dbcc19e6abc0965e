// Recursion: every call is a profiled call.
/** @profile */
function fib(n: number): number {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}
export const run = () => fib(22);
