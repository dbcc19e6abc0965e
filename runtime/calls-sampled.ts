/**
 * Sampler mode: the function profile's times from V8's CPU profile of the thread, its counts
 * from the counters (runtime/calls-counts.ts).
 *
 * Each profile node is matched to a row: an instrumented function (its compiled position mapped
 * through the source map into the spans the transform registered), or a row of its own for
 * what has no counters: Node's internals (`node:fs:…`), files not instrumented (node_modules),
 * native functions and regular expressions (`{built-in method …}`, `{regexp …}`), the garbage
 * collector. tsprof's own frames are transparent, and time spent under them alone (compiling
 * a module, writing the profile) is left out.
 *
 * The figures follow cProfile's meaning: tottime is a row's self samples; cumtime the samples
 * with the row on the stack, each counted once however often recursion put it there; an edge's
 * time the same for the caller→callee pair. An instrumented function's caller is the nearest
 * instrumented frame below it, as its counters see it. V8 bills the samples of an inlined callee
 * to its caller's node, with the callee's lines (positionTicks): those are given back to the
 * callee by line.
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { FunctionInfo } from "./calls";
import type { ProfCaller, ProfFunction, ProfStackNode } from "./prof-format";
import { originalLine, originalPosition } from "./source-positions";
import type { CpuProfile, CpuProfileNode } from "./v8-cpu";

/** tsprof's own code (this package) and the TypeScript it compiles with: never rows of the profile. */
function ownRoots(): string[] {
  const root = path.resolve(__dirname, "..", "..");
  const roots = [path.join(root, "dist") + path.sep, path.join(root, "node_modules") + path.sep];
  try {
    roots.push(path.dirname(require.resolve("typescript/package.json", { paths: [root] })) + path.sep);
  } catch {}
  return roots;
}

interface Row {
  fn: ProfFunction;
  instrumented: boolean;
}

/** What a node stands for: a row, transparent (tsprof's own, the root), or dropped with its subtree's self time. */
type Resolved = { row: number } | { own: true } | { root: true } | { idle: true } | { pass: true };

const keyOf = (file: string, line: number, name: string) => `${file}\0${line}\0${name}`;

/**
 * Rows of the sampled profile: first every instrumented function (index = id, counts and caller
 * counts from `counted`), then one row per other place the sampler saw.
 */
export function sampledFunctions(profile: CpuProfile, infos: readonly FunctionInfo[], counted: ProfFunction[]): ProfFunction[] {
  return sampledProfile(profile, infos, counted).functions;
}

/**
 * The rows (sampledFunctions), and the stacks the samples were taken in, as a tree of rows: each
 * node `[parent node, row, self seconds]`, parents first, with tsprof's own frames and dropped
 * samples left out as they are from the rows. Exports draw it as it was sampled, where a
 * profile with edges only has its call tree rebuilt.
 */
export function sampledProfile(profile: CpuProfile, infos: readonly FunctionInfo[], counted: ProfFunction[]): { functions: ProfFunction[]; stacks: ProfStackNode[] } {
  const rows: Row[] = counted.map((fn) => ({ fn: { ...fn, tottime: 0, cumtime: 0, callers: fn.callers.map((c) => [...c] as ProfCaller) }, instrumented: true }));
  const extra = new Map<string, number>();
  const byFile = new Map<string, number[]>();
  infos.forEach((info, id) => {
    let ids = byFile.get(info.file);
    if (!ids) byFile.set(info.file, (ids = []));
    ids.push(id);
  });
  const roots = ownRoots();

  const rowFor = (file: string, line: number, name: string): number => {
    const key = keyOf(file, line, name);
    let i = extra.get(key);
    if (i === undefined) {
      i = rows.length;
      extra.set(key, i);
      rows.push({ fn: { file, line, name, ncalls: 0, pcalls: 0, tottime: 0, cumtime: 0, callers: [], sampled: true }, instrumented: false });
    }
    return i;
  };

  /** The innermost registered function of `ids` containing the original position. */
  const functionAt = (ids: number[], line: number, col: number): number => {
    let best = ids[0];
    let bestSpan: FunctionInfo["span"];
    for (const id of ids) {
      const s = infos[id].span;
      if (!s) continue;
      const inside = (line > s[0] || (line === s[0] && col >= s[1])) && (line < s[2] || (line === s[2] && col < s[3]));
      if (!inside) continue;
      if (!bestSpan || s[0] > bestSpan[0] || (s[0] === bestSpan[0] && s[1] >= bestSpan[1])) {
        best = id;
        bestSpan = s;
      }
    }
    return best;
  };

  const fileOf = (url: string) => (url.startsWith("file:") ? fileURLToPath(url) : url);

  const resolve = (node: CpuProfileNode): Resolved => {
    const { functionName: name, url, lineNumber, columnNumber } = node.callFrame;
    if (name === "(root)") return { root: true };
    if (name === "(idle)" || name === "(program)") return { idle: true };
    if (name === "(garbage collector)") return { row: rowFor("~", 0, "<garbage collector>") };
    if (!url) {
      if (name.startsWith("RegExp: ")) return { row: rowFor("~", 0, `<regexp /${name.slice(8)}/>`) };
      return { row: rowFor("~", 0, `<built-in method ${name || "<anonymous>"}>`) };
    }
    const file = fileOf(url);
    const ids = byFile.get(file);
    if (ids) {
      if (lineNumber === 0 && columnNumber === 0 && !name) return { row: ids[0] };
      // The transform's own function (the recorder's lookup) registers the module: tsprof's work.
      if (name.startsWith("__tsprof_")) return { own: true };
      const [l, c] = originalPosition(url, lineNumber, columnNumber);
      // Code with no place in the source (helpers TypeScript emits): part of its caller.
      return l < 0 ? { pass: true } : { row: functionAt(ids, l, c) };
    }
    if (roots.some((r) => file.startsWith(r))) return { own: true };
    if (lineNumber === 0 && columnNumber === 0 && !name) return { row: rowFor(file, 1, "<module>") };
    const line = url.startsWith("node:") ? lineNumber : originalPosition(url, lineNumber, columnNumber)[0];
    return { row: rowFor(file, (line < 0 ? lineNumber : line) + 1, name || "<anonymous>") };
  };

  const resolved = new Map<number, Resolved>();
  for (const n of profile.nodes) resolved.set(n.id, resolve(n));

  // Edge times, by callee row then caller row.
  const edgeTimes = new Map<number, Map<number, [number, number]>>();
  const edge = (callee: number, caller: number) => {
    let m = edgeTimes.get(callee);
    if (!m) edgeTimes.set(callee, (m = new Map()));
    let e = m.get(caller);
    if (!e) m.set(caller, (e = [0, 0]));
    return e;
  };

  // Which nodes count: the program's code and what it calls. Frames below it (Node's event loop,
  // tsprof's own launching of the program) and what tsprof's frames call (compiling a module,
  // writing the profile) do not, unless the program's code is above them again.
  const counts = new Map<number, boolean>();
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const rootId = profile.nodes[0]?.id;
  if (rootId === undefined) return { functions: rows.map((r) => r.fn), stacks: [] };
  const order: number[] = [];
  const todo: Array<[number, boolean]> = [[rootId, false]];
  while (todo.length) {
    const [id, above] = todo.pop()!;
    const r = resolved.get(id)!;
    let ctx = above;
    if ("own" in r) ctx = false;
    else if ("row" in r && !ctx) {
      const fn = rows[r.row].fn;
      ctx = rows[r.row].instrumented || (fn.file !== "~" && !fn.file.startsWith("node:"));
    }
    if ("idle" in r) continue;
    // The collector's node has no stack: which of its samples count is decided per sample, below.
    const gc = "row" in r && rows[r.row].fn.name === "<garbage collector>" && rows[r.row].fn.file === "~";
    counts.set(id, gc || (ctx && ("row" in r || "pass" in r)));
    order.push(id);
    for (const c of nodes.get(id)!.children ?? []) todo.push([c, ctx]);
  }
  // Time of each sample: until the next one (the last: until the end). The garbage collector's
  // samples have no stack: they count when the sample before them did (the program's
  // allocations, not tsprof's compiling).
  const self = new Map<number, number>();
  let t = profile.startTime;
  const times: number[] = [];
  for (const d of profile.timeDeltas) times.push((t += d));
  let lastCounted = false;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    const r = resolved.get(id);
    const gc = r !== undefined && "row" in r && rows[r.row].fn.name === "<garbage collector>";
    if (!gc) lastCounted = counts.get(id) === true;
    else if (!lastCounted) continue;
    const dt = ((i + 1 < times.length ? times[i + 1] : profile.endTime) - times[i]) / 1e6;
    if (dt > 0) self.set(id, (self.get(id) ?? 0) + dt);
  }
  const totals = new Map<number, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    let sum = counts.get(n) ? self.get(n) ?? 0 : 0;
    for (const c of nodes.get(n)!.children ?? []) sum += totals.get(c) ?? 0;
    totals.set(n, sum);
  }

  // Depth-first again, with the rows on the stack (each counted once per stack).
  const onStack = new Map<number, number>();
  const edgeOnStack = new Map<string, number>();
  const inc = <K>(m: Map<K, number>, k: K, by: number) => m.set(k, (m.get(k) ?? 0) + by);
  type Frame = { row: number; caller: number; node: number };
  const frames: Frame[] = [];
  // The stack tree: a node per distinct path of rows, its children by row.
  const stackParent: number[] = [], stackRow: number[] = [], stackSelf: number[] = [];
  const stackChildren: Map<number, number>[] = [];
  const rootChildren = new Map<number, number>();
  const stackNode = (parent: number, row: number): number => {
    const m = parent < 0 ? rootChildren : stackChildren[parent];
    let n = m.get(row);
    if (n === undefined) {
      n = stackParent.length;
      stackParent.push(parent); stackRow.push(row); stackSelf.push(0); stackChildren.push(new Map());
      m.set(row, n);
    }
    return n;
  };

  /** The caller of `row` on top of `frames`: the nearest instrumented frame (as the counters see it) for instrumented rows, the frame below for the rest. */
  const callerOf = (row: number): number => {
    if (rows[row].instrumented) {
      for (let i = frames.length - 1; i >= 0; i--) if (rows[frames[i].row].instrumented) return frames[i].row;
      return -1;
    }
    return frames.length ? frames[frames.length - 1].row : -1;
  };
  const push = (row: number): Frame => {
    const f = { row, caller: callerOf(row), node: stackNode(frames.length ? frames[frames.length - 1].node : -1, row) };
    frames.push(f);
    inc(onStack, row, 1);
    inc(edgeOnStack, `${row},${f.caller}`, 1);
    return f;
  };
  const pop = (f: Frame) => {
    frames.pop();
    inc(onStack, f.row, -1);
    inc(edgeOnStack, `${f.row},${f.caller}`, -1);
  };
  /** cumtime of a frame just pushed, when it is the outermost of its row (of its edge) on the stack. */
  const cumulate = (f: Frame, total: number) => {
    if (onStack.get(f.row) === 1) rows[f.row].fn.cumtime += total;
    if (edgeOnStack.get(`${f.row},${f.caller}`) === 1) edge(f.row, f.caller)[1] += total;
  };
  const selfTime = (f: Frame, w: number) => {
    rows[f.row].fn.tottime += w;
    edge(f.row, f.caller)[0] += w;
    stackSelf[f.node] += w;
  };

  const walk: Array<[number, Frame | null]> = [[rootId, null]];
  while (walk.length) {
    const [id, leaving] = walk.pop()!;
    if (leaving) {
      pop(leaving);
      continue;
    }
    if (!totals.has(id)) continue;
    const node = nodes.get(id)!;
    const r = resolved.get(id)!;
    if (counts.get(id) && "row" in r) {
      const frame = push(r.row);
      cumulate(frame, totals.get(id)!);
      const w = self.get(id) ?? 0;
      if (w > 0) billSelf(node, frame, w);
      walk.push([id, frame]);
    } else if (counts.get(id) && frames.length) {
      const w = self.get(id) ?? 0;
      if (w > 0) selfTime(frames[frames.length - 1], w);
    }
    const children = node.children ?? [];
    for (let i = children.length - 1; i >= 0; i--) walk.push([children[i], null]);
  }

  /** A node's self time, split by line between its function and the callees V8 inlined into it. */
  function billSelf(node: CpuProfileNode, frame: Frame, w: number): void {
    const row = frame.row;
    const ticks = node.positionTicks;
    if (!rows[row].instrumented || !ticks?.length) return selfTime(frame, w);
    const info = infos[row];
    const ids = byFile.get(info.file)!;
    const url = node.callFrame.url;
    const byRow = new Map<number, number>();
    let all = 0;
    for (const { line, ticks: n } of ticks) {
      const l = originalLine(url, line - 1);
      const at = l < 0 ? row : lineOwner(ids, l, row);
      byRow.set(at, (byRow.get(at) ?? 0) + n);
      all += n;
    }
    for (const [at, n] of byRow) {
      const share = (w * n) / all;
      if (at === row) {
        selfTime(frame, share);
        continue;
      }
      const inlined = push(at);
      cumulate(inlined, share);
      selfTime(inlined, share);
      pop(inlined);
    }
  }

  /** The function a line of `row`'s node belongs to: `row` itself, unless the line is another function's (an inlined callee). */
  function lineOwner(ids: number[], line: number, row: number): number {
    const s = infos[row].span;
    if (s && line >= s[0] && line <= s[2]) {
      // Inside row: its own line unless a nested function lies wholly on it.
      const nested = ids.filter((id) => id !== row && isWithin(infos[id].span, s) && infos[id].span![0] <= line && line <= infos[id].span![2]);
      return nested.length && nested.every((id) => infos[id].span![0] === line && infos[id].span![2] === line) ? row : nested.length ? narrowest(nested) : row;
    }
    const owners = ids.filter((id) => { const t = infos[id].span; return t && t[0] <= line && line <= t[2]; });
    return owners.length ? narrowest(owners) : row;
  }
  function narrowest(ids: number[]): number {
    return ids.reduce((a, b) => (lineCount(infos[b].span) < lineCount(infos[a].span) ? b : a));
  }

  // Edge times onto the callers lists; edges the counters lack (callers seen only by the sampler) join with 0 calls.
  for (const [callee, m] of edgeTimes) {
    const fn = rows[callee].fn;
    for (const [caller, [tt, ct]] of m) {
      if (caller < 0 && !rows[callee].instrumented) continue;
      const c = fn.callers.find((x) => x[0] === caller);
      if (c) {
        c[3] += tt;
        c[4] += ct;
      } else if (caller >= 0) {
        fn.callers.push([caller, 0, 0, tt, ct]);
      }
    }
  }
  const { functions, index } = compact(rows.map((r) => r.fn), counted.length);
  return { functions, stacks: stackTree(stackParent, stackRow, stackSelf, index) };
}

/** The stack tree without its timeless branches, rows renumbered as compact() did. */
function stackTree(parent: number[], row: number[], self: number[], index: Map<number, number>): ProfStackNode[] {
  const total = self.slice();
  // Children come after their parents, so one backward pass sums each subtree.
  for (let i = parent.length - 1; i >= 0; i--) if (parent[i] >= 0) total[parent[i]] += total[i];
  const renumber = new Map<number, number>();
  const out: ProfStackNode[] = [];
  for (let i = 0; i < parent.length; i++) {
    const r = index.get(row[i]);
    if (!(total[i] > 0) || r === undefined || (parent[i] >= 0 && !renumber.has(parent[i]))) continue;
    renumber.set(i, out.length);
    out.push([parent[i] < 0 ? -1 : renumber.get(parent[i])!, r, self[i]]);
  }
  return out;
}

/** Drops the sampled rows no counted sample reached, renumbering the callers that point past them. */
function compact(fns: ProfFunction[], instrumented: number): { functions: ProfFunction[]; index: Map<number, number> } {
  const index = new Map<number, number>();
  const kept: ProfFunction[] = [];
  fns.forEach((f, i) => {
    if (i < instrumented || f.tottime > 0 || f.cumtime > 0) {
      index.set(i, kept.length);
      kept.push(f);
    }
  });
  for (const f of kept) {
    f.callers = f.callers.filter((c) => c[0] < 0 || index.has(c[0])).map((c) => [c[0] < 0 ? c[0] : index.get(c[0])!, c[1], c[2], c[3], c[4]] as ProfCaller);
  }
  return { functions: kept, index };
}

function lineCount(s: FunctionInfo["span"]): number {
  return s ? s[2] - s[0] : Infinity;
}

function isWithin(inner: FunctionInfo["span"], outer: FunctionInfo["span"]): boolean {
  if (!inner || !outer) return false;
  const afterStart = inner[0] > outer[0] || (inner[0] === outer[0] && inner[1] >= outer[1]);
  const beforeEnd = inner[2] < outer[2] || (inner[2] === outer[2] && inner[3] <= outer[3]);
  return afterStart && beforeEnd;
}
