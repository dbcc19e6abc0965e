import { WordCounter } from "./text";

/** @profile */
function primes(limit: number): number[] {
  const sieve = new Uint8Array(limit + 1);
  const found: number[] = [];
  for (let i = 2; i <= limit; i++) {
    if (sieve[i]) continue;
    found.push(i);
    for (let j = i * i; j <= limit; j += i) sieve[j] = 1;
  }
  return found;
}

/** @profile */
async function report(text: string) {
  const counter = new WordCounter();
  for (let i = 0; i < 200; i++) counter.add(text);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const ps = primes(200_000);
  return `${ps.length} primes below 200000; top words: ${counter.top(3).map(([w, n]) => `${w}×${n}`).join(", ")}`;
}

const TEXT = `It was the best of times, it was the worst of times, it was the age of wisdom,
it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity,
it was the season of Light, it was the season of Darkness, it was the spring of hope.`;

report(TEXT).then(console.log);
