// Lines busy for 20, 60 and 20 ms: the profile must split the function 20/60/20. Each line calls
// its own function, so V8's profiler can tell the lines apart too.
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
function first(): void { spin(20); }
function middle(): void { spin(60); }
function last(): void { spin(20); }

/** @profile */
function coarse(): void {
  first(); // fidelity: first
  middle(); // fidelity: middle
  last(); // fidelity: last
}
export const truth = { first: 20, middle: 60, last: 20 };
export const run = () => coarse();
export const reps = 2;
