// String and Map processing: word frequencies of a 100,000-word text. The text is rebuilt before
// each run (untimed), so no run can reuse V8's cached `split` of a string it saw before.
const WORDS = ["alpha", "Beta", "gamma", "delta", "Epsilon", "zeta", "eta", "theta"];
let text = "";
let round = 0;

/** @profile */
function countWords(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of text.split(" ")) {
    const w = word.toLowerCase();
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}
export const prepare = () => {
  round++;
  text = Array.from({ length: 100_000 }, (_, i) => WORDS[(i * 7 + round) % 8]).join(" ");
};
export const run = () => countWords(text).size;
