/**
 * The function-profile recorder: what code instrumented by transformer/calls.ts calls at every
 * function entry and exit. One per thread, installed on a global by the loader's preload. This
 * file is the clock mode; in sampler mode modules get runtime/calls-counts.ts's entry points.
 *
 * Semantics are cProfile's (_lsprof.c): a call is primitive when the function was not already
 * running; tottime excludes callees; cumtime counts outermost calls only; each caller→callee
 * edge keeps the same four figures. Time suspended at `await`/`yield` is in neither: a
 * suspended frame leaves the stack and comes back on top of whoever resumes it.
 *
 * The hot path is two `performance.now()` reads (≈ 44 ns each, the bulk of the cost), a frame
 * object and a few array updates; the last caller's edge is cached per function, which spares a
 * Map lookup on the common case (measured in bench/prof.ts).
 */
import { performance } from "node:perf_hooks";
import * as counts from "./calls-counts";
import type { ProfCaller, ProfFunction } from "./prof-format";

const now = () => performance.now();

interface Edge {
  calls: number;
  prims: number;
  /** Seconds × 1000 (ms), as the clock gives them. */
  tt: number;
  ct: number;
  level: number;
}

class Frame {
  t0 = 0;
  /** Time of callees during the current segment. */
  sub = 0;
  running = true;
  tSuspend = 0;
  constructor(
    readonly id: number,
    public parent: Frame | null,
    readonly edge: Edge,
    readonly prim: boolean,
    readonly edgePrim: boolean,
  ) {}
}

export interface FunctionInfo {
  file: string;
  name: string;
  line: number;
  kind: string;
  /** In the original source, 0-based: start line, start column, end line, end column (none for `<module>`). */
  span?: [number, number, number, number];
}

/**
 * How times are taken: `clock` (deterministic: a clock read at every entry and exit, this file)
 * or `sampler` (counters only, runtime/calls-counts.ts; times from V8's CPU profiler).
 */
export type CallsMode = "clock" | "sampler";
let mode: CallsMode = "clock";

/** A module's view of the recorder: ids local to the module. */
export interface CallsModule {
  enter(local: number): Frame;
  exit(f: Frame): void;
  suspend<T>(f: Frame, value: T): T;
  resume<T>(f: Frame, value: T): T;
}

const infos: FunctionInfo[] = [];
const calls: number[] = [];
const prims: number[] = [];
const tot: number[] = [];
const cum: number[] = [];
const wait: number[] = [];
const active: number[] = [];
const edges: Map<number, Edge>[] = [];
const lastCaller: number[] = [];
const lastEdge: (Edge | undefined)[] = [];
let current: Frame | null = null;

function edgeOf(id: number, caller: number): Edge {
  if (lastCaller[id] === caller) return lastEdge[id]!;
  let e = edges[id].get(caller);
  if (!e) edges[id].set(caller, (e = { calls: 0, prims: 0, tt: 0, ct: 0, level: 0 }));
  lastCaller[id] = caller;
  lastEdge[id] = e;
  return e;
}

export function enter(id: number): Frame {
  const parent = current;
  const edge = edgeOf(id, parent === null ? -1 : parent.id);
  calls[id]++;
  const prim = active[id]++ === 0;
  if (prim) prims[id]++;
  edge.calls++;
  const edgePrim = edge.level++ === 0;
  if (edgePrim) edge.prims++;
  const f = new Frame(id, parent, edge, prim, edgePrim);
  current = f;
  f.t0 = now();
  return f;
}

/** Ends the frame's running segment at `t`: its time is billed, and it leaves the stack. */
function endSegment(f: Frame, t: number): void {
  const seg = t - f.t0;
  const own = seg - f.sub;
  tot[f.id] += own;
  f.edge.tt += own;
  if (f.prim) cum[f.id] += seg;
  if (f.edgePrim) f.edge.ct += seg;
  if (f.parent !== null) f.parent.sub += seg;
  f.sub = 0;
  f.running = false;
  active[f.id]--;
  f.edge.level--;
  // Only the top of the stack can end a segment in well-nested code; anything else is a frame
  // abandoned by a rejected await, and the stack is left as it is.
  if (current === f) current = f.parent;
}

export function exit(f: Frame): void {
  if (f.running) endSegment(f, now());
}

export function suspend<T>(f: Frame, value: T): T {
  if (f.running) {
    const t = now();
    endSegment(f, t);
    f.tSuspend = t;
  }
  return value;
}

export function resume<T>(f: Frame, value: T): T {
  const t = now();
  if (!f.running) {
    wait[f.id] += t - f.tSuspend;
    f.parent = current;
    f.running = true;
    active[f.id]++;
    f.edge.level++;
    current = f;
    f.t0 = t;
  }
  return value;
}

/** Registers one module's functions; the instrumented module calls through what it returns. */
export function registerModule(file: string, metas: [string, number, string, ...number[]][]): CallsModule {
  const base = infos.length;
  counts.addFunctions(metas.length);
  for (const [name, line, kind, ...span] of metas) {
    infos.push({ file, name, line, kind, ...(span.length === 4 ? { span: span as [number, number, number, number] } : {}) });
    calls.push(0); prims.push(0); tot.push(0); cum.push(0); wait.push(0); active.push(0);
    edges.push(new Map());
    lastCaller.push(-2);
    lastEdge.push(undefined);
  }
  if (mode === "sampler") {
    const suspending = Uint8Array.from(metas, (m) => (m[2] === "function" || m[2] === "module" ? 0 : 1));
    return counts.moduleEntries(base, suspending) as unknown as CallsModule;
  }
  return {
    enter: (local) => enter(base + local),
    exit,
    suspend,
    resume,
  };
}

/**
 * Every function's figures so far, in seconds; frames still running are counted up to now (as
 * cProfile does when it is disabled mid-call), without changing them.
 */
export function snapshot(): ProfFunction[] {
  if (mode === "sampler") return countsOnly();
  const t = now();
  const open = new Map<number, { tt: number; ct: number }>();
  const openEdges = new Map<Edge, { tt: number; ct: number }>();
  let childSeg = 0;
  for (let f = current; f !== null; f = f.parent) {
    if (!f.running) break;
    const seg = t - f.t0;
    const own = seg - f.sub - childSeg;
    const o = open.get(f.id) ?? { tt: 0, ct: 0 };
    o.tt += own;
    if (f.prim) o.ct += seg;
    open.set(f.id, o);
    const e = openEdges.get(f.edge) ?? { tt: 0, ct: 0 };
    e.tt += own;
    if (f.edgePrim) e.ct += seg;
    openEdges.set(f.edge, e);
    childSeg = seg;
  }
  return infos.map((info, id) => {
    const o = open.get(id);
    const callers: ProfCaller[] = [];
    for (const [caller, e] of edges[id]) {
      const oe = openEdges.get(e);
      callers.push([caller, e.calls, e.prims, Math.max(0, e.tt + (oe?.tt ?? 0)) / 1000, (e.ct + (oe?.ct ?? 0)) / 1000]);
    }
    return {
      file: info.file, line: info.line, name: info.name, kind: info.kind,
      ncalls: calls[id], pcalls: prims[id],
      // Sums of differences can end a hair below zero; a time is never negative.
      tottime: Math.max(0, tot[id] + (o?.tt ?? 0)) / 1000,
      cumtime: (cum[id] + (o?.ct ?? 0)) / 1000,
      wait: wait[id] / 1000,
      callers,
    };
  });
}

/** Sampler mode: every function's exact counts and caller edges, times zero (the sampler gives them). */
function countsOnly(): ProfFunction[] {
  const c = counts.countsSnapshot();
  return infos.map((info, id) => ({
    file: info.file, line: info.line, name: info.name, kind: info.kind,
    ncalls: c[id].ncalls, pcalls: c[id].pcalls, tottime: 0, cumtime: 0, wait: c[id].wait, callers: c[id].callers,
  }));
}

/** The registered functions (id → where it is), for matching the sampler's frames to them. */
export function functionInfos(): readonly FunctionInfo[] {
  return infos;
}

/** Sets how times are taken; before any module registers (the loader's preload does it). */
export function setMode(m: CallsMode): void {
  if (infos.length > 0 && m !== mode) throw new Error(`tsprof: the function profile's mode is already ${mode}`);
  mode = m;
}

export function currentMode(): CallsMode {
  return mode;
}

/** Whether any instrumented module has registered in this thread. */
export function instrumented(): boolean {
  return infos.length > 0;
}

export interface Recorder {
  module: typeof registerModule;
  snapshot: typeof snapshot;
  instrumented: typeof instrumented;
  functions: typeof functionInfos;
  mode: typeof currentMode;
  setMode: typeof setMode;
  /** Set when the program profiles itself (tsprof/profile): `tsprof prof` then prints nothing of its own. */
  selfProfiled: boolean;
}

const KEY = Symbol.for("tsprof.calls");

/** The thread's recorder, installed on the global instrumented code looks it up on. */
export function recorder(): Recorder {
  const g = globalThis as unknown as Record<symbol, Recorder | undefined>;
  return (g[KEY] ??= { module: registerModule, snapshot, instrumented, functions: functionInfos, mode: currentMode, setMode, selfProfiled: false });
}
