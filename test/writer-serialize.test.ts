/*
 * The exit write's serializer (writer.ts `serializeRun`) against the reference: the run built as
 * one object and given to `JSON.stringify`. The text must be the same byte for byte, whatever
 * the names and sources hold, with names and sources serialized at registration or not, across
 * chunks of functions; and the file it writes must read back, and merge, as before.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheStaticJson, serializeRun, snapshotRun, writeRun, SERIALIZE_CHUNK, type SerializedRun, type SnapshotSession, type StatsView, type SnapshotSource } from "../runtime/writer";
import { FunctionStats } from "../runtime/stats";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile, type LprofRun } from "../runtime/lprof";
import { readLprof } from "../report/read";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Names and source lines a serializer could get wrong: JSON's escapes, the markers the writer splits on, non-ASCII. */
const AWKWARD = [
  `  const s = "a \\"quoted\\" word";`,
  `\tindented with a tab\t`,
  `  x = '\\\\';  // a backslash`,
  `  const t = ',"lines":0}';`,
  `  const u = ',"",';`,
  `  "lines":0}],[`,
  `  bell \u0007 escape \u001b[31m nul \u0000`,
  `  ünïcödé → 名前 😀`,
  `  lone surrogate \ud800 and \udfff`,
  `  line separator \u2028 paragraph \u2029`,
  ``,
];

function makeFunctions(count: number, mode: "exact" | "sampled"): FunctionStats[] {
  const fns: FunctionStats[] = [];
  for (let i = 0; i < count; i++) {
    const n = 2 + (i % 5);
    const source = Array.from({ length: n + 1 }, (_, k) => AWKWARD[(i + k) % AWKWARD.length]);
    const lines = Array.from({ length: n + 1 }, (_, k) => 10 * i + 1 + k);
    const name = i % 7 === 0 ? `Odd"name\\${i},"lines":0}` : `fn${i}`;
    const f = new FunctionStats(`/src/dir "${i % 3}"/file-${i % 11}.ts`, name, 10 * i + 1, lines, source, i % 2 ? "async" : "sync", mode, [], [], [1]);
    // Some functions never ran (no rows), others ran some lines; times with fractions of a ns.
    if (i % 4 !== 0) {
      for (let slot = 1; slot < lines.length; slot += 1 + (i % 2)) {
        f.hits[slot] = 1 + i * slot;
        f.time[slot] = (i + 1) * slot * 0.0123456789;
        f.wait[slot] = slot === 2 ? 3.3e-4 * i : 0;
        f.nested[slot] = i % 3;
        f.calls[slot] = (i % 3) >> 1;
      }
    }
    fns.push(f);
  }
  // One light line with enough hits: every function gets a measured probe cost (exact mode).
  if (count > 1) {
    fns[1].hits[1] = 5000;
    fns[1].time[1] = 5000;
  }
  return fns;
}

/** The serialized run is the reference text's UTF-8, byte for byte. */
function same(run: SerializedRun, reference: string): void {
  const text = run.text.join("");
  assert.equal(text, reference);
  assert.ok(Buffer.from(text, "utf8").equals(Buffer.from(reference, "utf8")), "the same bytes");
}

/** More than one chunk, the last one partial. */
const MANY = SERIALIZE_CHUNK + 37;

const from: SnapshotSource = { threadId: 0, argv: ["node", "app.js"], chunks: [], memoryOn: false };
const sessionOf = (functions: FunctionStats[], mode: "exact" | "sampled" | "v8"): SnapshotSession => ({
  id: `42-${Date.now()}`, mode, rate: mode === "sampled" ? 4000 : 0, startWall: Date.now(), cwd: "/src", functions,
});

for (const mode of ["exact", "sampled"] as const) {
  test(`${mode}: the serialized run is JSON.stringify of the run's object, byte for byte, with and without registration's part`, () => {
    const fns = makeFunctions(MANY, mode);
    const s = sessionOf(fns, mode);
    const reference = JSON.stringify(snapshotRun(s, true, from, 1234.5));
    same(serializeRun(s, true, from, 1234.5), reference);
    // Registered in modules of a few functions, as a program's files are.
    for (let a = 0; a < fns.length; a += 9) cacheStaticJson(fns.slice(a, a + 9));
    assert.ok(fns.every((f) => typeof f.json === "string"));
    same(serializeRun(s, true, from, 1234.5), reference);
    // Some chunks with the registered part and some without (the first function of one lacks it).
    fns[SERIALIZE_CHUNK].json = undefined;
    same(serializeRun(s, true, from, 1234.5), reference);
    const run = JSON.parse(reference);
    assert.equal(run.functions.length, MANY);
    if (mode === "exact") assert.ok(run.functions.every((f: { probe?: number }) => typeof f.probe === "number"), "every function has its probe cost");
    assert.ok(run.functions.some((f: { lines: unknown[] }) => f.lines.length === 0) && run.functions.some((f: { lines: unknown[] }) => f.lines.length > 0));
  });
}

test("a toJSON of the program's on every object leaves registration's part unmade, and the exit's text right", () => {
  const fns = makeFunctions(30, "exact");
  // One session for both texts: its id and start are read from the clock once.
  const session = sessionOf(fns, "exact");
  const reference = JSON.stringify(snapshotRun(session, true, from, 7));
  const proto = Object.prototype as { toJSON?: (this: object) => unknown };
  // Arrays as they are, every other object renamed: the text keeps its shape, names changed.
  proto.toJSON = function () {
    return Array.isArray(this) ? this.slice() : { ...this, name: "the program's" };
  };
  try {
    cacheStaticJson(fns);
  } finally {
    delete proto.toJSON;
  }
  assert.ok(fns.every((f) => f.json === undefined));
  same(serializeRun(session, true, from, 7), reference);
});

test("a run of no function, and of one, serialize as the reference does", () => {
  for (const n of [0, 1]) {
    const fns = makeFunctions(n, "exact");
    cacheStaticJson(fns);
    const s = sessionOf(fns, "exact");
    same(serializeRun(s, false, from, 99), JSON.stringify(snapshotRun(s, false, from, 99)));
  }
});

/** Values whose text is easy to get wrong: digits written by the writer, and those it leaves to the engine. */
const NUMBERS = [
  0, -0, 1, 9, 10, 99, 100, 99_999_999, 1e8, 100_000_001, 999_999_999, 1e9, 9_007_199_199_999_999, 9_007_199_200_000_000, 1e9 + 1, 4_294_967_295, 4_294_967_296, 12_345_678_901_234,
  2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e20, 123_456_789_012_345_680_000, 1e21, 1.5e300, -1, -1e9, -(2 ** 53), -(2 ** 53) - 2,
  0.5, 1 / 3, 1e-7, -1.2345678901234567e-6, 1.2345678901234567e-6, Number.MIN_VALUE, NaN, Infinity, -Infinity,
];

/** Plain counters of any mode (as the watchdog's views are), each column cycling through `NUMBERS`. */
function viewOf(i: number, mode: "exact" | "sampled" | "v8", memory: boolean, lines: number[]): StatsView {
  const n = lines.length;
  const col = (k: number) => Float64Array.from({ length: n }, (_, slot) => NUMBERS[(i * 7 + slot * 3 + k) % NUMBERS.length]);
  return {
    file: `/src/f${i}.ts`, name: `f${i}`, firstLine: lines[0], lines, source: lines.map((l) => `  line ${l} ünï`), kind: "sync", mode, base: 0, memory,
    hits: col(0), time: col(1).map((x) => x / 1e6), wait: col(2).map((x) => x / 1e6), nested: col(3), calls: col(4), memMax: col(5), allocated: col(6),
  };
}

test("every number is written as JSON.stringify writes it, in every mode and with memory's columns", () => {
  for (const mode of ["exact", "v8"] as const) {
    for (const memory of [false, true]) {
      const fns = Array.from({ length: 60 }, (_, i) => viewOf(i, mode, memory, Array.from({ length: 1 + (i % 9) }, (_, k) => 100 + i + k)));
      const s = { ...sessionOf([], mode), functions: fns };
      const memoryFrom = { ...from, memoryOn: memory };
      const reference = JSON.stringify(snapshotRun(s, true, memoryFrom, 42));
      // Some rows hold numbers JSON writes in other forms than their digits.
      assert.match(reference, /\[\d+,[^\]]*(null|e\+21|0\.5|e-7)/);
      same(serializeRun(s, true, memoryFrom, 42), reference);
      for (const f of fns) cacheStaticJson([f as FunctionStats]);
      same(serializeRun(s, true, memoryFrom, 42), reference);
    }
  }
});

test("rows out of line order are sorted as the reference sorts them; sources far larger in UTF-8 than in UTF-16 units", () => {
  const shuffled = viewOf(1, "exact", false, [50, 53, 51, 52, 51, 60]);
  const ordered = viewOf(2, "exact", false, [70, 71, 71, 72]);
  // 3 bytes of UTF-8 per UTF-16 unit, 4 per pair.
  const wide = { ...viewOf(3, "exact", false, [80, 81, 82]), source: ["名前".repeat(200_000), "😀".repeat(100_000), "x"] };
  const fns = [shuffled, ordered, wide];
  for (const f of fns) f.hits.fill(3);
  const s = { ...sessionOf([], "exact"), functions: fns };
  const reference = JSON.stringify(snapshotRun(s, true, from, 5));
  const parsed = JSON.parse(reference) as LprofRun;
  assert.deepEqual(parsed.functions.map((f) => f.lines.map((row) => row[0])), [[51, 51, 52, 53, 60], [71, 71, 72], [81, 82]]);
  for (const f of fns) cacheStaticJson([f as FunctionStats]);
  assert.ok(fns.every((f) => f.json !== undefined));
  same(serializeRun(s, true, from, 5), reference);
});

test("the serialized run's file reads back as the reference's, and a running sibling's run is kept beside it", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-serialize-"));
  dirs.push(dir);
  const fns = makeFunctions(40, "exact");
  cacheStaticJson(fns);
  const s = sessionOf(fns, "exact");
  const ours = path.join(dir, "ours.lprof"), reference = path.join(dir, "reference.lprof");
  writeRun(ours, serializeRun(s, true, from, 500), s.startWall);
  writeRun(reference, snapshotRun(s, true, from, 500), s.startWall);
  assert.equal(fs.readFileSync(ours, "utf8"), fs.readFileSync(reference, "utf8"));
  assert.deepEqual(readLprof(ours), readLprof(reference));
  // Another process of the same session wrote since: its run stays, ours is added.
  const sibling = { ...snapshotRun(s, true, from, 400), id: "77-0-1", pid: 77 };
  fs.writeFileSync(ours, JSON.stringify({ format: LPROF_FORMAT, version: LPROF_VERSION, unit: 1e-9, runs: [sibling] } satisfies LprofFile));
  writeRun(ours, serializeRun(s, true, from, 600), s.startWall);
  const both = readLprof(ours);
  assert.deepEqual(both.runs.map((r) => r.id).sort(), ["77-0-1", serializeRun(s, true, from, 600).id].sort());
  assert.equal(both.runs[1].functions.length, 40);
  assert.deepEqual(both.runs[1].functions[5], readLprof(reference).runs[0].functions[5]);
});

test("each row holds the line's counters as the format says: times rounded to ns, lines that never ran left out", () => {
  for (const mode of ["exact", "v8"] as const) {
    const fns = Array.from({ length: 40 }, (_, i) => viewOf(i, mode, false, Array.from({ length: 2 + (i % 7) }, (_, k) => 300 + i + k)));
    // Some slots with nothing at all: no row.
    for (const f of fns) for (let slot = 1; slot < f.lines.length; slot += 3) f.hits[slot] = f.time[slot] = f.wait[slot] = 0;
    const s = { ...sessionOf([], mode), functions: fns };
    const run = JSON.parse(serializeRun(s, true, from, 3).text.join("")) as LprofRun;
    const ns = (ms: number) => Math.round(ms * 1e6);
    const expected = fns.map((f) => {
      const rows: number[][] = [];
      for (let slot = 1; slot < f.lines.length; slot++) {
        const [h, t, w] = [f.hits[slot], ns(f.time[slot]), ns(f.wait[slot])];
        if (!(h || t || w)) continue;
        rows.push(mode === "v8" ? [f.lines[slot], h, t, w, Math.round(f.nested[slot])] : [f.lines[slot], h, t, w, f.nested[slot], f.calls[slot]]);
      }
      return rows;
    });
    // Through JSON, as the file holds them (NaN and the infinities as null).
    assert.deepEqual(run.functions.map((f) => f.lines), JSON.parse(JSON.stringify(expected)), mode);
    assert.ok(expected.some((rows, i) => rows.length < fns[i].lines.length - 1), "some lines left out");
  }
});
