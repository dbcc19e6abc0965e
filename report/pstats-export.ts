/**
 * Function profiles in the formats other tools open: `.cpuprofile` (Chrome DevTools, VS Code),
 * speedscope JSON, and a flame graph as a standalone SVG. A sampler-mode profile carries the
 * stacks V8 sampled (rows of the profile, so TypeScript locations), and they are drawn as they
 * were. A deterministic profile keeps caller→callee edges, not whole stacks, so its call tree is
 * rebuilt from them: a function's time at a place in the tree is split among its callees in
 * proportion to each edge's cumtime (what gprof2dot and flameprof do with pstats data);
 * recursion folds into the outer call.
 */
import { pathToFileURL } from "node:url";
import { funcKey, stdString, type Func, type StackNode, type Stats } from "./pstats";

export interface TreeNode {
  func: Func;
  /** Seconds at this place in the tree, callees included. */
  total: number;
  self: number;
  children: TreeNode[];
}

const MAX_NODES = 20_000;
const MAX_DEPTH = 128;

/** The call tree: the sampled stacks when every run has them, else what the edges imply; the root is synthetic (all top-level calls). */
export function callTree(stats: Stats): TreeNode {
  return stats.hasStacks() ? sampledTree(stats.stacks) : edgeTree(stats);
}

function sampledTree(root: StackNode): TreeNode {
  const build = (n: StackNode): TreeNode => {
    const children = [...n.children.values()].map(build).filter((c) => c.total > 0);
    children.sort((a, b) => stdString(a.func) < stdString(b.func) ? -1 : 1);
    return { func: n.func, self: n.self, total: n.self + children.reduce((t, c) => t + c.total, 0), children };
  };
  const tree = build(root);
  return { ...tree, func: { file: "", line: 0, name: "(root)" }, self: 0 };
}

/** The call tree the edges imply. */
export function edgeTree(stats: Stats): TreeNode {
  const callees = new Map<string, Array<[string, number]>>();
  for (const [key, s] of stats.stats) {
    for (const [caller, [, , , ct]] of s.callers) {
      if (!callees.has(caller)) callees.set(caller, []);
      callees.get(caller)!.push([key, ct]);
    }
  }
  let roots = [...stats.stats].filter(([, s]) => ![...s.callers.keys()].some((c) => stats.stats.has(c))).map(([k]) => k);
  if (roots.length === 0 && stats.stats.size) roots = [[...stats.stats].sort((a, b) => b[1].ct - a[1].ct)[0][0]];
  const total = roots.reduce((sum, k) => sum + stats.stats.get(k)!.ct, 0);
  const minimum = total * 1e-4;
  let count = 0;
  const onPath = new Set<string>();
  const expand = (key: string, time: number, depth: number): TreeNode => {
    count++;
    const s = stats.stats.get(key)!;
    const node: TreeNode = { func: s.func, total: time, self: time, children: [] };
    const share = s.ct > 0 ? time / s.ct : 0;
    onPath.add(key);
    for (const [child, ct] of callees.get(key) ?? []) {
      const t = Math.min(ct * share, node.self);
      if (onPath.has(child) || t < minimum || t <= 0 || depth >= MAX_DEPTH || count >= MAX_NODES || !stats.stats.has(child)) continue;
      const c = expand(child, t, depth + 1);
      node.children.push(c);
      node.self -= c.total;
    }
    onPath.delete(key);
    node.self = Math.max(0, node.self);
    node.children.sort((a, b) => stdString(a.func) < stdString(b.func) ? -1 : 1);
    return node;
  };
  const children = roots.map((k) => expand(k, stats.stats.get(k)!.ct, 1));
  return { func: { file: "", line: 0, name: "(root)" }, total, self: 0, children };
}

function url(file: string): string {
  if (file === "~" || !file.startsWith("/")) return "";
  return pathToFileURL(file).href;
}

/** Chrome's `.cpuprofile` (the DevTools protocol's `Profiler.Profile`), samples spread to match the times. */
export function toCpuProfile(stats: Stats): object {
  const tree = callTree(stats);
  const nodes: object[] = [];
  const samples: number[] = [];
  const totalUs = tree.total * 1e6;
  const interval = Math.max(1, Math.ceil(totalUs / 100_000));
  let nextId = 1;
  const scripts = new Map<string, string>();
  const walk = (n: TreeNode): number => {
    const id = nextId++;
    const entry = {
      id,
      callFrame: {
        functionName: n.func.name === "(root)" ? "(root)" : n.func.name,
        scriptId: n.func.file ? (scripts.get(n.func.file) ?? (scripts.set(n.func.file, String(scripts.size + 1)), scripts.get(n.func.file)!)) : "0",
        url: url(n.func.file),
        lineNumber: n.func.line - 1,
        columnNumber: 0,
      },
      hitCount: Math.round((n.self * 1e6) / interval),
      children: [] as number[],
    };
    nodes.push(entry);
    for (let i = 0; i < entry.hitCount; i++) samples.push(id);
    entry.children = n.children.map(walk);
    return id;
  };
  walk(tree);
  return { nodes, startTime: 0, endTime: samples.length * interval, samples, timeDeltas: samples.map(() => interval) };
}

/** speedscope's file format (sampled profile, weights in seconds). */
export function toSpeedscope(stats: Stats, name = "tsprof profile"): object {
  const tree = callTree(stats);
  const frames: Array<{ name: string; file?: string; line?: number }> = [];
  const index = new Map<string, number>();
  const frameOf = (f: Func) => {
    const k = funcKey(f);
    let i = index.get(k);
    if (i === undefined) {
      i = frames.length;
      index.set(k, i);
      frames.push(f.file === "~" ? { name: stdString(f) } : { name: f.name, file: f.file, line: f.line });
    }
    return i;
  };
  const samples: number[][] = [];
  const weights: number[] = [];
  const walk = (n: TreeNode, stack: number[]) => {
    const here = [...stack, frameOf(n.func)];
    if (n.self > 0) {
      samples.push(here);
      weights.push(n.self);
    }
    for (const c of n.children) walk(c, here);
  };
  for (const c of tree.children) walk(c, []);
  return {
    $schema: "https://www.speedscope.app/file-format-schema.json",
    shared: { frames },
    profiles: [{ type: "sampled", name, unit: "seconds", startValue: 0, endValue: weights.reduce((a, b) => a + b, 0), samples, weights }],
    name,
    activeProfileIndex: 0,
    exporter: "tsprof",
  };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A warm colour per function name, stable across runs (flamegraph.pl's palette). */
function colour(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  const r = 205 + (h % 50), g = 80 + ((h >>> 8) % 130), b = (h >>> 16) % 55;
  return `rgb(${r},${g},${b})`;
}

/** A flame graph: the root at the bottom, width is time; hover a frame for its figures. */
export function flameSvg(stats: Stats, title = "tsprof flame graph"): string {
  const tree = callTree(stats);
  const width = 1200, rowH = 17, pad = 10, top = 34;
  let depth = 0;
  const measure = (n: TreeNode, d: number) => {
    depth = Math.max(depth, d);
    n.children.forEach((c) => measure(c, d + 1));
  };
  measure(tree, 0);
  const height = top + (depth + 1) * rowH + pad * 2;
  const scale = tree.total > 0 ? (width - 2 * pad) / tree.total : 0;
  const rects: string[] = [];
  const draw = (n: TreeNode, x: number, d: number) => {
    const w = n.total * scale;
    if (w < 0.3) return;
    const y = height - pad - (d + 1) * rowH;
    const label = n.func.name === "(root)" ? "all" : n.func.name;
    const where = n.func.file ? ` ${stdString({ ...n.func, file: n.func.file.split("/").pop()! })}` : "";
    const pct = tree.total > 0 ? ((n.total / tree.total) * 100).toFixed(2) : "0";
    const tip = `${label}${where}: ${(n.total * 1000).toFixed(3)} ms (${pct}%), self ${(n.self * 1000).toFixed(3)} ms`;
    const chars = Math.floor((w - 6) / 6.6);
    const text = chars >= 3 ? (label.length > chars ? `${label.slice(0, chars - 2)}..` : label) : "";
    rects.push(`<g><title>${esc(tip)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 1}" rx="2" fill="${n.func.name === "(root)" ? "rgb(200,200,200)" : colour(n.func.name)}"/>`
      + (text ? `<text x="${(x + 3).toFixed(2)}" y="${y + rowH - 5}">${esc(text)}</text>` : "") + "</g>");
    let cx = x;
    for (const c of n.children) {
      draw(c, cx, d + 1);
      cx += c.total * scale;
    }
  };
  draw(tree, pad, 0);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Verdana, DejaVu Sans, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fdf8ee"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    `<text x="${width - pad}" y="20" text-anchor="end" fill="#666">${(tree.total * 1000).toFixed(3)} ms in ${stats.totalCalls} calls</text>`,
    ...rects,
    `</svg>`,
    "",
  ].join("\n");
}
