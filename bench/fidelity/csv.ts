// CSV aggregation: split each row, parse two numbers, total per key in a Map.
const REGIONS = ["north", "south", "east", "west", "centre", "coast", "hills", "plain"];

function makeRows(n: number): string[] {
  const rows: string[] = [];
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    rows.push(`${REGIONS[seed % REGIONS.length]},item${seed % 97},${(seed % 1000) / 10},${1 + (seed % 7)},ok`);
  }
  return rows;
}

/** @profile */
function csv(rows: string[]): Map<string, number> {
  const totals = new Map<string, number>();
  let skipped = 0;
  for (const row of rows) {
    const fields = row.split(",");
    if (fields.length < 4) { skipped++; continue; }
    const price = parseFloat(fields[2]);
    const qty = parseFloat(fields[3]);
    const key = fields[0];
    totals.set(key, (totals.get(key) ?? 0) + price * qty);
  }
  if (skipped > 0) totals.set("skipped", skipped);
  return totals;
}

const ROWS = makeRows(20_000);
export const run = () => csv(ROWS).size;
export const reps = 15;
