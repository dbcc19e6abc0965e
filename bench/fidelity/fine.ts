// Two lines of unequal, tiny cost (a few ns and tens of ns) in a hot loop: the profile's split
// between them, after calibration, against the split measured without any probe.
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

// The same loop with one line at a time, never profiled: the truth.
export function onlyLight(n: number): number { let a = 1; for (let i = 0; i < n; i++) a = light(a); return a; }
export function onlyHeavy(n: number): number { let b = 1; for (let i = 0; i < n; i++) b = heavy(b); return b; }
export function neither(n: number): number { let c = 1; for (let i = 0; i < n; i++) c = c ^ i; return c; }
export const run = () => fine(300_000);
