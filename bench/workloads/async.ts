// Async code: many awaits on already-settled promises and a few timers.
const tick = (i: number) => Promise.resolve(i);

/** @profile */
async function pipeline(n: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = await tick(i);
    total += v & 3;
  }
  await new Promise((r) => setTimeout(r, 1));
  return total;
}
export const run = () => pipeline(20_000);
