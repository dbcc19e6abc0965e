/*
 * Graphviz DOT for object graphs, in objgraph's own layout: boxes filled on a grey gradient by
 * depth, the starting objects in red letters, `N more references` boxes where a node had too many,
 * highlighted nodes in blue. Labels are type, short description and size.
 */
import { describe, walk, type HeapNode, type WalkOptions } from "./heap-graph";
import type { HeapSnapshot } from "./heap-snapshot";

export interface DotGraph {
  /** Nodes in visiting order, with their depth from the starting objects. */
  nodes: { node: HeapNode; depth: number }[];
  edges: { from: number; to: number; label: string }[];
  /** Snapshot ids of the starting objects. */
  starts: number[];
  /** Snapshot id → references left out. */
  skipped?: Map<number, number>;
  maxDepth: number;
  /** Drawing references backwards (retainers): changes the wording of the cut boxes. */
  backwards?: boolean;
  highlight?(node: HeapNode): boolean;
}

/** objgraph's `_gradient((0,0,1), (0,0,.3), depth, max_depth)`. */
function shade(depth: number, maxDepth: number): number {
  if (maxDepth === 0) return 1;
  return 1 + (0.3 - 1) * (depth / maxDepth);
}

function g(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** Quotes text for a DOT string (newlines become `\n` line breaks). */
export function dotQuote(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n");
}

/** Human size: `32 bytes`, `1.5 KiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KiB", "MiB", "GiB"];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** The node's label: type, then its short description and size. */
export function nodeLabel(node: HeapNode): string {
  const lines = [node.type];
  if (node.repr && node.repr !== node.type) lines.push(node.repr);
  lines.push(formatSize(node.size));
  return lines.join("\n");
}

/** The whole DOT text. */
export function formatDot(graph: DotGraph): string {
  const out = ["digraph ObjectGraph {", "  node[shape=box, style=filled, fillcolor=white];"];
  const id = (n: number) => `o${n}`;
  for (const s of graph.starts) out.push(`  ${id(s)}[fontcolor=red];`);
  const byFrom = new Map<number, typeof graph.edges>();
  for (const e of graph.edges) {
    const key = graph.backwards ? e.to : e.from;
    let list = byFrom.get(key);
    if (!list) byFrom.set(key, (list = []));
    list.push(e);
  }
  for (const { node, depth } of graph.nodes) {
    out.push(`  ${id(node.id)}[label="${dotQuote(nodeLabel(node))}"];`);
    let h = 0;
    let s = 0;
    let v = shade(depth, graph.maxDepth);
    if (graph.highlight?.(node)) { h = 0.6; s = 0.6; v = 0.5 + v * 0.5; }
    out.push(`  ${id(node.id)}[fillcolor="${g(h)},${g(s)},${g(v)}"];`);
    if (v < 0.5) out.push(`  ${id(node.id)}[fontcolor=white];`);
    for (const e of byFrom.get(node.id) ?? []) {
      const label = e.label ? ` [label="${dotQuote(e.label)}",weight=2]` : "";
      out.push(`  ${id(e.from)} -> ${id(e.to)}${label};`);
    }
    const cut = graph.skipped?.get(node.id);
    if (cut) {
      const v2 = 1 + (0.3 - 1) * ((depth + 1) / Math.max(graph.maxDepth, 1));
      const more = `too_many_${id(node.id)}`;
      out.push(graph.backwards ? `  ${more}->${id(node.id)}[color=red,style=dotted,len=0.25,weight=10];` : `  ${id(node.id)}->${more}[color=red,style=dotted,len=0.25,weight=10];`);
      out.push(`  ${more}[label="${cut} more ${graph.backwards ? "backreferences" : "references"}",shape=box,height=0.25,color=red,fillcolor="0,1,${g(v2)}",fontsize=6];`);
      out.push(`  ${more}[fontcolor=white];`);
    }
  }
  out.push("}");
  return out.join("\n") + "\n";
}

/** The DOT of objgraph's walk from `starts` (node ordinals), forwards or backwards; and its node count. */
export function walkDot(s: HeapSnapshot, starts: number[], backwards: boolean, options: WalkOptions & { highlight?(node: HeapNode): boolean } = {}): { dot: string; nodes: number } {
  const maxDepth = options.maxDepth ?? 3;
  const sub = walk(s, starts, backwards, { ...options, maxDepth });
  const dot = formatDot({
    nodes: sub.nodes.map((n) => ({ node: describe(s, n), depth: sub.depth.get(n)! })),
    edges: sub.edges.map((e) => ({ from: s.nodeId(e.from), to: s.nodeId(e.to), label: e.label })),
    starts: starts.map((n) => s.nodeId(n)),
    skipped: new Map([...sub.skipped].map(([n, k]) => [s.nodeId(n), k])),
    maxDepth,
    backwards,
    highlight: options.highlight,
  });
  return { dot, nodes: sub.nodes.length };
}

/** The DOT of retainer chains (root first), objgraph's `show_chain`; and its node count. */
export function chainDot(chains: HeapNode[][], highlight?: (node: HeapNode) => boolean): { dot: string; nodes: number } {
  const nodes = new Map<number, { node: HeapNode; depth: number }>();
  const edges: { from: number; to: number; label: string }[] = [];
  const seen = new Set<string>();
  const longest = Math.max(1, ...chains.map((c) => c.length - 1));
  for (const chain of chains) {
    chain.forEach((node, i) => {
      if (!nodes.has(node.id)) nodes.set(node.id, { node, depth: chain.length - 1 - i });
      if (i === 0) return;
      const key = `${chain[i - 1].id}>${node.id}`;
      if (seen.has(key)) return;
      seen.add(key);
      edges.push({ from: chain[i - 1].id, to: node.id, label: node.edge ?? "" });
    });
  }
  const starts = chains.map((c) => c[c.length - 1].id);
  return { dot: formatDot({ nodes: [...nodes.values()], edges, starts, maxDepth: longest, highlight }), nodes: nodes.size };
}
