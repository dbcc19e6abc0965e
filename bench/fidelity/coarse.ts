// Lines busy for 20, 60 and 20 ms: the profile must split the function 20/60/20.
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/** @profile */
function coarse(): void {
  spin(20); // fidelity: first
  spin(60); // fidelity: middle
  spin(20); // fidelity: last
}
export const truth = { first: 20, middle: 60, last: 20 };
export const run = () => coarse();
