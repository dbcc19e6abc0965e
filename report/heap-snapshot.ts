/*
 * V8 heap snapshots (`.heapsnapshot`: Chrome DevTools, `node --heapsnapshot-signal`,
 * `v8.writeHeapSnapshot()`, the inspector's HeapProfiler), read by a push parser.
 *
 * The file is one JSON object whose bulk is two flat number arrays (nodes, edges) and a string
 * table. `JSON.parse` on a 100 MB snapshot needs the whole text plus a boxed number per field
 * (several times the file); here numbers go straight from bytes into typed arrays, strings are
 * cut to `MAX_STRING` characters, and everything else (trace tree, samples) is skipped unread.
 * Memory is the graph's own size, not the file's.
 */
import * as fs from "node:fs";

/** A file that is not a usable heap snapshot: the message names the file, the problem and the fix. */
export class HeapSnapshotError extends Error {}

/** Longest string kept from the string table (names and string contents are for display only). */
export const MAX_STRING = 1024;

export interface HeapSnapshotMeta {
  node_fields: string[];
  node_types: [string[], ...unknown[]];
  edge_fields: string[];
  edge_types: [string[], ...unknown[]];
}

/** A parsed snapshot: flat node and edge records, as V8 wrote them, plus indexes for walking them. */
export class HeapSnapshot {
  readonly nodeFieldCount: number;
  readonly edgeFieldCount: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** First edge (ordinal) of each node; `firstEdge[nodeCount]` is the edge count. */
  readonly firstEdge: Uint32Array;
  readonly nodeTypes: string[];
  readonly edgeTypes: string[];
  private readonly typeOffset: number;
  private readonly nameOffset: number;
  private readonly idOffset: number;
  private readonly sizeOffset: number;
  private readonly edgeTypeOffset: number;
  private readonly edgeNameOffset: number;
  private readonly edgeToOffset: number;

  constructor(
    readonly meta: HeapSnapshotMeta,
    readonly nodes: Uint32Array,
    /** `to_node` fields hold node ordinals here (V8 writes offsets into `nodes`). */
    readonly edges: Uint32Array,
    readonly strings: string[],
  ) {
    this.nodeFieldCount = meta.node_fields.length;
    this.edgeFieldCount = meta.edge_fields.length;
    this.nodeCount = nodes.length / this.nodeFieldCount;
    this.edgeCount = edges.length / this.edgeFieldCount;
    this.nodeTypes = meta.node_types[0];
    this.edgeTypes = meta.edge_types[0];
    this.typeOffset = meta.node_fields.indexOf("type");
    this.nameOffset = meta.node_fields.indexOf("name");
    this.idOffset = meta.node_fields.indexOf("id");
    this.sizeOffset = meta.node_fields.indexOf("self_size");
    this.edgeTypeOffset = meta.edge_fields.indexOf("type");
    this.edgeNameOffset = meta.edge_fields.indexOf("name_or_index");
    this.edgeToOffset = meta.edge_fields.indexOf("to_node");
    const countOffset = meta.node_fields.indexOf("edge_count");
    this.firstEdge = new Uint32Array(this.nodeCount + 1);
    for (let i = 0, e = 0; i < this.nodeCount; i++) {
      this.firstEdge[i] = e;
      e += nodes[i * this.nodeFieldCount + countOffset];
      this.firstEdge[i + 1] = e;
    }
  }

  /** Index of the node's type in `nodeTypes`, and of its name in `strings`. */
  nodeTypeIndex(n: number): number { return this.nodes[n * this.nodeFieldCount + this.typeOffset]; }
  nodeNameIndex(n: number): number { return this.nodes[n * this.nodeFieldCount + this.nameOffset]; }
  nodeType(n: number): string { return this.nodeTypes[this.nodes[n * this.nodeFieldCount + this.typeOffset]]; }
  nodeName(n: number): string { return this.strings[this.nodes[n * this.nodeFieldCount + this.nameOffset]]; }
  nodeId(n: number): number { return this.nodes[n * this.nodeFieldCount + this.idOffset]; }
  selfSize(n: number): number { return this.nodes[n * this.nodeFieldCount + this.sizeOffset]; }
  edgeType(e: number): string { return this.edgeTypes[this.edges[e * this.edgeFieldCount + this.edgeTypeOffset]]; }
  edgeTo(e: number): number { return this.edges[e * this.edgeFieldCount + this.edgeToOffset]; }
  /** A property or variable name, or `[i]` for elements and hidden edges (which carry an index). */
  edgeName(e: number): string {
    const v = this.edges[e * this.edgeFieldCount + this.edgeNameOffset];
    const t = this.edgeType(e);
    return t === "element" || t === "hidden" ? `[${v}]` : this.strings[v];
  }
  /** The raw name_or_index field. */
  edgeNameIndex(e: number): number { return this.edges[e * this.edgeFieldCount + this.edgeNameOffset]; }

  private byId: Map<number, number> | undefined;
  /** Node ordinal of a snapshot object id, or -1. */
  nodeById(id: number): number {
    if (!this.byId) {
      this.byId = new Map();
      for (let i = 0; i < this.nodeCount; i++) this.byId.set(this.nodeId(i), i);
    }
    return this.byId.get(id) ?? -1;
  }

  private retainerStart: Uint32Array | undefined;
  private retainerEdges: Uint32Array | undefined;
  private edgeFrom: Uint32Array | undefined;
  /** Edges pointing at node `n` (ordinals), built on first use. */
  retainers(n: number): Uint32Array {
    if (!this.retainerStart) this.buildRetainers();
    return this.retainerEdges!.subarray(this.retainerStart![n], this.retainerStart![n + 1]);
  }
  /** The node an edge starts from. */
  edgeSource(e: number): number {
    if (!this.edgeFrom) this.buildRetainers();
    return this.edgeFrom![e];
  }
  private buildRetainers(): void {
    const start = new Uint32Array(this.nodeCount + 1);
    const from = new Uint32Array(this.edgeCount);
    for (let n = 0; n < this.nodeCount; n++) {
      for (let e = this.firstEdge[n]; e < this.firstEdge[n + 1]; e++) {
        from[e] = n;
        start[this.edgeTo(e) + 1]++;
      }
    }
    for (let n = 0; n < this.nodeCount; n++) start[n + 1] += start[n];
    const fill = start.slice(0, this.nodeCount);
    const list = new Uint32Array(this.edgeCount);
    for (let e = 0; e < this.edgeCount; e++) list[fill[this.edgeTo(e)]++] = e;
    this.retainerStart = start;
    this.retainerEdges = list;
    this.edgeFrom = from;
  }
}

/** Growable Uint32Array (snapshots say their counts up front, but a file may lie). */
class U32Vec {
  data: Uint32Array;
  length = 0;
  constructor(capacity: number) { this.data = new Uint32Array(Math.max(16, capacity)); }
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  done(): Uint32Array { return this.data.length === this.length ? this.data : this.data.slice(0, this.length); }
}

const enum S {
  Start, Key, KeyString, Colon, Value, AfterValue, Numbers, Strings, StringBody, Raw, End,
}

/**
 * Push parser: `write()` chunks as they come (a file, a stream, inspector chunks), then `end()`.
 * Throws HeapSnapshotError on anything that is not a heap snapshot.
 */
export class HeapSnapshotParser {
  private state = S.Start;
  private offset = 0;
  private key = "";
  private keyBytes: Buffer[] = [];
  private meta: (HeapSnapshotMeta & { node_count?: number; edge_count?: number }) | undefined;
  private nodes: U32Vec | undefined;
  private edges: U32Vec | undefined;
  private strings: string[] | undefined;
  private numbers: U32Vec | undefined;
  private number = -1;
  private strParts: Buffer[] = [];
  private strKept = 0;
  private strEscaped = false;
  private escape = false;
  private depth = 0;
  private rawInString = false;
  private rawParts: Buffer[] | undefined;

  constructor(private readonly file = "snapshot") {}

  /** Bytes consumed so far. */
  get bytes(): number { return this.offset; }

  private fail(problem: string, at = this.offset): never {
    throw new HeapSnapshotError(`tsprof: ${this.file} is not a V8 heap snapshot (${problem} at byte ${at}); take the snapshot again (v8.writeHeapSnapshot(), DevTools' Memory tab) or pass another file`);
  }

  write(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const c = chunk[i];
      switch (this.state) {
        case S.Start:
          if (c === 0x7b) this.state = S.Key;
          else if (!isSpace(c)) this.fail(`starts with ${JSON.stringify(String.fromCharCode(c))}, not "{"`, this.offset + i);
          i++;
          break;
        case S.Key:
          if (c === 0x22) { this.state = S.KeyString; this.keyBytes = []; i++; }
          else if (c === 0x7d) { this.state = S.End; i++; }
          else if (isSpace(c) || c === 0x2c) i++;
          else this.fail(`unexpected ${JSON.stringify(String.fromCharCode(c))} where a key was expected`, this.offset + i);
          break;
        case S.KeyString: {
          const q = chunk.indexOf(0x22, i);
          if (q < 0) { this.keyBytes.push(chunk.subarray(i)); i = n; break; }
          this.keyBytes.push(chunk.subarray(i, q));
          this.key = Buffer.concat(this.keyBytes).toString("utf8");
          this.state = S.Colon;
          i = q + 1;
          break;
        }
        case S.Colon:
          if (c === 0x3a) this.state = S.Value;
          else if (!isSpace(c)) this.fail(`expected ":" after "${this.key}"`, this.offset + i);
          i++;
          break;
        case S.Value:
          if (isSpace(c)) { i++; break; }
          i = this.startValue(chunk, i);
          break;
        case S.AfterValue:
          if (c === 0x2c) this.state = S.Key;
          else if (c === 0x7d) this.state = S.End;
          else if (!isSpace(c)) this.fail(`unexpected ${JSON.stringify(String.fromCharCode(c))} after "${this.key}"`, this.offset + i);
          i++;
          break;
        case S.Numbers:
          i = this.readNumbers(chunk, i);
          break;
        case S.Strings:
          if (c === 0x22) { this.state = S.StringBody; this.strParts = []; this.strKept = 0; this.strEscaped = false; i++; }
          else if (c === 0x5d) { this.state = S.AfterValue; i++; }
          else if (isSpace(c) || c === 0x2c) i++;
          else this.fail(`unexpected ${JSON.stringify(String.fromCharCode(c))} in "strings"`, this.offset + i);
          break;
        case S.StringBody:
          i = this.readString(chunk, i);
          break;
        case S.Raw:
          i = this.readRaw(chunk, i);
          break;
        case S.End:
          if (!isSpace(c)) this.fail("unexpected data after the end", this.offset + i);
          i++;
          break;
      }
    }
    this.offset += n;
  }

  private startValue(chunk: Buffer, i: number): number {
    const c = chunk[i];
    if ((this.key === "nodes" || this.key === "edges") && c === 0x5b) {
      if (!this.meta) this.fail(`"${this.key}" comes before "snapshot"`, this.offset + i);
      const fields = this.key === "nodes" ? this.meta.node_fields.length : this.meta.edge_fields.length;
      const count = (this.key === "nodes" ? this.meta.node_count : this.meta.edge_count) ?? 0;
      this.numbers = new U32Vec(count * fields);
      if (this.key === "nodes") this.nodes = this.numbers; else this.edges = this.numbers;
      this.number = -1;
      this.state = S.Numbers;
      return i + 1;
    }
    if (this.key === "strings" && c === 0x5b) {
      this.strings = [];
      this.state = S.Strings;
      return i + 1;
    }
    // Any other value is skipped, except "snapshot" (the meta), which is kept and JSON-parsed.
    this.depth = 0;
    this.rawInString = false;
    this.escape = false;
    this.rawParts = this.key === "snapshot" ? [] : undefined;
    this.state = S.Raw;
    return i;
  }

  private readNumbers(chunk: Buffer, i: number): number {
    const n = chunk.length;
    const out = this.numbers!;
    let v = this.number;
    for (; i < n; i++) {
      const c = chunk[i];
      if (c >= 0x30 && c <= 0x39) {
        v = v < 0 ? c - 0x30 : v * 10 + (c - 0x30);
        continue;
      }
      if (v >= 0) {
        if (v > 0xffffffff) this.fail(`number too large in "${this.key}"`, this.offset + i);
        out.push(v);
        v = -1;
      }
      if (c === 0x2c || c === 0x0a || c === 0x20 || c === 0x0d || c === 0x09) continue;
      if (c === 0x5d) {
        this.number = -1;
        this.state = S.AfterValue;
        return i + 1;
      }
      this.fail(`unexpected ${JSON.stringify(String.fromCharCode(c))} in "${this.key}"`, this.offset + i);
    }
    this.number = v;
    return i;
  }

  private readString(chunk: Buffer, i: number): number {
    const n = chunk.length;
    const start = i;
    for (; i < n; i++) {
      const c = chunk[i];
      if (this.escape) { this.escape = false; continue; }
      if (c === 0x5c) { this.escape = true; this.strEscaped = true; continue; }
      if (c === 0x22) break;
    }
    this.keep(chunk.subarray(start, i));
    if (i === n) return i;
    this.strings!.push(decodeString(this.strParts, this.strEscaped));
    this.state = S.Strings;
    return i + 1;
  }

  private keep(part: Buffer): void {
    // Bytes kept: enough for MAX_STRING characters, whatever their UTF-8 width, plus escapes.
    const room = MAX_STRING * 6 - this.strKept;
    if (room <= 0 || part.length === 0) return;
    const kept = part.length > room ? part.subarray(0, room) : part;
    this.strParts.push(Buffer.from(kept));
    this.strKept += kept.length;
  }

  private readRaw(chunk: Buffer, i: number): number {
    const n = chunk.length;
    const start = i;
    let ended = false;
    for (; i < n; i++) {
      const c = chunk[i];
      if (this.rawInString) {
        if (this.escape) this.escape = false;
        else if (c === 0x5c) this.escape = true;
        else if (c === 0x22) this.rawInString = false;
        continue;
      }
      if (c === 0x22) this.rawInString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (this.depth === 0) { ended = true; break; }
        if (--this.depth === 0) { i++; ended = true; break; }
      } else if (this.depth === 0 && (c === 0x2c || isSpace(c))) { ended = true; break; }
    }
    this.rawParts?.push(Buffer.from(chunk.subarray(start, i)));
    if (!ended) return i;
    if (this.rawParts) this.readMeta(Buffer.concat(this.rawParts).toString("utf8"));
    this.rawParts = undefined;
    this.state = S.AfterValue;
    return i;
  }

  private readMeta(text: string): void {
    let snapshot: { meta?: HeapSnapshotMeta; node_count?: number; edge_count?: number };
    try {
      snapshot = JSON.parse(text);
    } catch {
      this.fail(`its "snapshot" header is not valid JSON`);
    }
    const meta = snapshot?.meta;
    const ok = meta && Array.isArray(meta.node_fields) && Array.isArray(meta.edge_fields) && Array.isArray(meta.node_types?.[0]) && Array.isArray(meta.edge_types?.[0]);
    if (!ok) this.fail(`its "snapshot" header has no node and edge field lists`);
    for (const f of ["type", "name", "id", "self_size", "edge_count"]) {
      if (!meta.node_fields.includes(f)) this.fail(`nodes have no "${f}" field`);
    }
    for (const f of ["type", "name_or_index", "to_node"]) {
      if (!meta.edge_fields.includes(f)) this.fail(`edges have no "${f}" field`);
    }
    this.meta = { ...meta, node_count: snapshot.node_count, edge_count: snapshot.edge_count };
  }

  /** Checks the whole snapshot arrived and holds together; returns it. */
  end(): HeapSnapshot {
    if (this.state !== S.End) {
      const where = this.state === S.Numbers || this.state === S.Strings || this.state === S.StringBody || this.state === S.Raw
        ? `inside "${this.key}"` : this.key ? `after "${this.key}"` : "before any data";
      this.fail(`truncated: the file ends ${where}`);
    }
    if (!this.meta) this.fail(`no "snapshot" header`);
    if (!this.nodes || !this.edges || !this.strings) this.fail(`no ${!this.nodes ? '"nodes"' : !this.edges ? '"edges"' : '"strings"'} array`);
    const meta = this.meta;
    const nodes = this.nodes.done();
    const edges = this.edges.done();
    const nfc = meta.node_fields.length;
    const efc = meta.edge_fields.length;
    if (nodes.length % nfc !== 0) this.fail(`"nodes" holds ${nodes.length} numbers, not a multiple of ${nfc} fields`);
    if (edges.length % efc !== 0) this.fail(`"edges" holds ${edges.length} numbers, not a multiple of ${efc} fields`);
    const nodeCount = nodes.length / nfc;
    if (meta.node_count !== undefined && meta.node_count !== nodeCount) this.fail(`the header says ${meta.node_count} nodes but "nodes" holds ${nodeCount}`);
    const countOffset = meta.node_fields.indexOf("edge_count");
    const nameOffset = meta.node_fields.indexOf("name");
    const typeOffset = meta.node_fields.indexOf("type");
    let total = 0;
    for (let i = 0; i < nodeCount; i++) {
      total += nodes[i * nfc + countOffset];
      if (nodes[i * nfc + nameOffset] >= this.strings.length) this.fail(`node ${i} names string ${nodes[i * nfc + nameOffset]} of ${this.strings.length}`);
      if (nodes[i * nfc + typeOffset] >= meta.node_types[0].length) this.fail(`node ${i} has an unknown type`);
    }
    if (total * efc !== edges.length) this.fail(`the nodes count ${total} edges but "edges" holds ${edges.length / efc}`);
    const toOffset = meta.edge_fields.indexOf("to_node");
    const edgeTypeOffset = meta.edge_fields.indexOf("type");
    const edgeNameOffset = meta.edge_fields.indexOf("name_or_index");
    const element = meta.edge_types[0].indexOf("element");
    const hidden = meta.edge_types[0].indexOf("hidden");
    for (let e = 0; e < edges.length; e += efc) {
      const to = edges[e + toOffset];
      if (to % nfc !== 0 || to >= nodes.length) this.fail(`edge ${e / efc} points outside "nodes"`);
      edges[e + toOffset] = to / nfc;
      const t = edges[e + edgeTypeOffset];
      if (t >= meta.edge_types[0].length) this.fail(`edge ${e / efc} has an unknown type`);
      if (t !== element && t !== hidden && edges[e + edgeNameOffset] >= this.strings.length) this.fail(`edge ${e / efc} names string ${edges[e + edgeNameOffset]} of ${this.strings.length}`);
    }
    return new HeapSnapshot(meta, nodes, edges, this.strings);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function decodeString(parts: Buffer[], escaped: boolean): string {
  const text = (parts.length === 1 ? parts[0] : Buffer.concat(parts)).toString("utf8");
  if (!escaped) return text.length > MAX_STRING ? text.slice(0, MAX_STRING) : text;
  // A string cut short may end inside an escape: drop characters until it parses.
  for (let cut = 0; cut < 7 && cut <= text.length; cut++) {
    try {
      const s = JSON.parse(`"${text.slice(0, text.length - cut)}"`) as string;
      return s.length > MAX_STRING ? s.slice(0, MAX_STRING) : s;
    } catch { /* try a shorter tail */ }
  }
  return text.slice(0, MAX_STRING);
}

export interface ReadOptions {
  /** Called about every 16 MB read, and at the end: bytes read and the file's size. */
  onProgress?(read: number, total: number): void;
}

/** Reads a `.heapsnapshot` file in 4 MB chunks; throws HeapSnapshotError for a bad or missing file. */
export function readHeapSnapshot(file: string, options: ReadOptions = {}): HeapSnapshot {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HeapSnapshotError(`tsprof: cannot read ${file} (${code === "ENOENT" ? "no such file" : code ?? String(e)}); pass the path of a .heapsnapshot file`);
  }
  try {
    const total = fs.fstatSync(fd).size;
    const parser = new HeapSnapshotParser(file);
    const buffer = Buffer.allocUnsafe(4 << 20);
    let read = 0;
    let reported = 0;
    for (;;) {
      const got = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (got === 0) break;
      parser.write(buffer.subarray(0, got));
      read += got;
      if (options.onProgress && read - reported >= 16 << 20) {
        reported = read;
        options.onProgress(read, total);
      }
    }
    options.onProgress?.(read, total);
    return parser.end();
  } finally {
    fs.closeSync(fd);
  }
}
