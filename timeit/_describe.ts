/** What was thrown, on one line: `TypeError: x is not a function`; longer messages end in `…`. */
export function describeThrown(thrown: unknown): string {
  const text = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : typeof thrown === "string" ? JSON.stringify(thrown) : String(thrown);
  const [first, ...more] = text.split("\n");
  return more.some((line) => line.trim() !== "") ? `${first} …` : first;
}
