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
import { cacheStaticJson, serializeRun, snapshotRun, writeRun, SERIALIZE_CHUNK, type SnapshotSession, type SnapshotSource } from "../runtime/writer";
import { FunctionStats } from "../runtime/stats";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile } from "../runtime/lprof";
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

const from: SnapshotSource = { threadId: 0, argv: ["node", "app.js"], chunks: [], memoryOn: false };
const sessionOf = (functions: FunctionStats[], mode: "exact" | "sampled"): SnapshotSession => ({
  id: `42-${Date.now()}`, mode, rate: mode === "sampled" ? 4000 : 0, startWall: Date.now(), cwd: "/src", functions,
});

for (const mode of ["exact", "sampled"] as const) {
  test(`${mode}: the serialized run is JSON.stringify of the run's object, byte for byte, with and without registration's part`, () => {
    // More than one chunk, the last one partial.
    const fns = makeFunctions(SERIALIZE_CHUNK + 37, mode);
    const s = sessionOf(fns, mode);
    const reference = JSON.stringify(snapshotRun(s, true, from, 1234.5));
    assert.equal(serializeRun(s, true, from, 1234.5).text.join(""), reference);
    // Registered in modules of a few functions, as a program's files are.
    for (let a = 0; a < fns.length; a += 9) cacheStaticJson(fns.slice(a, a + 9));
    assert.ok(fns.every((f) => typeof f.json === "string"));
    assert.equal(serializeRun(s, true, from, 1234.5).text.join(""), reference);
    // Some chunks with the registered part and some without (the first function of one lacks it).
    fns[SERIALIZE_CHUNK].json = undefined;
    assert.equal(serializeRun(s, true, from, 1234.5).text.join(""), reference);
    const run = JSON.parse(reference);
    assert.equal(run.functions.length, SERIALIZE_CHUNK + 37);
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
  assert.equal(serializeRun(session, true, from, 7).text.join(""), reference);
});

test("a run of no function, and of one, serialize as the reference does", () => {
  for (const n of [0, 1]) {
    const fns = makeFunctions(n, "exact");
    cacheStaticJson(fns);
    const s = sessionOf(fns, "exact");
    assert.equal(serializeRun(s, false, from, 99).text.join(""), JSON.stringify(snapshotRun(s, false, from, 99)));
  }
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
