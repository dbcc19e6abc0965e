/*
 * objgraph for V8: counts, growth and reference graphs of the running program's heap (this
 * thread's: a worker sees its own), from heap snapshots read by tsprof's streaming parser.
 *
 * Live objects and snapshot nodes meet through V8's own object ids: once a snapshot has been
 * taken, `HeapProfiler.getHeapObjectId` gives a live object's node id, and
 * `HeapProfiler.getObjectByHeapObjectId` the object of a node id. The objects are passed to the
 * inspector only after the snapshot, so tsprof's hand-over never appears in the graph.
 *
 * Every call that takes a snapshot pauses the program while V8 walks the heap; `lastSnapshot()`
 * says for how long.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readHeapSnapshot, type HeapSnapshot } from "../report/heap-snapshot";
import { describe, describePath, idsByType, refs, rootPath, typeStats, type HeapNode, type WalkOptions } from "../report/heap-graph";
import { chainDot, walkDot } from "../report/heap-dot";
import { imageFormat, writeGraph } from "../report/graphviz";
import { formatCounts, formatGrowth } from "../report/heap-text";

export type { HeapNode } from "../report/heap-graph";

type Inspector = typeof import("node:inspector");
let session: import("node:inspector").Session | undefined;

function connect(): import("node:inspector").Session {
  const inspector = require("node:inspector") as Inspector;
  session = new inspector.Session();
  session.connect();
  return session;
}

/** A synchronous inspector call: an in-process session answers these before `post` returns. */
function post<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): T {
  session ??= connect();
  let result: unknown;
  let error: Error | null = null;
  let answered = false;
  session.post(method, params, (e, r) => { error = e; result = r; answered = true; });
  if (!answered) throw new Error(`tsprof/objgraph: the inspector did not answer ${method} synchronously`);
  if (error) throw new Error(`tsprof/objgraph: ${method} failed: ${(error as Error).message}`);
  return result as T;
}

/** How long the last snapshot stopped the program. */
export interface SnapshotInfo {
  /** Milliseconds the program was paused, in all (V8's heap walk and writing, plus parsing). */
  pauseMs: number;
  /** Of which, milliseconds spent parsing the snapshot's text. */
  parseMs: number;
  nodes: number;
  edges: number;
  /** Size of the snapshot's JSON text. */
  bytes: number;
}

let last: SnapshotInfo | undefined;

/** Pause and size of the last snapshot taken by this module, if any. */
export function lastSnapshot(): SnapshotInfo | undefined {
  return last;
}

let taken = 0;

/**
 * Takes a heap snapshot of this thread's heap (V8 collects garbage first). It goes through a
 * temporary file, `v8.writeHeapSnapshot()`: the inspector's `takeHeapSnapshot` answers
 * synchronously on Node 20 but only on a later tick from Node 22 on, and objgraph's calls are
 * synchronous.
 */
export function takeSnapshot(): HeapSnapshot {
  const v8 = require("node:v8") as typeof import("node:v8");
  const { threadId } = require("node:worker_threads") as typeof import("node:worker_threads");
  const file = path.join(os.tmpdir(), `tsprof-objgraph-${process.pid}-${threadId}-${++taken}.heapsnapshot`);
  // Objects get snapshot ids only by being in a snapshot: the session must exist before it.
  session ??= connect();
  const start = process.hrtime.bigint();
  let snapshot: HeapSnapshot;
  let written: bigint;
  let bytes: number;
  try {
    v8.writeHeapSnapshot(file);
    written = process.hrtime.bigint();
    bytes = fs.statSync(file).size;
    snapshot = readHeapSnapshot(file);
  } finally {
    fs.rmSync(file, { force: true });
  }
  const end = process.hrtime.bigint();
  last = { pauseMs: Number(end - start) / 1e6, parseMs: Number(end - written) / 1e6, nodes: snapshot.nodeCount, edges: snapshot.edgeCount, bytes };
  // The inspector session is an object of class Session: never count it as the program's.
  if (own.size === 0) own.add(idOf(session));
  return snapshot;
}

/** Snapshot ids of this module's own objects, left out of counts. */
const own = new Set<number>();

const HOLDER = Symbol.for("tsprof.objgraph.holder");
type Holder = { in?: unknown; out?: unknown[] };
function holder(): Holder {
  const g = globalThis as unknown as Record<symbol, Holder>;
  return (g[HOLDER] ??= {});
}

/** Nodes this module handed out (chains, leaking objects): they stand for themselves in showRefs. */
const handedOut = new WeakSet<HeapNode>();
function hand(nodes: HeapNode[]): HeapNode[] {
  for (const n of nodes) handedOut.add(n);
  return nodes;
}

/** The snapshot id of a live object (call after a snapshot: ids are given to objects it saw). */
export function idOf(obj: unknown): number {
  if (handedOut.has(obj as HeapNode)) return (obj as HeapNode).id;
  if ((typeof obj !== "object" && typeof obj !== "function") || obj === null) {
    throw new TypeError(`tsprof/objgraph: ${String(obj)} is a primitive value; pass objects, arrays or functions`);
  }
  const h = holder();
  h.in = obj;
  try {
    const r = post<{ result: { objectId?: string } }>("Runtime.evaluate", { expression: `globalThis[Symbol.for("tsprof.objgraph.holder")].in`, objectGroup: "tsprof-objgraph", silent: true });
    const id = post<{ heapSnapshotObjectId: string }>("HeapProfiler.getHeapObjectId", { objectId: r.result.objectId }).heapSnapshotObjectId;
    return Number(id);
  } finally {
    h.in = undefined;
    post("Runtime.releaseObjectGroup", { objectGroup: "tsprof-objgraph" });
  }
}

/** The live object with snapshot id `id` (objgraph's `at`), or undefined when it is gone. */
export function at(id: number): unknown {
  const h = holder();
  try {
    const r = post<{ result: { objectId?: string; value?: unknown; type: string } }>("HeapProfiler.getObjectByHeapObjectId", { objectId: String(id), objectGroup: "tsprof-objgraph" });
    if (!r.result.objectId) return r.result.value;
    post("Runtime.callFunctionOn", { objectId: r.result.objectId, functionDeclaration: `function () { globalThis[Symbol.for("tsprof.objgraph.holder")].out = [this]; }`, silent: true });
    return h.out?.[0];
  } catch {
    return undefined;
  } finally {
    h.out = undefined;
    post("Runtime.releaseObjectGroup", { objectGroup: "tsprof-objgraph" });
  }
}

function nodesOf(s: HeapSnapshot, objs: unknown[]): number[] {
  return objs.map((o) => {
    const id = idOf(o);
    const n = s.nodeById(id);
    if (n < 0) throw new Error(`tsprof/objgraph: object ${id} is not in the snapshot (created after it?)`);
    return n;
  });
}

export interface TypeOptions {
  /** Count V8's internal types too: `(array)`, `(code)`, `(object shape)`, … (default false). */
  internals?: boolean;
}

/** Objects per type: `{ Object: 2087, Array: 1402, … }` (objgraph's `typestats`). */
export function typestats(options: TypeOptions = {}): Record<string, number> {
  return Object.fromEntries(typeStats(takeSnapshot(), options.internals, own));
}

/** Number of live objects of a type (`count("Foo")`). */
export function count(type: string, options: TypeOptions = {}): number {
  return typestats({ internals: options.internals || type.startsWith("(") })[type] ?? 0;
}

export interface LimitOptions extends TypeOptions {
  /** Rows to return or print (default 10). */
  limit?: number;
  /** Where to print (default stdout). */
  file?: { write(text: string): unknown };
}

/** The most numerous types, `[type, count]`, most first. */
export function mostCommonTypes(options: LimitOptions = {}): [string, number][] {
  const rows = Object.entries(typestats(options));
  return options.limit === 0 ? rows : rows.slice(0, options.limit ?? 10);
}

/** Prints the most numerous types, objgraph's `%-*s %i` layout. */
export function showMostCommonTypes(options: LimitOptions = {}): void {
  (options.file ?? process.stdout).write(formatCounts(mostCommonTypes(options)));
}

const peaks = new Map<string, number>();

/**
 * Types whose count rose above its highest count seen by an earlier call (objgraph's rule, so a
 * type that shrinks and regrows reports only the growth past its peak): `[type, count, delta]`,
 * biggest growth first.
 */
export function growth(options: LimitOptions = {}): [string, number, number][] {
  const stats = typeStats(takeSnapshot(), options.internals, own);
  const rows: [string, number, number][] = [];
  for (const [type, c] of stats) {
    const before = peaks.get(type) ?? 0;
    if (c > before) { rows.push([type, c, c - before]); peaks.set(type, c); }
  }
  rows.sort((a, b) => b[2] - a[2] || (a[0] < b[0] ? -1 : 1));
  return options.limit === 0 ? rows : rows.slice(0, options.limit ?? 10);
}

/** Prints `growth()` as objgraph does: `type  count  +delta`. */
export function showGrowth(options: LimitOptions = {}): void {
  (options.file ?? process.stdout).write(formatGrowth(growth(options)));
}

let knownIds: Map<string, Set<number>> | undefined;

export interface NewIdsOptions extends LimitOptions {
  /** Compare without remembering this snapshot for the next call. */
  skipUpdate?: boolean;
  /** Print objgraph's table (default true). */
  print?: boolean;
}

/** Ids of objects that appeared since the last call, per type; prints objgraph's table. */
export function getNewIds(options: NewIdsOptions = {}): Map<string, Set<number>> {
  const current = idsByType(takeSnapshot(), options.internals, own);
  const old = knownIds ?? new Map<string, Set<number>>();
  const fresh = new Map<string, Set<number>>();
  const rows: [string, number, number, number, number][] = [];
  for (const type of new Set([...old.keys(), ...current.keys()])) {
    const before = old.get(type) ?? new Set();
    const now = current.get(type) ?? new Set();
    const added = new Set([...now].filter((id) => !before.has(id)));
    fresh.set(type, added);
    if (added.size || now.size !== before.size) rows.push([type, before.size, now.size, added.size, now.size - before.size]);
  }
  if (!options.skipUpdate) knownIds = current;
  if (options.print !== false) {
    rows.sort((a, b) => b[4] - a[4] || (a[0] < b[0] ? -1 : 1));
    const shown = options.limit === 0 ? rows : rows.slice(0, options.limit ?? 10);
    const width = Math.max(4, ...shown.map((r) => r[0].length));
    const rule = "=".repeat(width + 13 * 4);
    const sign = (v: number) => (v >= 0 ? `+${v}` : String(v)).padStart(13);
    const lines = [rule, `${"Type".padEnd(width)}${"Old_ids".padStart(13)}${"Current_ids".padStart(13)}${"New_ids".padStart(13)}${"Count_Deltas".padStart(13)}`, rule];
    for (const [t, o, c, n, d] of shown) lines.push(`${t.padEnd(width)}${String(o).padStart(13)}${String(c).padStart(13)}${sign(n)}${sign(d)}`);
    lines.push(rule);
    (options.file ?? process.stdout).write(lines.join("\n") + "\n");
  }
  return fresh;
}

/**
 * The live objects of a type (`byType("Foo")`). Finding one object by its id walks the whole
 * heap in V8, so objects are gathered by prototype instead: one `Runtime.queryObjects` per
 * prototype, kept when their own prototype is it. Strings and numbers come back as values.
 */
export function byType(type: string, options: TypeOptions = {}): unknown[] {
  const s = takeSnapshot();
  const internals = options.internals || type.startsWith("(");
  const ids = idsByType(s, internals, own).get(type) ?? new Set<number>();
  const protos = new Set<number>();
  let everyHasProto = ids.size > 0;
  for (const id of ids) {
    const n = s.nodeById(id);
    let proto = -1;
    for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
      if (s.edgeType(e) === "property" && s.edgeName(e) === "__proto__") { proto = s.nodeId(s.edgeTo(e)); break; }
    }
    if (proto < 0) { everyHasProto = false; break; }
    protos.add(proto);
  }
  if (!everyHasProto) return [...ids].map(at).filter((o) => o !== undefined);
  const h = holder();
  const out: unknown[] = [];
  try {
    for (const proto of protos) {
      const p = post<{ result: { objectId?: string } }>("HeapProfiler.getObjectByHeapObjectId", { objectId: String(proto), objectGroup: "tsprof-objgraph" });
      if (!p.result.objectId) continue;
      const q = post<{ objects: { objectId: string } }>("Runtime.queryObjects", { prototypeObjectId: p.result.objectId, objectGroup: "tsprof-objgraph" });
      post("Runtime.callFunctionOn", {
        objectId: q.objects.objectId,
        functionDeclaration: `function (p) { globalThis[Symbol.for("tsprof.objgraph.holder")].out = this.filter((o) => Object.getPrototypeOf(o) === p); }`,
        arguments: [{ objectId: p.result.objectId }],
        silent: true,
      });
      for (const o of h.out ?? []) out.push(o);
      h.out = undefined;
    }
  } finally {
    h.out = undefined;
    post("Runtime.releaseObjectGroup", { objectGroup: "tsprof-objgraph" });
  }
  return out;
}

/**
 * Objects nothing in JavaScript refers to: held only from outside the JS heap (global handles
 * of native code, the embedder), a usual sign of a leak through a native resource.
 */
export function getLeakingObjects(): HeapNode[] {
  const s = takeSnapshot();
  const out: HeapNode[] = [];
  for (let n = 0; n < s.nodeCount; n++) {
    const t = s.nodeType(n);
    if (t !== "object" && t !== "closure") continue;
    const node = describe(s, n);
    if (node.type.startsWith("(")) continue;
    let js = false;
    let held = false;
    for (const e of s.retainers(n)) {
      const et = s.edgeType(e);
      if (et === "weak") continue;
      const from = s.edgeSource(e);
      const ft = s.nodeType(from);
      if (ft === "synthetic" || ft === "native") { held = true; continue; }
      js = true;
      break;
    }
    if (held && !js) out.push(node);
  }
  return hand(out);
}

export interface ChainOptions {
  /** Give up past this many references (default: no limit). */
  maxDepth?: number;
}

/**
 * The shortest chain of references from a GC root to `obj` (`predicate`: to the nearest node it
 * accepts instead), root first, each node with the reference that led to it. Stack roots are used
 * only when nothing else holds the object (the caller's own variables hold it too). With no such
 * chain, the chain is `[obj]`, as objgraph's.
 */
export function findBackrefChain(obj: unknown, predicate?: (node: HeapNode) => boolean, options: ChainOptions = {}): HeapNode[] {
  const s = takeSnapshot();
  const [n] = nodesOf(s, [obj]);
  const path = rootPath(s, n, predicate && ((k) => predicate(describe(s, k))), options.maxDepth);
  return hand(path ? describePath(s, path) : [describe(s, n)]);
}

/** The shortest chain of references from `obj` to a node `predicate` accepts, `obj` first. */
export function findRefChain(obj: unknown, predicate: (node: HeapNode) => boolean, options: ChainOptions = {}): HeapNode[] {
  const s = takeSnapshot();
  const [start] = nodesOf(s, [obj]);
  const parent = new Map<number, { from: number; label: string }>([[start, { from: -1, label: "" }]]);
  let queue = [start];
  for (let depth = 0; queue.length && depth <= (options.maxDepth ?? Infinity); depth++) {
    const next: number[] = [];
    for (const n of queue) {
      if (n !== start && predicate(describe(s, n))) {
        const chain: HeapNode[] = [];
        for (let k = n; k !== -1; k = parent.get(k)!.from) chain.unshift({ ...describe(s, k), ...(parent.get(k)!.label ? { edge: parent.get(k)!.label } : {}) });
        return hand(chain);
      }
      for (const r of refs(s, n)) if (!parent.has(r.to)) { parent.set(r.to, { from: n, label: r.label }); next.push(r.to); }
    }
    queue = next;
  }
  return hand([describe(s, start)]);
}

export interface GraphOptions {
  /** Levels of references to follow (default 3). */
  maxDepth?: number;
  /** Only nodes it accepts are drawn and followed. */
  filter?(node: HeapNode): boolean;
  /** References drawn per node, the rest summed in a `N more references` box (default 10). */
  tooMany?: number;
  /** Nodes drawn in blue. */
  highlight?(node: HeapNode): boolean;
  /** `.png`, `.svg` or `.dot` (default: a PNG beside a temporary `.dot`). */
  filename?: string;
  /** Follow `__proto__` links too (default false: every object would lead to Object.prototype). */
  prototypes?: boolean;
  /** Where the messages go (default stdout). */
  file?: { write(text: string): unknown };
}

/** What a drawing produced. */
export interface GraphResult {
  dot: string;
  /** Nodes drawn. */
  nodes: number;
  /** Path of the .dot file. */
  dotFile: string;
  /** Path of the image, when one was made. */
  image?: string;
}

/** Draws the objects `objs` refer to, objgraph's `show_refs`. */
export function showRefs(objs: unknown[], options: GraphOptions = {}): Promise<GraphResult> {
  return show(objs, false, options);
}

/** Draws what refers to `objs`, objgraph's `show_backrefs`: the graph that explains a leak. */
export function showBackrefs(objs: unknown[], options: GraphOptions = {}): Promise<GraphResult> {
  return show(objs, true, options);
}

async function show(objs: unknown[], backwards: boolean, options: GraphOptions): Promise<GraphResult> {
  const s = takeSnapshot();
  const starts = nodesOf(s, objs);
  const maxDepth = options.maxDepth ?? 3;
  // The array of starting objects holds them all: objgraph leaves it out, and so does this.
  const list = s.nodeById(idOf(objs));
  const walkOptions: WalkOptions = { maxDepth, tooMany: options.tooMany, filter: options.filter, prototypes: options.prototypes, ignore: new Set(list < 0 ? [] : [list]) };
  // objgraph stops at modules; the global object is JavaScript's nearest equivalent.
  if (backwards) walkOptions.stop = (n) => n.type === "global" || n.type === "Window";
  const { dot, nodes } = walkDot(s, starts, backwards, { ...walkOptions, highlight: options.highlight });
  return present(dot, nodes, options);
}

/** Draws chains found by `findBackrefChain`/`findRefChain`, objgraph's `show_chain`. */
export function showChain(chains: HeapNode[] | HeapNode[][], options: Pick<GraphOptions, "filename" | "highlight" | "file"> = {}): Promise<GraphResult> {
  const list = (Array.isArray(chains[0]) ? chains : [chains]) as HeapNode[][];
  const { dot, nodes } = chainDot(list, options.highlight);
  return present(dot, nodes, options);
}

async function present(dot: string, count: number, options: Pick<GraphOptions, "filename" | "file">): Promise<GraphResult> {
  const out = options.file ?? process.stdout;
  const filename = options.filename;
  if (filename && !imageFormat(filename)) throw new Error(`tsprof/objgraph: cannot tell the image format of ${filename}; use .png, .svg or .dot`);
  let dotFile: string;
  if (filename && imageFormat(filename) === "dot") {
    dotFile = filename;
  } else {
    // objgraph's name for the temporary graph, created exclusively.
    dotFile = path.join(os.tmpdir(), `objgraph-${crypto.randomBytes(6).toString("base64url").toLowerCase()}.dot`);
  }
  fs.writeFileSync(dotFile, dot, { flag: dotFile === filename ? "w" : "wx" });
  out.write(`Graph written to ${dotFile} (${count} nodes)\n`);
  if (dotFile === filename) return { dot, nodes: count, dotFile };
  const image = filename ?? dotFile.replace(/\.dot$/, ".png");
  await writeGraph(dot, image);
  out.write(`Image generated as ${image}\n`);
  return { dot, nodes: count, dotFile, image };
}
