/*
 * A heap snapshot as a JavaScript developer reads it: objects by constructor name, functions,
 * strings, and the variables of scopes, with V8's machinery (hidden classes, backing stores,
 * code, feedback) kept apart. Shared by `tsprof/objgraph` and `tsprof heap`.
 *
 * References between visible nodes follow property, element and variable (context) edges.
 * V8 already reports an object's elements and properties as direct edges besides the internal
 * backing stores, so the stores are skipped; a Map's or Set's entries live only in an internal
 * hash table, which is looked through, labelling each value with its key.
 */
import type { HeapSnapshot } from "./heap-snapshot";

/** One node of the snapshot, described for people. */
export interface HeapNode {
  /** Snapshot object id: stable across snapshots of one process. */
  id: number;
  /** `Map`, `Foo`, `Function`, `String`, `(scope)`; internal types are in parentheses. */
  type: string;
  /** V8's node name: a constructor, a function's name, a string's contents. */
  name: string;
  /** Bytes of the node itself. */
  size: number;
  /** A short description: `3 items`, `foo()`, `"text"`, `{a, b}`. */
  repr: string;
  /** The reference that led here in a chain (property, `[i]`, variable name). */
  edge?: string;
}

const STRING_TYPES = new Set(["string", "concatenated string", "sliced string"]);
const SIMPLE: Record<string, string> = { closure: "Function", regexp: "RegExp", number: "Number", symbol: "Symbol", bigint: "BigInt" };
const COLLECTIONS = new Set(["Map", "Set", "WeakMap", "WeakSet"]);
/** Internal edges that never count as a reference a developer made. */
const SKIPPED_INTERNAL = new Set(["map", "elements", "properties", "scope_info", "shared", "feedback_cell", "code", "native_context", "extension"]);

const typeCache = new WeakMap<HeapSnapshot, Map<number, string>>();

/** The developer-facing type of node `n`, or a parenthesized internal type. */
export function typeName(s: HeapSnapshot, n: number): string {
  // A type depends on V8's node type and name only: memoized, since counting asks for every node.
  let cache = typeCache.get(s);
  if (!cache) typeCache.set(s, (cache = new Map()));
  const key = s.nodeNameIndex(n) * 32 + s.nodeTypeIndex(n);
  let t = cache.get(key);
  if (t === undefined) cache.set(key, (t = computeTypeName(s, n)));
  return t;
}

function computeTypeName(s: HeapSnapshot, n: number): string {
  const t = s.nodeType(n);
  if (t === "object") {
    const name = s.nodeName(n);
    if (name === "system / Context") return "(scope)";
    if (name.startsWith("system / ")) return `(${name.slice(9)})`;
    return name || "Object";
  }
  if (STRING_TYPES.has(t)) return "String";
  if (t === "synthetic") return s.nodeName(n).startsWith("(") ? s.nodeName(n) : "(root)";
  return SIMPLE[t] ?? `(${t})`;
}

/** Whether a type name is one of V8's internals (hidden unless asked for). */
export function isInternalType(type: string): boolean {
  return type.startsWith("(") && type !== "(scope)";
}

/** Whether node `n` is a node of the developer's graph (scopes count: they hold variables). */
export function isVisible(s: HeapSnapshot, n: number): boolean {
  return !isInternalType(typeName(s, n));
}

/** Nodes per developer-facing type, most numerous first (internal types only with `internals`). */
export function typeStats(s: HeapSnapshot, internals = false, exclude?: Set<number>): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 0; n < s.nodeCount; n++) {
    if (exclude?.has(s.nodeId(n))) continue;
    const t = typeName(s, n);
    if (!internals && (t.startsWith("(") )) continue;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return new Map([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}

/** Snapshot ids of the nodes of each type. */
export function idsByType(s: HeapSnapshot, internals = false, exclude?: Set<number>): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (let n = 0; n < s.nodeCount; n++) {
    if (exclude?.has(s.nodeId(n))) continue;
    const t = typeName(s, n);
    if (!internals && t.startsWith("(")) continue;
    let set = out.get(t);
    if (!set) out.set(t, (set = new Set()));
    set.add(s.nodeId(n));
  }
  return out;
}

/** Describes node `n`. */
export function describe(s: HeapSnapshot, n: number): HeapNode {
  return { id: s.nodeId(n), type: typeName(s, n), name: s.nodeName(n), size: s.selfSize(n), repr: repr(s, n) };
}

/** objgraph's short description: items of arrays, keys of objects, a function's name, a string. */
export function repr(s: HeapSnapshot, n: number): string {
  const t = s.nodeType(n);
  const type = typeName(s, n);
  if (STRING_TYPES.has(t)) return quote(s.nodeName(n));
  if (t === "closure") return `${s.nodeName(n) || "(anonymous)"}()`;
  if (t === "number" || t === "bigint" || t === "regexp") return s.nodeName(n);
  if (t === "synthetic") return "";
  if (t !== "object") return s.nodeName(n);
  if (type === "Array") return plural(countEdges(s, n, "element"), "item");
  if (COLLECTIONS.has(type)) {
    let k = 0;
    for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) if (isTable(s, n, e)) k += tableSize(s, n, s.edgeTo(e));
    return plural(k, type.endsWith("Map") ? "entry" : "item", type.endsWith("Map") ? "entries" : undefined);
  }
  const keys: string[] = [];
  for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
    const et = s.edgeType(e);
    if ((et === "property" && s.edgeName(e) !== "__proto__") || (type === "(scope)" && et === "context")) keys.push(s.edgeName(e));
  }
  let shown = "";
  for (const k of keys) {
    const next = shown ? `${shown}, ${k}` : k;
    if (next.length > 28) { shown = shown ? `${shown}, …` : `${k.slice(0, 27)}…`; break; }
    shown = next;
  }
  return `{${shown}}`;
}

function countEdges(s: HeapSnapshot, n: number, type: string): number {
  let k = 0;
  for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) if (s.edgeType(e) === type) k++;
  return k;
}

function plural(k: number, word: string, many = `${word}s`): string {
  return `${k} ${k === 1 ? word : many}`;
}

function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 37)}…` : text;
  return JSON.stringify(short);
}

/** A reference between visible nodes. */
export interface Ref {
  to: number;
  label: string;
}

/** Whether edge `e` is one a developer made (a property, element, variable, or a real internal link). */
function isOwnRef(s: HeapSnapshot, e: number, prototypes: boolean): boolean {
  const t = s.edgeType(e);
  if (t === "weak" || t === "shortcut" || t === "hidden") return false;
  if (t === "property") return prototypes || s.edgeName(e) !== "__proto__";
  if (t === "internal") return !SKIPPED_INTERNAL.has(s.edgeName(e));
  return true;
}

/** The hash table behind a Map or Set, if edge `e` of a visible node leads to one. */
function isTable(s: HeapSnapshot, from: number, e: number): boolean {
  return s.edgeType(e) === "internal" && s.edgeName(e) === "table" && COLLECTIONS.has(typeName(s, from));
}

/** References from visible node `n` to visible nodes, in snapshot order. */
export function refs(s: HeapSnapshot, n: number, prototypes = false): Ref[] {
  const out: Ref[] = [];
  for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
    if (!isOwnRef(s, e, prototypes)) continue;
    const to = s.edgeTo(e);
    // A loop, not push(...): a Map's table can hold a million entries, past the argument limit.
    if (isTable(s, n, e)) { for (const r of tableRefs(s, n, to)) out.push(r); continue; }
    if (isVisible(s, to)) out.push({ to, label: s.edgeType(e) === "internal" ? internalLabel(s.edgeName(e)) : s.edgeName(e) });
  }
  return out;
}

function internalLabel(name: string): string {
  return name === "context" ? "scope" : name === "previous" ? "outer scope" : name;
}

/**
 * A Map's table holds entries of three slots (key, value, chain) after a header: a value is
 * labelled by its key. Keys share one slot residue modulo 3, found from any entry whose key and
 * value are both objects (-1 when none is); a Set's (and a weak collection's) members get no
 * label. Tables can hold millions of slots: these scans allocate nothing per slot.
 */
function tableSlot(s: HeapSnapshot, e: number): number {
  return s.edgeType(e) === "internal" ? Number(s.edgeName(e)) : NaN;
}

function keyResidue(s: HeapSnapshot, table: number): number {
  let prev = NaN;
  let prevVisible = false;
  for (let e = s.firstEdge[table]; e < s.firstEdge[table + 1]; e++) {
    const slot = tableSlot(s, e);
    const visible = Number.isInteger(slot) && isVisible(s, s.edgeTo(e));
    if (visible && prevVisible && slot === prev + 1) return prev % 3;
    prev = slot;
    prevVisible = visible;
  }
  return -1;
}

function tableLabel(s: HeapSnapshot, owner: number, table: number, e: number, residue: number): string {
  if (typeName(s, owner) !== "Map") return "";
  if (residue < 0) return "entry";
  const slot = tableSlot(s, e);
  if (slot % 3 === residue) return "key";
  const before = e - 1;
  if (before >= s.firstEdge[table] && tableSlot(s, before) === slot - 1 && isVisible(s, s.edgeTo(before))) return `get(${shortRepr(s, s.edgeTo(before))})`;
  return "value";
}

function tableRefs(s: HeapSnapshot, owner: number, table: number): Ref[] {
  const residue = typeName(s, owner) === "Map" ? keyResidue(s, table) : -1;
  const out: Ref[] = [];
  for (let e = s.firstEdge[table]; e < s.firstEdge[table + 1]; e++) {
    if (!Number.isInteger(tableSlot(s, e)) || !isVisible(s, s.edgeTo(e))) continue;
    out.push({ to: s.edgeTo(e), label: tableLabel(s, owner, table, e, residue) });
  }
  return out;
}

/** Entries of a Map (members of a Set) without listing them. */
function tableSize(s: HeapSnapshot, owner: number, table: number): number {
  const residue = typeName(s, owner) === "Map" ? keyResidue(s, table) : -1;
  let k = 0;
  for (let e = s.firstEdge[table]; e < s.firstEdge[table + 1]; e++) {
    const slot = tableSlot(s, e);
    if (Number.isInteger(slot) && (residue < 0 || slot % 3 === residue) && isVisible(s, s.edgeTo(e))) k++;
  }
  return k;
}

/** The label of the reference from a Map or Set to `target` through its table. */
function labelThroughTable(s: HeapSnapshot, owner: number, table: number, target: number): string {
  const residue = typeName(s, owner) === "Map" ? keyResidue(s, table) : -1;
  for (let e = s.firstEdge[table]; e < s.firstEdge[table + 1]; e++) {
    if (s.edgeTo(e) === target && Number.isInteger(tableSlot(s, e))) return tableLabel(s, owner, table, e, residue);
  }
  return "";
}

function shortRepr(s: HeapSnapshot, n: number): string {
  const r = repr(s, n);
  return r.length > 24 ? `${r.slice(0, 21)}…` : r.startsWith('"') ? r : typeName(s, n);
}

/** References to visible node `n` from visible nodes (the same references `refs` reports, reversed). */
export function backrefs(s: HeapSnapshot, n: number, prototypes = false): Ref[] {
  const out: Ref[] = [];
  for (const e of s.retainers(n)) {
    if (!isOwnRef(s, e, prototypes)) continue;
    const from = s.edgeSource(e);
    if (isVisible(s, from)) { out.push({ to: from, label: s.edgeType(e) === "internal" ? internalLabel(s.edgeName(e)) : s.edgeName(e) }); continue; }
    if (s.nodeType(from) !== "array") continue;
    for (const e2 of s.retainers(from)) {
      const owner = s.edgeSource(e2);
      if (!isTable(s, owner, e2)) continue;
      out.push({ to: owner, label: labelThroughTable(s, owner, from, n) });
    }
  }
  return out;
}

/** Root categories whose references are usually the caller's own frames, searched last. */
const LATE_ROOTS = new Set(["(Stack roots)", "(Handle scope)"]);

/**
 * Shortest retainer chain from the snapshot's root (or the nearest node `until` accepts) to node
 * `target`, at most `maxDepth` references long, ignoring weak references; stack and handle-scope
 * roots are used only when nothing else holds the node. Returns node ordinals, root first, or
 * undefined when there is no such chain.
 */
export function rootPath(s: HeapSnapshot, target: number, until?: (n: number) => boolean, maxDepth = Infinity): number[] | undefined {
  for (const late of [false, true]) {
    const parent = new Int32Array(s.nodeCount).fill(-1);
    parent[target] = target;
    let queue = [target];
    for (let depth = 0; queue.length && depth <= maxDepth; depth++) {
      const next: number[] = [];
      for (const n of queue) {
        if (until ? until(n) && n !== target : n === 0) {
          const path = [n];
          for (let k = n; k !== target; ) path.push((k = parent[k]));
          return path;
        }
        for (const e of s.retainers(n)) {
          if (s.edgeType(e) === "weak") continue;
          const from = s.edgeSource(e);
          if (parent[from] !== -1) continue;
          if (!late && s.nodeType(from) === "synthetic" && LATE_ROOTS.has(s.nodeName(from))) continue;
          parent[from] = n;
          next.push(from);
        }
      }
      queue = next;
    }
  }
  return undefined;
}

/**
 * A root path as a developer's chain: the first GC-root category, then visible nodes only, each
 * with the reference that led to it (internal steps folded into the label).
 */
export function describePath(s: HeapSnapshot, path: number[]): HeapNode[] {
  const out: HeapNode[] = [];
  let pending: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const n = path[i];
    const prev = i > 0 ? path[i - 1] : -1;
    let label = "";
    if (prev >= 0) {
      for (let e = s.firstEdge[prev]; e < s.firstEdge[prev + 1]; e++) {
        if (s.edgeTo(e) !== n || s.edgeType(e) === "weak") continue;
        label = s.edgeType(e) === "internal" ? internalLabel(s.edgeName(e)) : s.edgeName(e);
        break;
      }
      if (s.nodeType(prev) === "array" && i >= 2 && isTable(s, path[i - 2], edgeBetween(s, path[i - 2], prev))) {
        label = labelThroughTable(s, path[i - 2], prev, n) || label;
        pending = [];
      }
    }
    const synthetic = s.nodeType(n) === "synthetic";
    const keep = isVisible(s, n) || (synthetic && s.nodeName(n) !== "" && s.nodeName(n) !== "(GC roots)") || i === path.length - 1;
    if (!keep) {
      if (i > 0 && s.nodeType(n) !== "synthetic") pending.push(label);
      continue;
    }
    const node = describe(s, n);
    if (prev >= 0) node.edge = [...pending, label].filter(Boolean).join(" → ");
    pending = [];
    out.push(node);
  }
  return out;
}

function edgeBetween(s: HeapSnapshot, from: number, to: number): number {
  for (let e = s.firstEdge[from]; e < s.firstEdge[from + 1]; e++) if (s.edgeTo(e) === to) return e;
  return -1;
}

/** Nodes of graph traversal for a picture: each node with its depth and the references drawn. */
export interface Subgraph {
  /** Node ordinals in visiting order; the first ones are the starting objects. */
  nodes: number[];
  depth: Map<number, number>;
  edges: { from: number; to: number; label: string }[];
  /** Nodes whose references were cut at `tooMany`: how many were left out. */
  skipped: Map<number, number>;
  starts: number[];
}

export interface WalkOptions {
  maxDepth?: number;
  tooMany?: number;
  /** Nodes for which this returns false are left out (and not walked through). */
  filter?(node: HeapNode): boolean;
  /** Nodes not walked beyond (objgraph stops at modules; here the global object by default). */
  stop?(node: HeapNode): boolean;
  prototypes?: boolean;
  /** Node ordinals never drawn (the caller's own array of starting objects). */
  ignore?: Set<number>;
}

/** Breadth-first walk from `starts` along references (`backwards`: along retainers), as objgraph draws. */
export function walk(s: HeapSnapshot, starts: number[], backwards: boolean, options: WalkOptions = {}): Subgraph {
  const maxDepth = options.maxDepth ?? 3;
  const tooMany = options.tooMany ?? 10;
  const depth = new Map<number, number>();
  const nodes: number[] = [];
  const edges: Subgraph["edges"] = [];
  const skipped = new Map<number, number>();
  const queue: number[] = [];
  for (const n of starts) if (!depth.has(n)) { depth.set(n, 0); queue.push(n); }
  const described = new Map<number, HeapNode>();
  const node = (n: number) => described.get(n) ?? (described.set(n, describe(s, n)), described.get(n)!);
  while (queue.length) {
    const n = queue.shift()!;
    nodes.push(n);
    const d = depth.get(n)!;
    if (d >= maxDepth) continue;
    if (d > 0 && options.stop?.(node(n))) continue;
    let k = 0;
    let cut = 0;
    const seen = new Set<string>();
    for (const r of backwards ? backrefs(s, n, options.prototypes) : refs(s, n, options.prototypes)) {
      const key = `${r.to}\0${r.label}`;
      if (seen.has(key) || options.ignore?.has(r.to)) continue;
      seen.add(key);
      if (options.filter && !options.filter(node(r.to))) continue;
      if (k >= tooMany) { cut++; continue; }
      k++;
      edges.push(backwards ? { from: r.to, to: n, label: r.label } : { from: n, to: r.to, label: r.label });
      if (!depth.has(r.to)) { depth.set(r.to, d + 1); queue.push(r.to); }
    }
    if (cut) skipped.set(n, cut);
  }
  return { nodes, depth, edges, skipped, starts };
}

/**
 * Nodes reachable from the GC roots without the stack and handle scopes: what stays alive once
 * the running code returns. New objects outside it are in flight, not leaks.
 */
export function heldBeyondStack(s: HeapSnapshot): Uint8Array {
  const held = new Uint8Array(s.nodeCount);
  const queue: number[] = [0];
  held[0] = 1;
  while (queue.length) {
    const n = queue.pop()!;
    for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
      if (s.edgeType(e) === "weak") continue;
      const to = s.edgeTo(e);
      if (held[to]) continue;
      if (s.nodeType(to) === "synthetic" && LATE_ROOTS.has(s.nodeName(to))) continue;
      held[to] = 1;
      queue.push(to);
    }
  }
  return held;
}
