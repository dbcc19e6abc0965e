/*
 * `npm run bench:heap`: time and peak memory to analyse a ~100 MB heap snapshot, tsprof's
 * streaming parser against memlab's (@memlab/core, installed here into a temp folder: it is not a
 * dependency of tsprof). Each analysis runs alone in a fresh process, alternating, 3 rounds;
 * figures are medians. Both parse the file, then count objects per type; tsprof also finds one
 * object's retainer chain, as `tsprof heap --chain` does.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET_MB = Number(process.env.BENCH_HEAP_MB ?? 100);
const MEMLAB_VERSION = "2.0.5";
const work = path.join(os.tmpdir(), "tsprof-bench-heap");
const snapshot = path.join(work, `big-${TARGET_MB}.heapsnapshot`);

/** A program whose heap snapshot is about TARGET_MB: records, strings, closures, a Map cache. */
const MAKER = `
const v8 = require("node:v8");
const fs = require("node:fs");
class Row { constructor(i) { this.id = "row" + i; this.tags = [i & 7, "t" + (i % 97)]; this.meta = { seen: i }; } }
const cache = new Map();
const handlers = [];
const target = ${TARGET_MB} * 1e6;
let i = 0;
let goal = 50000;
// Grow, measure one snapshot, extrapolate the rows still needed: a few snapshots, not hundreds.
for (;;) {
  for (; i < goal; i++) {
    cache.set("k" + i, new Row(i));
    if (i % 10 === 0) handlers.push(() => i);
  }
  v8.writeHeapSnapshot(process.argv[1]);
  const size = fs.statSync(process.argv[1]).size;
  if (size >= target) break;
  goal = Math.ceil(i * Math.min(4, (target * 1.02) / size));
}
console.log(JSON.stringify({ rows: i }));
`;

const TSPROF = `
const t0 = performance.now();
const { readHeapSnapshot } = require(${JSON.stringify(path.resolve(__dirname, "..", "report", "heap-snapshot.js"))});
const graph = require(${JSON.stringify(path.resolve(__dirname, "..", "report", "heap-graph.js"))});
const s = readHeapSnapshot(process.argv[1]);
const parsed = performance.now();
const stats = graph.typeStats(s);
const counted = performance.now();
let row = -1;
for (let n = s.nodeCount - 1; n >= 0 && row < 0; n--) if (s.nodeName(n) === "Row") row = n;
const chain = graph.describePath(s, graph.rootPath(s, row));
const done = performance.now();
console.log(JSON.stringify({ parseMs: parsed - t0, totalMs: counted - t0, chainMs: done - counted, rows: stats.get("Row"), chain: chain.length, maxRssKb: process.resourceUsage().maxRSS }));
`;

const MEMLAB = `
const t0 = performance.now();
const { utils, config } = require("@memlab/core");
config.muteConsole = true;
utils.getSnapshotFromFile(process.argv[1], { buildNodeIdIndex: true }).then((snap) => {
  const parsed = performance.now();
  const counts = new Map();
  snap.nodes.forEach((n) => { if (n.type === "object") counts.set(n.name, (counts.get(n.name) ?? 0) + 1); });
  const done = performance.now();
  console.log(JSON.stringify({ parseMs: parsed - t0, totalMs: done - t0, rows: counts.get("Row"), maxRssKb: process.resourceUsage().maxRSS }));
});
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function installMemlab(): string {
  const dir = path.join(work, `memlab-${MEMLAB_VERSION}`);
  if (!fs.existsSync(path.join(dir, "node_modules", "@memlab", "core"))) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bench-memlab", private: true }));
    process.stderr.write(`bench:heap: installing @memlab/core@${MEMLAB_VERSION} into ${dir}\n`);
    // memlab pulls in puppeteer, whose install script downloads a browser: not needed to parse.
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", `@memlab/core@${MEMLAB_VERSION}`], {
      cwd: dir, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: "1" },
    });
  }
  return dir;
}

interface Run { parseMs: number; totalMs: number; rows: number; maxRssKb: number; chain?: number; chainMs?: number }

function run(code: string, cwd: string): Run {
  const r = spawnSync(process.execPath, ["--max-old-space-size=8192", "-e", code, snapshot], { cwd, encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`analysis failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Run;
}

function main(): void {
  fs.mkdirSync(work, { recursive: true });
  if (!fs.existsSync(snapshot)) {
    process.stderr.write(`bench:heap: writing a ~${TARGET_MB} MB snapshot to ${snapshot}\n`);
    execFileSync(process.execPath, ["--max-old-space-size=4096", "-e", MAKER, snapshot], { stdio: ["ignore", "ignore", "inherit"] });
  }
  const memlabDir = installMemlab();
  const size = fs.statSync(snapshot).size;
  const ours: Run[] = [];
  const theirs: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ours.push(run(TSPROF, work));
    theirs.push(run(MEMLAB, memlabDir));
    process.stderr.write(`bench:heap: round ${i + 1}/${ROUNDS}\n`);
  }
  if (ours[0].rows !== theirs[0].rows) throw new Error(`the parsers disagree: ${ours[0].rows} Row objects against memlab's ${theirs[0].rows}`);
  const row = (name: string, runs: Run[]) => {
    const parse = median(runs.map((r) => r.parseMs)) / 1000;
    const total = median(runs.map((r) => r.totalMs)) / 1000;
    const rss = median(runs.map((r) => r.maxRssKb)) / 1024;
    return { name, parse, total, rss };
  };
  const a = row("tsprof (report/heap-snapshot)", ours);
  const b = row(`memlab (@memlab/core ${MEMLAB_VERSION})`, theirs);
  const lines = [
    `Heap snapshot: ${(size / 1e6).toFixed(1)} MB, ${ours[0].rows} Row objects, node ${process.version}; medians of ${ROUNDS} runs`,
    "",
    "| parser | parse | parse + type counts | peak RSS |",
    "| --- | --- | --- | --- |",
    ...[a, b].map((r) => `| ${r.name} | ${r.parse.toFixed(2)} s | ${r.total.toFixed(2)} s | ${Math.round(r.rss)} MB |`),
    "",
    `tsprof/memlab: time ${(a.total / b.total).toFixed(2)}x, peak memory ${(a.rss / b.rss).toFixed(2)}x`,
    `tsprof then finds one Row's retainer chain (retainer index + breadth-first search) in ${(median(ours.map((r) => r.chainMs ?? 0)) / 1000).toFixed(2)} s; the peak RSS includes it.`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  const out = path.resolve(__dirname, "..", "..", "bench", "results");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "heap.json"), JSON.stringify({ bytes: size, node: process.version, rounds: ROUNDS, tsprof: ours, memlab: theirs }, null, 2));
}

main();
