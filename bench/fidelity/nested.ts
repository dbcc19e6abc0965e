// One line calls a profiled recursive function, the next an identical unprofiled copy: both
// cost the same, so the truth is 50/50. Off means the callees' probes leaked into their caller.
/** @profile */
function fib(n: number): number {
  if (n < 2) return n;
  return fib(n - 1) + fib(n - 2);
}
function fibPlain(n: number): number {
  if (n < 2) return n;
  return fibPlain(n - 1) + fibPlain(n - 2);
}

/** @profile */
function nested(): number {
  let total = 0;
  for (let i = 0; i < 20; i++) {
    total += fib(18); // fidelity: profiled
    total += fibPlain(18); // fidelity: unprofiled
  }
  return total;
}
export const truth = { profiled: 50, unprofiled: 50 };
export const run = () => nested();
export const reps = 50;
