/*
 * `tsprof heap` on snapshot files written by v8.writeHeapSnapshot(), and the streaming parser
 * under every way a file can arrive in pieces or broken.
 */
import { after as cleanUp, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HeapSnapshotError, HeapSnapshotParser, readHeapSnapshot } from "../report/heap-snapshot";
import { describe, typeStats } from "../report/heap-graph";
import { runNode, tsprof } from "./helpers";
import { decodePng } from "./png";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-heap-"));
cleanUp(() => fs.rmSync(dir, { recursive: true, force: true }));
const before = path.join(dir, "before.heapsnapshot");
const after = path.join(dir, "after.heapsnapshot");
fs.writeFileSync(path.join(dir, "cache.js"), `
class Order { constructor(n) { this.customer = "c" + n; } }
const orders = new Map();
exports.place = (n) => { const o = new Order(n); orders.set("o" + n, o); return o; };
`);
fs.writeFileSync(path.join(dir, "app.js"), `
const v8 = require("node:v8");
const { place } = require("./cache");
v8.writeHeapSnapshot(${JSON.stringify(before)});
let seventh;
for (let n = 0; n < 300; n++) { const o = place(n); if (n === 7) seventh = o; }
v8.writeHeapSnapshot(${JSON.stringify(after)});
`);
const made = runNode([path.join(dir, "app.js")], { cwd: dir });
assert.equal(made.status, 0, made.stderr);

test("one snapshot: objgraph's most common types", () => {
  const r = tsprof(["heap", before, "-n", "5"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /before\.heapsnapshot: \d+ nodes, \d+ edges$/);
  assert.equal(lines.length, 6);
  const rows = lines.slice(1).map((l) => /^(\S+) +(\d+)$/.exec(l));
  assert.ok(rows.every(Boolean), r.stdout);
  const counts = rows.map((m) => Number(m![2]));
  assert.deepEqual(counts, [...counts].sort((a, b) => b - a));
  // Same figures as the parser's own count; progress ends at the file's size.
  const progress: [number, number][] = [];
  const stats = typeStats(readHeapSnapshot(before, { onProgress: (done, total) => progress.push([done, total]) }));
  const size = fs.statSync(before).size;
  assert.deepEqual(progress[progress.length - 1], [size, size]);
  for (const m of rows) assert.equal(stats.get(m![1]), Number(m![2]));
});

test("two snapshots: the leaked class with its exact growth, and the chain of a new object through the Map", () => {
  const png = path.join(dir, "chain.png");
  const svg = path.join(dir, "chain.svg");
  const dot = path.join(dir, "chain.dot");
  const r = tsprof(["heap", before, after, "--new", "3", "--png", png, "--svg", svg, "--dot", dot]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Order +300 +\+300$/m);
  const newest = r.stdout.split("Largest new objects:\n")[1].split("\n").slice(0, 3);
  for (const l of newest) assert.match(l, /^ {2}Order \{customer\} \(\d+ bytes\) @\d+$/);
  const chain = r.stdout.split(/Retainer chain of @\d+:\n/)[1].split("\n").filter((l) => l.startsWith("  -"));
  assert.match(chain[chain.length - 1], /^ {2}-get\("o\d+"\)-> Order/);
  assert.match(chain[chain.length - 2], /^ {2}-orders-> Map 300 entries/);
  assert.match(chain[chain.length - 3], /^ {2}-\S+-> \(scope\) \{Order, orders\}/);
  const boxes = chain.length + 1;
  assert.match(r.stdout, new RegExp(`Graph written to ${dot.replace(/[.\\/]/g, "\\$&")} \\(${boxes} nodes\\)`));
  assert.equal((fs.readFileSync(dot, "utf8").match(/ -> /g) ?? []).length, boxes - 1);
  assert.equal((fs.readFileSync(svg, "utf8").match(/class="node"/g) ?? []).length, boxes);
  const pixels = decodePng(fs.readFileSync(png));
  assert.ok(pixels.width > 150 && pixels.width < 1000 && pixels.height > 60 * boxes && pixels.height < 160 * boxes, `${pixels.width}x${pixels.height}`);
});

test("--chain ID: the retainer chain of one object; --graph backrefs draws objgraph's show_backrefs", () => {
  const s = readHeapSnapshot(after);
  let id = -1;
  for (let n = 0; n < s.nodeCount && id < 0; n++) {
    if (s.nodeName(n) === "Map" && describe(s, n).repr === "300 entries") id = s.nodeId(n);
  }
  assert.ok(id > 0);
  const dot = path.join(dir, "map.dot");
  const r = tsprof(["heap", after, "--chain", `@${id}`, "--graph", "backrefs", "--dot", dot, "--max-depth", "2"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Retainer chain of @${id}:\\n`));
  assert.match(r.stdout, new RegExp(`-orders-> Map 300 entries \\(\\d+ bytes\\) @${id}\\n`));
  const text = fs.readFileSync(dot, "utf8");
  assert.match(text, new RegExp(`o${id}\\[fontcolor=red\\];`));
  assert.match(text, new RegExp(`-> o${id} \\[label="orders",weight=2\\];`));

  const missing = tsprof(["heap", after, "--chain", "1234567"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^tsprof heap: no object @1234567 in .+after\.heapsnapshot; use an id/);
});

test("a truncated, foreign or missing file: one line naming the file and the problem, exit 1", () => {
  const whole = fs.readFileSync(after);
  const cut = path.join(dir, "cut.heapsnapshot");
  fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
  const r = tsprof(["heap", cut]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^tsprof: .*cut\.heapsnapshot is not a V8 heap snapshot \(truncated: the file ends inside "(nodes|edges|strings)" at byte \d+\); take the snapshot again/);

  const foreign = path.join(dir, "profile.json");
  fs.writeFileSync(foreign, JSON.stringify({ nodes: [], startTime: 0 }));
  const f = tsprof(["heap", foreign]);
  assert.equal(f.status, 1);
  assert.match(f.stderr, /profile\.json is not a V8 heap snapshot \("nodes" comes before "snapshot"/);

  const none = tsprof(["heap", path.join(dir, "nope.heapsnapshot")]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /^tsprof: cannot read .*nope\.heapsnapshot \(no such file\)/);

  const usage = tsprof(["heap"]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /give a \.heapsnapshot file/);
  const help = tsprof(["heap", "--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^usage: tsprof heap FILE\.heapsnapshot \[OTHER\.heapsnapshot\]/);
});

// A hand-made snapshot with escapes and multi-byte characters, split at every byte.
const TINY = JSON.stringify({
  snapshot: {
    meta: {
      node_fields: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
      node_types: [["hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native", "synthetic"], "string", "number", "number", "number", "number", "number"],
      edge_fields: ["type", "name_or_index", "to_node"],
      edge_types: [["context", "element", "property", "internal", "hidden", "shortcut", "weak"], "string_or_number", "node"],
    },
    node_count: 3, edge_count: 2, trace_function_count: 0,
  },
  nodes: [9, 0, 1, 0, 1, 0, 0, 3, 1, 3, 32, 1, 0, 0, 2, 2, 5, 24, 0, 0, 0],
  edges: [5, 3, 7, 2, 4, 14],
  trace_function_infos: [], trace_tree: [[1, 2, [3, [4]]]], samples: [], locations: [],
  strings: ["", "Café \"Ω\"", "line\nbreak \\ é😀", "label", "näme"],
});

test("the parser reads a snapshot split anywhere, and keeps escapes and UTF-8 intact", () => {
  const bytes = Buffer.from(TINY);
  const check = (chunks: Buffer[]) => {
    const p = new HeapSnapshotParser("tiny");
    for (const c of chunks) p.write(c);
    const s = p.end();
    assert.equal(s.nodeCount, 3);
    assert.deepEqual([0, 1, 2].map((n) => s.nodeName(n)), ["", "Café \"Ω\"", "line\nbreak \\ é😀"]);
    assert.equal(s.edgeTo(0), 1);
    assert.equal(s.edgeName(0), "label");
    assert.equal(s.edgeName(1), "näme");
    assert.deepEqual([...s.retainers(2)], [1]);
  };
  for (let at = 1; at < bytes.length; at++) check([bytes.subarray(0, at), bytes.subarray(at)]);
  check([...bytes].map((b) => Buffer.from([b])));
  for (let at = 1; at < bytes.length - 1; at++) {
    const p = new HeapSnapshotParser("tiny");
    p.write(bytes.subarray(0, at));
    assert.throws(() => p.end(), HeapSnapshotError);
  }
  const bad = TINY.replace('"edges":[5,3,7', '"edges":[5,3,8');
  assert.throws(() => { const p = new HeapSnapshotParser("bad"); p.write(Buffer.from(bad)); p.end(); }, /edge 0 points outside "nodes"/);
});
