/*
 * A seeded mutation fuzzer of `.lprof` files, run through everything `tsprof view` does with
 * one: read and validate, merge, format (every report layout, several units). A mutant must be
 * refused with one line (an `LprofError`), or print a report with no `NaN`, no `Infinity`, no
 * `-0.0` and no character a terminal would act on. Used by test/fuzz.test.ts (a few seconds)
 * and bench/fuzz-lprof.ts (as long as you like).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatMemoryReport, formatReport } from "../report/line-report";
import { mergeProfiles } from "../report/profile";
import { LprofError, readLprof } from "../report/read";

export { rng } from "../bench/big-profile";
import { rng } from "../bench/big-profile";

/** Valid profiles to mutate: exact, sampled with memory, two runs. */
export function seeds(): unknown[] {
  const run = (mode: string, columns: string[], lines: number[][], extra: Record<string, unknown> = {}) => ({
    id: `1-0-${lines.length}`, session: "s", pid: 1, threadId: 0, argv: ["node", "app.js"], cwd: "/p", node: "v20.0.0",
    start: "2026-01-01T00:00:00.000Z", end: "2026-01-01T00:00:01.000Z", duration: 1, mode, columns, complete: true,
    calibration: { probe: 41.5, call: 2.5 }, ...extra,
    functions: [
      { file: "/p/app.ts", name: "Cart.total", line: 3, kind: "sync", source: ["/** @profile */", "total() {", "  let s = 0;", "  for (const x of this.items) s += x;", "  return s;", "}"], lines },
      { file: "/p/lib/util.ts", name: "never", line: 1, kind: "async", source: ["async function never() {", "  return 1;", "}"], lines: [] },
    ],
  });
  return [
    { format: "tsprof-lprof", version: 1, unit: 1e-9, runs: [run("exact", ["line", "hits", "time", "wait", "nested", "calls"], [[5, 1, 900, 0, 0, 0], [6, 101, 52000, 0, 0, 0], [7, 1, 400, 10, 0, 0]])] },
    { format: "tsprof-lprof", version: 1, unit: 1e-9, runs: [run("sampled", ["line", "hits", "time", "wait", "samples", "memory", "allocated"], [[5, 1, 250000, 0, 1, 4194304, 0], [6, 101, 5000000, 0, 20, 8388608, 1048576]], { rate: 4000 })] },
    {
      format: "tsprof-lprof", version: 1, unit: 1e-9,
      runs: [run("exact", ["line", "hits", "time", "wait", "nested", "calls"], [[6, 10, 5000, 0, 2, 1]]), run("exact", ["line", "hits", "time", "wait", "nested", "calls"], [[6, 5, 2500, 0, 1, 0]])],
    },
  ];
}

const INTERESTING: unknown[] = [
  -1, 0, 0.5, -0.5, 1, 1.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324, -5e-324, Number.MAX_VALUE,
  null, true, false, "", "x", "0", "\u001b[2J\u001b[31m", "\u202e", "\u0000", "a\nb", "x".repeat(10_000), [], {}, [[[[[]]]]],
];

type Json = unknown;

/** Every path to a value inside `v`, to a depth of 12 (a deep mutant's depths are the reader's problem, not ours). */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (at.length >= 12) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === "object") for (const k of Object.keys(v)) paths((v as Record<string, Json>)[k], [...at, k], out);
  return out;
}

function setAt(root: Json, at: (string | number)[], value: Json | undefined): Json {
  if (at.length === 0) return value;
  let o = root as Record<string | number, Json>;
  for (const k of at.slice(0, -1)) o = o[k] as Record<string | number, Json>;
  const last = at[at.length - 1];
  if (value === undefined) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else {
    o[last] = value;
  }
  return root;
}

function getAt(root: Json, at: (string | number)[]): Json {
  let o = root;
  for (const k of at) o = (o as Record<string | number, Json>)[k];
  return o;
}

/** One mutant of `seed`: a few structural edits, or damage to its bytes. */
export function mutate(seed: Json, random: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  let doc = JSON.parse(JSON.stringify(seed)) as Json;
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const all = paths(doc);
    const at = pick(all);
    const kind = random();
    if (kind < 0.45) doc = setAt(doc, at, pick(INTERESTING));
    else if (kind < 0.6) {
      const v = getAt(doc, at);
      if (typeof v === "number") doc = setAt(doc, at, pick([v * -1, v * 1e300, v / 3, v + 0.5, -0, v * 2 ** 60]));
    } else if (kind < 0.7 && at.length > 0) doc = setAt(doc, at, undefined);
    else if (kind < 0.8) {
      const v = getAt(doc, at);
      if (Array.isArray(v) && v.length > 0) v.push(JSON.parse(JSON.stringify(pick(v))));
    } else if (kind < 0.9) {
      const other = pick(all);
      doc = setAt(doc, at, JSON.parse(JSON.stringify(getAt(doc, other) ?? null)));
    } else {
      let deep: Json = pick(INTERESTING);
      for (let d = Math.floor(random() * 2000); d > 0; d--) deep = [deep];
      doc = setAt(doc, at, deep);
    }
  }
  let text = JSON.stringify(doc) ?? "null";
  if (random() < 0.3) {
    const bytes = Buffer.from(text);
    const i = Math.floor(random() * bytes.length);
    const how = random();
    if (how < 0.3) text = bytes.subarray(0, i).toString("latin1");
    else if (how < 0.6) { bytes[i] = Math.floor(random() * 256); text = bytes.toString("latin1"); }
    else if (how < 0.8) text = `${text.slice(0, i)}${text.slice(i, i + Math.floor(random() * 50))}${text.slice(i)}`;
    else text = `${text.slice(0, i)}${pick(["[", "{", "\"", ",", "-", "1e999", "\u001b"])}${text.slice(i)}`;
  }
  return text;
}

/** What a report must never show: unusable numbers, or characters a terminal acts on. */
const UNUSABLE = /NaN|Infinity|-0\.0\b|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export interface FuzzResult {
  cases: number;
  refused: number;
  shown: number;
  failures: { seed: number; case: number; problem: string; input: string }[];
}

/** Runs `cases` mutants from `seed`; stops at the first 5 failures. */
export function fuzz(seed: number, cases: number): FuzzResult {
  const random = rng(seed);
  const corpus = seeds();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-fuzz-"));
  const file = path.join(dir, "m.lprof");
  const result: FuzzResult = { cases: 0, refused: 0, shown: 0, failures: [] };
  try {
    for (let c = 0; c < cases && result.failures.length < 5; c++) {
      const input = mutate(corpus[c % corpus.length], random);
      fs.writeFileSync(file, input, "latin1");
      result.cases++;
      const fail = (problem: string) => result.failures.push({ seed, case: c, problem, input: input.slice(0, 2000) });
      let data;
      try {
        data = readLprof(file);
      } catch (e) {
        if (!(e instanceof LprofError)) { fail(`threw ${(e as Error).stack}`); continue; }
        if (!e.message.startsWith(`tsprof: ${file}`) || e.message.includes("\n")) fail(`refusal is not one line naming the file: ${e.message}`);
        result.refused++;
        continue;
      }
      try {
        const profile = mergeProfiles([data], { raw: random() < 0.2 });
        const outputUnit = [undefined, 1e-9, 1e-3, 1, 1e-15, 1e3][c % 6];
        const texts = [
          formatReport(profile, { outputUnit, memory: profile.memory, summarize: true, wait: true, samples: true, sort: c % 2 === 0 }),
          formatReport(profile, { skipZero: true }),
          formatMemoryReport(profile, { precision: c % 4 }),
        ];
        for (const t of texts) {
          const bad = UNUSABLE.exec(t);
          if (bad) { fail(`report shows ${JSON.stringify(bad[0])}: ${t.slice(Math.max(0, bad.index - 200), bad.index + 50)}`); break; }
        }
        result.shown++;
      } catch (e) {
        fail(`accepted, then formatting threw ${(e as Error).stack}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}
