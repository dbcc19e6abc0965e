// One line calls a small profiled function (which V8 inlines), the next an identical unprofiled
// copy: both cost the same, so the truth is 50/50.
/** @profile */
function mix(a: number, b: number): number {
  return (a * 31 + b) % 1000003;
}
function mixPlain(a: number, b: number): number {
  return (a * 31 + b) % 1000003;
}

/** @profile */
function small(n: number): number {
  let x = 1, y = 1;
  for (let i = 0; i < n; i++) {
    x = mix(x, i); // fidelity: profiled
    y = mixPlain(y, i); // fidelity: unprofiled
  }
  return x + y;
}
export const truth = { profiled: 50, unprofiled: 50 };
export const run = () => small(200_000);
export const reps = 80;
