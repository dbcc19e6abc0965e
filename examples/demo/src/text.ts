import { profile } from "tsprof";

export class WordCounter {
  private counts = new Map<string, number>();

  @profile
  add(text: string): void {
    const words = text.toLowerCase().split(/[^a-z']+/);
    for (const word of words) {
      if (word.length < 3) continue;
      this.counts.set(word, (this.counts.get(word) ?? 0) + 1);
    }
  }

  top(n: number): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, n);
  }
}
