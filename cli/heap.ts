import { imageFormat, writeGraph } from "../report/graphviz";
import { chainDot, walkDot } from "../report/heap-dot";
import { describe, describePath, heldBeyondStack, isVisible, rootPath, typeStats } from "../report/heap-graph";
import { HeapSnapshotError, readHeapSnapshot, type HeapSnapshot } from "../report/heap-snapshot";
import { formatChain, formatCounts, formatGrowth, formatNode } from "../report/heap-text";
import { fail, helpOption, parseArgs, UsageError, type CommandSpec } from "./args";

/** Options of `tsprof heap`. */
export const heapSpec: CommandSpec = {
  usage: "tsprof heap FILE.heapsnapshot [OTHER.heapsnapshot] [options]",
  summary: "Object counts of a V8 heap snapshot, objgraph-style; with two snapshots, what grew between them and what holds the new objects.",
  options: [
    { name: "limit", short: "n", type: "string", valueName: "N", description: "rows of the type tables (default 10; 0 for all)" },
    { name: "chain", type: "string", valueName: "ID", description: "print the retainer chain (shortest path from a GC root) of the object with this id (@ID) in the last file" },
    { name: "new", type: "string", valueName: "N", description: "with two files: list the N largest new objects and the chain of the largest (default 5)" },
    { name: "dot", type: "string", valueName: "FILE", description: "write the graph of the chosen object (--chain ID, or the largest new object) as Graphviz DOT" },
    { name: "svg", type: "string", valueName: "FILE", description: "… drawn as SVG (Graphviz in WebAssembly: no graphviz install needed)" },
    { name: "png", type: "string", valueName: "FILE", description: "… drawn as PNG" },
    { name: "graph", type: "string", valueName: "KIND", description: "what to draw: chain (its retainer chain, default), backrefs (what refers to it, objgraph's show_backrefs) or refs" },
    { name: "max-depth", type: "string", valueName: "N", description: "levels drawn from the object by backrefs and refs (default 3)" },
    { name: "too-many", type: "string", valueName: "N", description: "references drawn per node, the rest counted in one box (default 10)" },
    { name: "internals", type: "boolean", description: "count V8's internal types too: (array), (code), (object shape), …" },
    helpOption(),
  ],
  epilog: [
    "Snapshots: v8.writeHeapSnapshot(), node --heapsnapshot-signal=SIGUSR2, Chrome DevTools' Memory tab.",
    "Examples:",
    "  tsprof heap before.heapsnapshot after.heapsnapshot          growth, the largest new objects and the chain of the largest",
    "  tsprof heap after.heapsnapshot --chain 77203 --png leak.png  who holds object @77203, as a chain and a picture",
  ].join("\n"),
};

function whole(value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a whole number, not "${String(value)}"`);
  return n;
}

function read(file: string): HeapSnapshot {
  const tty = process.stderr.isTTY === true;
  const snapshot = readHeapSnapshot(file, {
    onProgress: tty ? (done, total) => {
      const mb = (b: number) => (b / 1e6).toFixed(0);
      process.stderr.write(`\rtsprof heap: reading ${file}: ${total ? Math.floor((100 * done) / total) : 0}% (${mb(done)} of ${mb(total)} MB)`);
    } : undefined,
  });
  if (tty) process.stderr.write("\r\x1b[K");
  return snapshot;
}

/** `tsprof heap`: 0 on success, 1 for an unreadable file or an unknown id. */
export async function heapCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs(argv, heapSpec);
  if (positionals.length === 0) throw new UsageError("give a .heapsnapshot file (or two, to compare)");
  if (positionals.length > 2) throw new UsageError(`at most two snapshots, got ${positionals.length}`);
  const limit = whole(values.limit, "--limit", 10);
  const internals = values.internals === true;
  const outputs = (["dot", "svg", "png"] as const).filter((k) => values[k] !== undefined).map((k) => {
    const file = values[k] as string;
    if (imageFormat(file) !== k && !(k === "dot" && imageFormat(file) === "dot")) throw new UsageError(`--${k} ${file}: the file name should end in .${k}`);
    return file;
  });
  const kind = (values.graph as string | undefined) ?? "chain";
  if (!["chain", "backrefs", "refs"].includes(kind)) throw new UsageError(`--graph ${kind}: choose chain, backrefs or refs`);
  const out = process.stdout;
  try {
    const snaps = positionals.map(read);
    const last = snaps[snaps.length - 1];
    const lastFile = positionals[positionals.length - 1];
    const cut = <T>(rows: T[]) => (limit === 0 ? rows : rows.slice(0, limit));
    let target = -1;

    if (snaps.length === 1) {
      out.write(`${lastFile}: ${last.nodeCount} nodes, ${last.edgeCount} edges\n`);
      out.write(formatCounts(cut([...typeStats(last, internals)])));
    } else {
      const [a, b] = snaps;
      const before = typeStats(a, internals);
      const rows: [string, number, number][] = [];
      for (const [type, c] of typeStats(b, internals)) {
        const d = c - (before.get(type) ?? 0);
        if (d > 0) rows.push([type, c, d]);
      }
      rows.sort((x, y) => y[2] - x[2] || (x[0] < y[0] ? -1 : 1));
      out.write(`Growth from ${positionals[0]} to ${positionals[1]}:\n`);
      out.write(rows.length ? formatGrowth(cut(rows)) : "(no type grew)\n");
      if (values.chain === undefined) {
        const wanted = whole(values.new, "--new", 5);
        const newest = largestNew(a, b, internals).slice(0, wanted);
        if (newest.length && wanted) {
          out.write(`\nLargest new objects:\n`);
          for (const n of newest) out.write(`  ${formatNode(describe(b, n))}\n`);
          target = newest[0];
        }
      }
    }

    if (values.chain !== undefined) {
      const id = whole(String(values.chain).replace(/^@/, ""), "--chain", 0);
      target = last.nodeById(id);
      if (target < 0) return fail("heap", `no object @${id} in ${lastFile}; use an id that tsprof heap or DevTools shows for this snapshot`, 1);
    }
    if (target >= 0) {
      const path = rootPath(last, target);
      out.write(`\nRetainer chain of @${last.nodeId(target)}${path ? "" : " (unreachable from the GC roots)"}:\n`);
      out.write(formatChain(path ? describePath(last, path) : [describe(last, target)]));
      for (const file of outputs) {
        const picture = kind === "chain" && path
          ? chainDot([describePath(last, path)])
          : walkDot(last, [target], kind !== "refs", { maxDepth: whole(values["max-depth"], "--max-depth", 3), tooMany: whole(values["too-many"], "--too-many", 10), stop: (n) => n.type === "global" });
        await writeGraph(picture.dot, file);
        out.write(imageFormat(file) === "dot" ? `Graph written to ${file} (${picture.nodes} nodes)\n` : `Image generated as ${file} (${picture.nodes} nodes)\n`);
      }
    } else if (outputs.length) {
      return fail("heap", "nothing to draw; pass --chain ID (or two snapshots, for the largest new object)", 1);
    }
    return 0;
  } catch (e) {
    if (e instanceof HeapSnapshotError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** Visible nodes of `b` whose ids `a` does not have, held beyond the stack, largest first. */
function largestNew(a: HeapSnapshot, b: HeapSnapshot, internals: boolean): number[] {
  const old = new Set<number>();
  for (let n = 0; n < a.nodeCount; n++) old.add(a.nodeId(n));
  const held = heldBeyondStack(b);
  const fresh: number[] = [];
  for (let n = 0; n < b.nodeCount; n++) {
    if (old.has(b.nodeId(n)) || !held[n]) continue;
    if (!internals && !isVisible(b, n)) continue;
    if (b.nodeType(n) === "synthetic") continue;
    fresh.push(n);
  }
  return fresh.sort((x, y) => b.selfSize(y) - b.selfSize(x) || b.nodeId(x) - b.nodeId(y));
}
