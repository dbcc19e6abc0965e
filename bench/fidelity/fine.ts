// Two lines of unequal, tiny cost (a few ns and tens of ns) in a hot loop.
function light(x: number): number {
  return (x * 1.0000001 + 0.5) % 1000;
}
function heavy(x: number): number {
  for (let k = 0; k < 12; k++) x = (x * 1.0000001 + 0.5) % 1000;
  return x;
}

/** @profile */
function fine(n: number): number {
  let a = 1, b = 1;
  for (let i = 0; i < n; i++) {
    a = light(a); // fidelity: light
    b = heavy(b); // fidelity: heavy
  }
  return a + b;
}

export const run = () => fine(300_000);
export const reps = 2;
