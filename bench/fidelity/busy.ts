// Two lines busy for about 1 µs and 3 µs (two arithmetic loops, 1:3 in length) and a one-line
// inner loop, in a loop of 20,000 iterations.
function workOne(x: number): number {
  for (let k = 0; k < 400; k++) x = x * 0.999 + k;
  return x;
}

function workThree(x: number): number {
  for (let k = 0; k < 1200; k++) x = x * 0.999 + k;
  return x;
}

/** @profile */
function busy(n: number): number {
  let acc = 0, x = 1, y = 1;
  for (let i = 0; i < n; i++) {
    x = workOne(x); // fidelity: one
    y = workThree(y); // fidelity: three
    for (let k = 0; k < 40; k++) acc = (acc + k * i) % 65521; // fidelity: inner
  }
  return acc + x + y;
}

export const run = () => busy(20_000);
export const reps = 2;
