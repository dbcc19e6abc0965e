/*
 * A large `.lprof`, generated deterministically (a seeded generator, no file in the repository):
 * what a program with thousands of profiled functions (`tsprof run --all` on a big code base)
 * leaves behind. `npm run bench:view` times `tsprof view` and the exit write on it; the tests
 * use small ones to check the fast paths against the reference ones.
 */
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile, type LprofFunction, type LprofRun } from "../runtime/lprof";

/** mulberry32: a tiny, seeded, uniform generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["total", "item", "cart", "price", "index", "node", "value", "result", "buffer", "count", "state", "entry", "token", "parse", "render"];
const TEMPLATES = [
  (a: string, b: string) => `  const ${a} = ${b}.get(key) ?? 0;`,
  (a: string, b: string) => `  for (const ${a} of ${b}) {`,
  (a: string, b: string) => `    ${a} += ${b}.price * ${b}.quantity;`,
  (a: string, b: string) => `  if (${a}.length > ${b}.length) return ${a};`,
  (a: string, b: string) => `    ${a}.push({ ${b}, at: Date.now() });`,
  (a: string) => `  }`,
  (a: string, b: string) => `  return ${a}.map((x) => x.${b});`,
  (a: string, b: string) => `  // keep ${a} sorted by ${b}`,
  (a: string, b: string) => `\tthis.${a} = ${b};`,
];

export interface BigProfileOptions {
  functions?: number;
  seed?: number;
  /** Runs of the same program in the file (processes of one session). */
  runs?: number;
  /** Add memory mode's columns. */
  memory?: boolean;
}

/**
 * A profile of `functions` functions in about a tenth as many files, each with 3–20 source lines
 * of which most ran, with hits from 1 to millions and times in nanoseconds: 12,752 functions make
 * a 9.96 MB file.
 */
export function bigProfile(options: BigProfileOptions = {}): LprofFile {
  const count = options.functions ?? 12_752;
  const random = rng(options.seed ?? 15);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: T[]) => xs[int(xs.length)];
  const fileCount = Math.max(1, Math.round(count / 10));
  const files = Array.from({ length: fileCount }, (_, i) => `/home/dev/app/src/${pick(WORDS)}/${pick(WORDS)}-${i}.ts`);
  const functions: LprofFunction[] = [];
  for (let i = 0; i < count; i++) {
    const length = 3 + int(22);
    const source = [`  /** @profile */`, `  ${pick(WORDS)}${i}(${pick(WORDS)}: number) {`];
    while (source.length < length) source.push(pick(TEMPLATES)(pick(WORDS), pick(WORDS)));
    const line = 1 + int(2000);
    const calls = int(4) === 0 ? 0 : 1 + int(int(3) === 0 ? 2_000_000 : 500);
    const lines: number[][] = [];
    for (let k = 1; k < length; k++) {
      if (calls === 0 || int(5) === 0) continue;
      const hits = calls * (1 + (int(4) === 0 ? int(50) : 0));
      // Per-hit times from a few ns to a few ms, heavy-tailed as real lines are.
      const perHit = Math.exp(random() * (calls > 1000 ? 6 : 13)) * (0.5 + random());
      const time = Math.round(hits * perHit + 40 * hits);
      const nested = int(6) === 0 ? hits * int(3) : 0;
      const nestedCalls = nested ? Math.floor(nested / 2) : 0;
      const row = [line + k, hits, time, int(10) === 0 ? int(1e7) : 0, nested, nestedCalls];
      if (options.memory) row.push(int(200) * 1024 * 1024 + int(1 << 20), int(3) === 0 ? int(1 << 24) : 0);
      lines.push(row);
    }
    functions.push({ file: files[i % fileCount], name: `${pick(WORDS)[0].toUpperCase()}${pick(WORDS)}.${pick(WORDS)}${i}`, line, kind: "sync", source, lines });
  }
  const runs: LprofRun[] = [];
  for (let r = 0; r < (options.runs ?? 1); r++) {
    runs.push({
      id: `4242${r}-0-1764590000000`,
      session: "bench-session",
      pid: 42420 + r,
      threadId: 0,
      argv: ["/usr/bin/node", "/home/dev/app/dist/main.js"],
      cwd: "/home/dev/app",
      node: "v20.20.0",
      start: "2025-12-01T12:00:00.000Z",
      end: "2025-12-01T12:00:12.500Z",
      duration: 12.5,
      mode: "exact",
      columns: ["line", "hits", "time", "wait", "nested", "calls", ...(options.memory ? (["memory", "allocated"] as const) : [])],
      complete: true,
      calibration: { probe: 38.62, call: 112.4 },
      functions: r === 0 ? functions : functions.map((f) => ({ ...f, lines: f.lines.map((row) => row.slice()) })),
    });
  }
  return { format: LPROF_FORMAT, version: LPROF_VERSION, unit: 1e-9, runs };
}
