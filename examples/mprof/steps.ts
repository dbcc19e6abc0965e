// Memory in steps: 50 MiB of array buffer, held, freed; then 20 MiB, and 16 MiB of V8 heap.
const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** @profile */
async function load(mb: number): Promise<Uint8Array> {
  const data = new Uint8Array(mb * MiB).fill(1);
  await sleep(400);
  return data;
}

/** @profile */
function rows(n: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(new Array(1000).fill(i + 0.5));
  return out;
}

async function main(): Promise<void> {
  await sleep(200);
  let big: Uint8Array | undefined = await load(50);
  await sleep(300);
  big = undefined;
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(300);
  const small = await load(20);
  const table = rows(2000);
  await sleep(300);
  console.log(big, small.length / MiB, "MiB and", table.length, "rows");
}

void main();
