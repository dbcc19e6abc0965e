/*
 * tsprof/objgraph in real programs: the ported objgraph example (exact nodes and edges of both
 * graphs), the leak recipe on a cache held by a module-level Map, a worker thread, and the
 * pictures checked by structure and pixels. Each program runs in its own process, so its heap
 * holds only what it made.
 */
import { after, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { compile, makeProject, ROOT, runNode } from "./helpers";
import { decodePng, share } from "./png";
import type { HeapNode } from "../report/heap-graph";

const FIXTURES = path.join(ROOT, "fixtures", "objgraph");

/** A project where `tsprof/objgraph` resolves through package.json "exports", with the fixtures built. */
function project(): string {
  const dir = makeProject("tsprof-objgraph-");
  for (const name of fs.readdirSync(FIXTURES)) {
    if (!name.endsWith(".ts")) continue;
    const js = compile(fs.readFileSync(path.join(FIXTURES, name), "utf8"), name, { plain: true });
    fs.writeFileSync(path.join(dir, name.replace(/\.ts$/, ".js")), js);
  }
  return dir;
}

const dir = project();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** DOT edges as `from -label-> to`, nodes named by their label's first two lines (type, description). */
function readDot(file: string): { nodes: string[]; edges: string[] } {
  const dot = fs.readFileSync(file, "utf8");
  const labels = new Map<string, string>();
  for (const m of dot.matchAll(/^ {2}(o\d+)\[label="((?:[^"\\]|\\.)*)"\];$/gm)) labels.set(m[1], m[2].split("\\n").slice(0, 2).join(" "));
  const edges: string[] = [];
  for (const m of dot.matchAll(/^ {2}(o\d+) -> (o\d+)(?: \[label="((?:[^"\\]|\\.)*)",weight=2\])?;$/gm)) {
    edges.push(`${labels.get(m[1])} -${m[3] ?? ""}-> ${labels.get(m[2])}`);
  }
  return { nodes: [...labels.values()].sort(), edges: edges.sort() };
}

test("the objgraph example: showRefs([y]) and showBackrefs([x]) draw exactly objgraph's graphs", () => {
  const r = runNode(["seed.js"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const written = [...r.stdout.matchAll(/^Graph written to (.+\.dot) \((\d+) nodes\)$/gm)];
  assert.equal(written.length, 2, r.stdout);
  assert.match(lines[1], /^Image generated as sample-graph\.png$/);
  assert.match(lines[3], /^Image generated as sample-backref-graph\.png$/);

  // objgraph: "(4 nodes)": y, x, [x] and {x}; no labels on list items there, indexes here.
  assert.equal(written[0][2], "4");
  const refs = readDot(written[0][1]);
  assert.deepEqual(refs.nodes, ["Array 0 items", "Array 1 item", "Array 3 items", "Object {x}"]);
  assert.deepEqual(refs.edges, [
    "Array 1 item -[0]-> Array 0 items",
    "Array 3 items -[0]-> Array 0 items",
    "Array 3 items -[1]-> Array 1 item",
    "Array 3 items -[2]-> Object {x}",
    "Object {x} -x-> Array 0 items",
  ]);

  // objgraph draws the module's globals holding x and y, and what holds them; in JavaScript
  // that is the module's scope, held by the function that uses it and its running call.
  const back = readDot(written[1][1]);
  assert.equal(written[1][2], String(back.nodes.length));
  assert.deepEqual(back.nodes, ["(scope) {objgraph_1, x, y}", "Array 0 items", "Array 1 item", "Array 3 items", "Function main()", "Generator {}", "Object {x}"]);
  assert.deepEqual(back.edges, [
    "(scope) {objgraph_1, x, y} -x-> Array 0 items",
    "(scope) {objgraph_1, x, y} -y-> Array 3 items",
    "Array 1 item -[0]-> Array 0 items",
    "Array 3 items -[0]-> Array 0 items",
    "Array 3 items -[1]-> Array 1 item",
    "Array 3 items -[2]-> Object {x}",
    "Function main() -scope-> (scope) {objgraph_1, x, y}",
    "Generator {} -function-> Function main()",
    "Generator {} -scope-> (scope) {objgraph_1, x, y}",
    "Object {x} -x-> Array 0 items",
  ]);

  // showGrowth({ limit: 4 }) on its first call: everything since the start, objgraph's layout.
  const growth = lines.slice(4);
  assert.equal(growth.length, 4, r.stdout);
  const rows = growth.map((l) => /^(\S+) +(\d+) +\+(\d+)$/.exec(l));
  assert.ok(rows.every(Boolean), growth.join("\n"));
  const deltas = rows.map((m) => Number(m![3]));
  assert.deepEqual(deltas, [...deltas].sort((a, b) => b - a));
  for (const m of rows) assert.equal(m![2], m![3], "first call: delta = count");
  assert.ok(rows.some((m) => m![1] === "String") && rows.some((m) => m![1] === "Function"), growth.join("\n"));
  // Column layout: '%-*s%9d %+9d'.
  const width = Math.max(...rows.map((m) => m![1].length));
  assert.equal(growth[0].length, width + 9 + 1 + 9);

  const png = decodePng(fs.readFileSync(path.join(dir, "sample-backref-graph.png")));
  assert.ok(png.width > 150 && png.width < 1200 && png.height > 300 && png.height < 2000, `${png.width}x${png.height}`);
});

test("leak recipe: showGrowth names the leaked class with its exact delta; the chain runs root → Map → object", () => {
  const r = runNode(["leak.js"], { cwd: dir, env: { ...process.env, REQUESTS: "250" } });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.ok(lines.some((l) => /^Session +250 +\+250$/.test(l)), r.stdout);
  // getNewIds' table, objgraph's columns: Type, Old_ids, Current_ids, New_ids, Count_Deltas.
  const header = lines.findIndex((l) => l.startsWith("Type "));
  assert.match(lines[header], /^Type +Old_ids +Current_ids +New_ids +Count_Deltas$/);
  assert.match(lines[header - 1], /^=+$/);
  assert.equal(lines[header - 1].length, lines[header].length);
  const newRow = lines.slice(header + 2, header + 5).find((l) => l.startsWith("Session "));
  assert.match(newRow ?? "", /^Session +0 +250 +\+250 +\+250$/);
  const info = JSON.parse(lines.find((l) => l.startsWith("{"))!) as { chain: HeapNode[]; count: number; live: number; newSessions: number; pause: { pauseMs: number; nodes: number; bytes: number } };
  assert.equal(info.count, 250);
  assert.equal(info.live, 250, "byType gives back the live instances");
  assert.equal(info.newSessions, 250);
  assert.ok(info.pause.pauseMs > 0 && info.pause.nodes > 1000 && info.pause.bytes > 100_000, JSON.stringify(info.pause));

  const chain = info.chain;
  assert.match(chain[0].type, /^\(.*\)$/, "the chain starts at a GC root");
  assert.notEqual(chain[0].type, "(Stack roots)", "held by the module, not by the caller's variables");
  const [map, session] = chain.slice(-2);
  assert.equal(map.type, "Map");
  assert.equal(map.repr, "250 entries");
  assert.equal(map.edge, "cache");
  assert.equal(session.type, "Session");
  assert.equal(session.edge, 'get("s7")');
  const scope = chain[chain.length - 3];
  assert.equal(scope.type, "(scope)");
  // The scope is the module's: held by its functions (handle, or the class Session).
  assert.equal(chain[chain.length - 4].type, "Function");
  assert.ok(["handle()", "Session()"].includes(chain[chain.length - 4].repr), chain[chain.length - 4].repr);

  // The chain's picture: one box per link, the object in red letters, the root darkest.
  assert.match(r.stdout, new RegExp(`Graph written to .+\\.dot \\(${chain.length} nodes\\)\\nImage generated as chain\\.png`));
  const png = decodePng(fs.readFileSync(path.join(dir, "chain.png")));
  assert.ok(png.width > 150 && png.width < 1000, `width ${png.width}`);
  assert.ok(png.height > 70 * chain.length && png.height < 160 * chain.length, `height ${png.height} for ${chain.length} boxes`);
  const white = share(png, (r, g, b) => r > 250 && g > 250 && b > 250);
  assert.ok(white > 0.4 && white < 0.95, `white ${white}`);
  assert.ok(share(png, (r, g, b) => r > 200 && g < 60 && b < 60) > 0.0005, "red letters of the leaked object");
  assert.ok(share(png, (r, g, b) => r < 90 && r === g && g === b) > 0.01, "the root's dark fill");

  const svg = fs.readFileSync(path.join(dir, "backrefs.svg"), "utf8");
  assert.match(svg, /^<\?xml[^>]*>\s*<!DOCTYPE svg[^>]*>\s*<!-- Generated by graphviz version [\d.]+/);
  const nodes = (svg.match(/<g id="node\d+" class="node">/g) ?? []).length;
  const drawn = /Graph written to .+\.dot \((\d+) nodes\)\nImage generated as backrefs\.svg/.exec(r.stdout);
  assert.ok(drawn, r.stdout);
  assert.equal(nodes, Number(drawn[1]));
  assert.ok((svg.match(/class="edge"/g) ?? []).length >= nodes - 1);
  for (const text of ["Session", "Map", "250 entries", "get(&quot;s7&quot;)", "cache"]) assert.ok(svg.includes(`>${text}<`), `${text} drawn`);
});

test("objgraph inside a worker thread counts and chains the worker's own heap", () => {
  const worker = path.join(dir, "worker.js");
  fs.writeFileSync(worker, `
const { Worker, isMainThread, parentPort } = require("node:worker_threads");
if (isMainThread) {
  new Worker(__filename).on("message", (m) => console.log(JSON.stringify(m)));
} else {
  const objgraph = require("tsprof/objgraph");
  class Job { constructor(i) { this.i = i; } }
  const queue = new Map();
  globalThis.queue = queue;
  objgraph.growth();
  for (let i = 0; i < 40; i++) queue.set(i, new Job(i));
  const rows = objgraph.growth();
  const chain = objgraph.findBackrefChain(queue.get(3));
  parentPort.postMessage({ job: rows.find((r) => r[0] === "Job"), chain: chain.map((n) => n.type + ":" + (n.edge ?? "")) });
}
`);
  const r = runNode([worker], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as { job: [string, number, number]; chain: string[] };
  assert.deepEqual(m.job, ["Job", 40, 40]);
  assert.deepEqual(m.chain.slice(-2), ["Map:queue", "Job:entry"]);
  assert.match(m.chain[m.chain.length - 3], /^global:/);
});

test("showRefs options: maxDepth and tooMany cut the walk, filter drops nodes, highlight colours them, .dot writes DOT only", () => {
  // In its own process: the test runner's heap holds the TypeScript compiler, a snapshot of 100 MB.
  const program = path.join(dir, "options.js");
  fs.writeFileSync(program, `
const objgraph = require("tsprof/objgraph");
const root = { kids: Array.from({ length: 15 }, (_, i) => ({ name: "kid" + i, deep: { deeper: [i] } })) };
(async () => {
  const said = [];
  const file = { write: (t) => said.push(t) };
  const r = await objgraph.showRefs([root], { filename: "options.dot", maxDepth: 2, tooMany: 4, file, highlight: (n) => n.type === "Array" });
  const filtered = await objgraph.showRefs([root], { filename: "filtered.dot", file, filter: (n) => n.type !== "Array" });
  const chain = objgraph.findRefChain(root, (n) => n.type === "String" && n.repr === '"kid3"');
  console.log(JSON.stringify({ said, nodes: r.nodes, image: r.image ?? null, dot: r.dot, filtered: filtered.nodes,
    kids: objgraph.idOf(root.kids), root: objgraph.idOf(root), chain: chain.map((n) => n.edge ?? ""),
    leaking: objgraph.getLeakingObjects().map((n) => n.type + " " + n.name) }));
})();
`);
  const run = runNode([program], { cwd: dir });
  assert.equal(run.status, 0, run.stderr);
  const r = JSON.parse(run.stdout) as { said: string[]; nodes: number; image: string | null; dot: string; filtered: number; kids: number; root: number; chain: string[]; leaking: string[] };
  // root, its kids array, and 4 of the 15 kids: depth 2 is not walked further.
  assert.deepEqual(r.said, ["Graph written to options.dot (6 nodes)\n", "Graph written to filtered.dot (1 nodes)\n"]);
  assert.equal(r.nodes, 6);
  assert.equal(r.image, null);
  assert.match(r.dot, new RegExp(`too_many_o${r.kids}\\[label="11 more references"`));
  assert.match(r.dot, new RegExp(`o${r.kids}\\[fillcolor="0\\.6,0\\.6,[\\d.]+"\\];`));
  assert.match(r.dot, new RegExp(`o${r.root}\\[fillcolor="0,0,1"\\];`));
  assert.equal((r.dot.match(/ -> /g) ?? []).length, 5);
  assert.equal(fs.readFileSync(path.join(dir, "options.dot"), "utf8"), r.dot);
  assert.equal(r.filtered, 1);
  assert.deepEqual(r.chain, ["", "kids", "[3]", "name"]);
  // Node hands its timer callbacks to C++, which holds them through global handles alone.
  assert.ok(r.leaking.includes("Function processTimers") && r.leaking.includes("Function processImmediate"), r.leaking.join(", "));
});
