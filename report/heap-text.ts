// objgraph's text layouts, shared by tsprof/objgraph and `tsprof heap`.
import type { HeapNode } from "./heap-graph";

/** `show_most_common_types`: `%-*s %i`, one row per type. */
export function formatCounts(rows: [string, number][]): string {
  if (!rows.length) return "";
  const width = Math.max(...rows.map(([t]) => t.length));
  return rows.map(([t, c]) => `${t.padEnd(width)} ${c}\n`).join("");
}

/** `show_growth`: `%-*s%9d %+9d`, one row per type that grew. */
export function formatGrowth(rows: [string, number, number][]): string {
  if (!rows.length) return "";
  const width = Math.max(...rows.map(([t]) => t.length));
  return rows.map(([t, c, d]) => `${t.padEnd(width)}${String(c).padStart(9)} ${(d >= 0 ? `+${d}` : String(d)).padStart(9)}\n`).join("");
}

/** A node on one line: `Map 250 entries (32 bytes) @77203`. */
export function formatNode(node: HeapNode): string {
  const repr = node.repr && node.repr !== node.type ? ` ${node.repr}` : "";
  const size = node.type.startsWith("(") && node.size === 0 ? "" : ` (${node.size} bytes)`;
  return `${node.type}${repr}${size} @${node.id}`;
}

/** A retainer chain, root first: each step indented under the one holding it, with the reference. */
export function formatChain(chain: HeapNode[]): string {
  return chain.map((n, i) => (i === 0 ? formatNode(n) : `  -${n.edge || "?"}-> ${formatNode(n)}`)).join("\n") + "\n";
}
