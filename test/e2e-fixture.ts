// A small TypeScript program shared by the bundler, test-runner and TypeScript 7 end-to-end tests:
// types that only TypeScript accepts, a profiled loop, a profiled arrow in another module, and a
// stack trace that must point at the TypeScript line.
import * as path from "node:path";
import { expectedHits, hitsByLine } from "./helpers";
import { mergeProfiles } from "../report/profile";
import { readLprof } from "../report/read";

export const LIB = `/** @profile */
export const scale = (x: number): number => x * 10; // hits: 3
`;

export const APP = `import { scale } from "./lib";

interface Point { x: number; y: number }

/** @profile */
export function total(points: Point[]): number {
  let sum = 0; // hits: 1
  for (const p of points) { // hits: 4
    sum += scale(p.x) + p.y; // hits: 3
  }
  return sum; // hits: 1
}

/** @profile */
function where(): string {
  const frame = new Error("here").stack!.split("\\n")[1]; // hits: 1
  return frame.slice(frame.lastIndexOf("/") + 1).replace(/:\\d+\\)?$/, ""); // hits: 1
}

const pts: Point[] = [{ x: 1, y: 2 }, { x: 3, y: 4 }, { x: 5, y: 6 }];
console.log("total", total(pts), "at", where());
`;

/** What the program prints, profiled or not: the stack frame names the TypeScript line. */
export const APP_OUTPUT = "total 102 at app.ts:16\n";

/** The hits every profile of APP must show, per file. */
/** A marked module of the test-runner and bundler projects, its expected hits in comments. */
export const CART = `export interface Item { price: number; qty: number }

/** @profile */
export function total(items: Item[]): number {
  let sum = 0; // hits: 3
  for (const it of items) { // hits: 6
    sum += it.price * it.qty; // hits: 3
  }
  return sum; // hits: 3
}
`;

export const APP_HITS = { "src/app.ts": expectedHits(APP), "src/lib.ts": expectedHits(LIB) };

/** Hits per line of each file in a profile, by path relative to `dir`; and each function's source snapshot. */
export function profileByFile(file: string, dir: string): Record<string, Record<number, number>> {
  const profile = mergeProfiles([readLprof(file)], { raw: true });
  const out: Record<string, Record<number, number>> = {};
  for (const fn of profile.functions) {
    const rel = path.relative(dir, fn.file).split(path.sep).join("/");
    Object.assign((out[rel] ??= {}), hitsByLine({ ...profile, functions: [fn] }));
  }
  return out;
}
