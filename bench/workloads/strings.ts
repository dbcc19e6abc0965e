// String and Map processing: word frequencies of a 100,000-word text.
const WORDS = ["alpha", "Beta", "gamma", "delta", "Epsilon", "zeta", "eta", "theta"];
const TEXT = Array.from({ length: 100_000 }, (_, i) => WORDS[(i * 7) % 8]).join(" ");

/** @profile */
function countWords(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.split(" ")) {
    const w = word.toLowerCase();
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}
export const run = () => countWords(TEXT).size;
