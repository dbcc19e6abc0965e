import { performance } from "node:perf_hooks";
import * as vm from "node:vm";

/*
 * V8 mode's probes: counters only, no clock per line. V8's own CPU profiler, running on the
 * thread, says where the time went (v8-lines.ts).
 *
 * The class is compiled from this text with a line offset of ten million. V8 inlines the probe
 * methods into the instrumented function, and its profiler then bills the samples taken in
 * their code to the *caller's* node with the *inlined* method's line number: without the offset
 * that number (a line of runtime/stats.js) is indistinguishable from a line of the user's file.
 * Here every probe sample lands on line 10,000,001 or so, which no user line reaches, and is
 * dropped as overhead. Measured: in a 1 ns-per-line loop, 95% of the samples in the
 * instrumented function fell in the inlined probe code.
 */

/** First line V8 reports for the probe methods' code. */
export const PROBE_LINE_OFFSET = 10_000_000;

const SOURCE = `(function (now, mem) {
  class V8Invocation {
    constructor(f) { this.f = f; this.up = undefined; this.p = 0; this.t = 0; }
    wake() { this.f.wait[this.p] += now() + this.t; this.t = 0; }
    hit(slot) { if (this.t < 0) this.wake(); this.f.hits[(this.p = slot)]++; }
    count(slot) { this.f.hits[(this.p = slot)]++; }
    cont(slot) { if (this.p !== slot) this.hit(slot); }
    iter(slot) { if (this.t < 0) this.wake(); this.f.hits[(this.p = slot)]++; }
    mark(slot) { if (this.t < 0) this.wake(); this.p = slot; }
    turn(slot) { this.p = slot; }
    arrays(iterable, slot) {}
    of(iterable, slot) { return iterable; }
    asyncIter(iterable, slot) { return iterable; }
    delegate(iterable) { return iterable; }
    step(slot, run) { if (this.t < 0) this.wake(); if (slot >= 0) this.p = slot; const r = run(); this.pause(); return r; }
    exit(popped) { if (this.t < 0) this.wake(); }
    close(entry, popped) { let i = this; while (i !== entry && i !== undefined) { i.exit(); i = i.up; } entry.exit(); }
    pause(value) { if (this.t >= 0) this.t = -now(); return value; }
    resume(value) { if (this.t < 0) this.wake(); return value; }
  }
  class V8TimedInvocation extends V8Invocation {
    constructor(f) { super(f); this.s = 0; this.c = 0; }
    close() { this.f.calls[this.s] += now() - this.c; this.s = 0; }
    open(slot) { if (this.f.timed[slot] === 1) { this.s = slot; this.c = now(); } }
    hit(slot) { if (this.t < 0) this.wake(); if (this.s > 0) this.close(); this.f.hits[(this.p = slot)]++; this.open(slot); }
    count(slot) { if (this.s > 0) this.close(); this.f.hits[(this.p = slot)]++; }
    cont(slot) { if (this.p !== slot) this.hit(slot); }
    iter(slot) { if (this.t < 0) this.wake(); if (this.s > 0) this.close(); this.f.hits[(this.p = slot)]++; }
    mark(slot) { if (this.t < 0) this.wake(); if (this.s > 0) this.close(); this.p = slot; }
    turn(slot) { if (this.s > 0) this.close(); this.p = slot; }
    exit(popped) { if (this.t < 0) this.wake(); else if (this.s > 0) this.close(); }
    pause(value) { if (this.t >= 0) { if (this.s > 0) this.close(); this.t = -now(); } return value; }
  }
  // FunctionStats' own entry methods in V8 mode (set on each instance): inlined too, so kept here.
  function push(up) { const inv = new this.v8Class(this); inv.up = up; return inv; }
  function enter() { return new this.v8Class(this); }
  // Memory mode (stats.ts SampledInvocation's memory probes, for V8 timing): at the end of a line
  // that may allocate, a steady line is credited here; the rest read memory in use through
  // mem.read (stats.ts \`readLine\`), a call of its own that V8's profile bills to tsprof. No sampler
  // ticks to read in V8 mode: -1 has the clock read inside the reading's bracket.
  const totals = mem.totals, era = mem.era, counts = mem.counts, read = mem.read, isProxy = mem.isProxy;
  const IN_USE = mem.IN_USE, ALLOCATED = mem.ALLOCATED, ASSUMED = mem.ASSUMED, CREDITED = mem.CREDITED, STEADY = mem.STEADY, VERIFY = mem.VERIFY;
  const ARRAY_VALUES = Array.prototype[Symbol.iterator];
  function plainArray(x) { return !isProxy(x) && Array.isArray(x) && x[Symbol.iterator] === ARRAY_VALUES; }
  class V8MemoryInvocation {
    constructor(f, q) { this.f = f; this.up = undefined; this.p = 0; this.l = 0; this.t = 0; this.a = totals[ALLOCATED]; this.n = 0; this.q = q; }
    reuse(f, up) { this.f = f; this.up = up; this.p = 0; this.l = 0; this.t = 0; this.a = totals[ALLOCATED]; this.n = 0; }
    wake() { this.f.wait[this.l] += now() + this.t; this.t = 0; this.a = totals[ALLOCATED]; }
    b(slot, countHit) {
      const f = this.f, l = this.l;
      if (f.quiet[l] === 0 || (this.n !== 0 && l < 31 && ((this.n >> l) & 1) === 1)) {
        const run = f.steady[l];
        if (run < STEADY || f.steadyEra[l] !== era[0] || (f.steady[l] = run + 1) % VERIFY === 0) { read(this, slot, countHit, -1); return; }
        const own = f.ownBytes[l] > 0 ? f.ownBytes[l] : 0;
        totals[ALLOCATED] += own; totals[IN_USE] += own; totals[ASSUMED] += own;
        counts[CREDITED]++;
      }
      f.allocated[l] += totals[ALLOCATED] - this.a;
      if (totals[IN_USE] > f.memMax[l]) f.memMax[l] = totals[IN_USE];
      this.a = totals[ALLOCATED];
      if (countHit) f.hits[slot]++;
      if (slot >= 0) this.l = slot;
    }
    hit(slot) { this.p = slot; if (this.t < 0) { this.wake(); this.f.hits[slot]++; this.l = slot; } else this.b(slot, true); }
    count(slot) { this.f.hits[(this.p = slot)]++; }
    cont(slot) { if (this.p !== slot) this.hit(slot); }
    iter(slot) { if (this.t < 0) this.wake(); this.f.hits[(this.p = slot)]++; }
    mark(slot) { this.p = slot; if (this.t < 0) { this.wake(); this.l = slot; } else this.b(slot, false); }
    turn(slot) { this.mark(slot); }
    arrays(iterable, slot) { if (slot >= 31) return; if (plainArray(iterable)) this.n &= ~(1 << slot); else this.n |= 1 << slot; }
    of(iterable, slot) {
      if (plainArray(iterable)) return iterable;
      const method = iterable == null ? undefined : iterable[Symbol.iterator];
      if (method == null) return iterable;
      const inv = this;
      return { [Symbol.iterator]: () => {
        const it = method.call(iterable);
        const w = { next: (...a) => (inv.mark(slot), it.next(...a)) };
        if (typeof it.return === "function") w.return = (...a) => (inv.mark(slot), it.return(...a));
        if (typeof it.throw === "function") w.throw = (...a) => it.throw(...a);
        return w;
      } };
    }
    asyncIter(iterable, slot) { return iterable; }
    delegate(iterable) { return iterable; }
    step(slot, run) { if (this.t < 0) this.wake(); if (slot >= 0) this.l = slot; const r = run(); this.pause(); return r; }
    exit(popped) {
      if (this.t < 0) this.f.wait[this.l] += now() + this.t;
      else this.b(-1, false);
      if (this.q >= 0 && depth === this.q + 1) depth = this.q;
    }
    close(entry, popped) { let i = this; while (i !== entry && i !== undefined) { i.exit(); i = i.up; } entry.exit(); }
    pause(value) { if (this.t >= 0) { this.b(-1, false); this.t = -now(); } return value; }
    resume(value) { if (this.t < 0) this.wake(); return value; }
  }
  // Sync calls' invocations, one per depth of profiled sync calls, reused (stats.ts pushPooled says why).
  const pool = [];
  const POOL_MAX = 8192;
  let depth = 0;
  function pushMemory(up) {
    const d = depth++;
    const inv = d < POOL_MAX ? pool[d] : undefined;
    if (inv === undefined) {
      const made = new V8MemoryInvocation(this, d);
      made.up = up;
      if (d < POOL_MAX) pool[d] = made;
      return made;
    }
    inv.reuse(this, up);
    return inv;
  }
  function enterMemory() { return new V8MemoryInvocation(this, -1); }
  return [V8Invocation, V8TimedInvocation, push, enter, V8MemoryInvocation, pushMemory, enterMemory];
})`;

/** A call of an instrumented function in V8 mode: exact hits, its line (`p`) for `cont` and wait, and since when it is suspended (`-t`). */
export interface V8InvocationLike {
  up: unknown;
  p: number;
  t: number;
}

type V8Class = new (f: unknown) => V8InvocationLike;
type V8Made = [
  plain: V8Class, timed: V8Class, push: (up: unknown) => V8InvocationLike, enter: () => V8InvocationLike,
  memory: V8Class, pushMemory: (up: unknown) => V8InvocationLike, enterMemory: () => V8InvocationLike,
];

/** What memory mode's V8 probes share with stats.ts and memory.ts. */
export interface V8MemoryParts {
  totals: Float64Array;
  era: Int32Array;
  counts: Float64Array;
  read: (inv: never, slot: number, countHit: boolean, nowMs: number) => void;
  isProxy: (x: unknown) => boolean;
  IN_USE: number;
  ALLOCATED: number;
  ASSUMED: number;
  CREDITED: number;
  STEADY: number;
  VERIFY: number;
}
let made: V8Made | undefined;

/**
 * The V8-mode invocation classes (compiled once per thread): counters only, and for functions
 * with `timed` slots, one that also times those lines' segments into `calls` (a clock read at
 * the line and at the next probe). Those are the lines that call one function by name from
 * several lines (`spin(20)`, `spin(60)`): the profile knows a callee's time but not which line
 * called it, and the segments' ratio splits it. Also `push` and `enter`, which V8 mode's
 * `FunctionStats` take as their own, so their inlined code lands on the offset lines too.
 */
export function v8InvocationClasses(mem: V8MemoryParts): V8Made {
  if (made) return made;
  const factory = new vm.Script(SOURCE, { filename: PROBES_URL, lineOffset: PROBE_LINE_OFFSET }).runInThisContext() as (
    now: () => number, mem: V8MemoryParts,
  ) => V8Made;
  made = factory(() => performance.now(), mem);
  return made;
}

/** The script name of the probe classes, as V8's profile reports it. */
export const PROBES_URL = "tsprof:v8-probes";

const KEYWORDS = new Set(["if", "for", "while", "switch", "catch", "function", "return", "typeof", "await", "yield", "do", "else", "new", "in", "of", "super", "import"]);
/**
 * Built-in methods and functions: V8's profile bills their time to the calling line itself (they
 * are no node of their own), so a line calling one needs no timing to be told apart.
 */
const BUILTINS = new Set([
  "push", "pop", "shift", "unshift", "slice", "splice", "concat", "join", "split", "indexOf", "lastIndexOf", "includes",
  "get", "set", "has", "add", "delete", "clear", "keys", "values", "entries", "at", "fill", "sort", "reverse",
  "charCodeAt", "codePointAt", "charAt", "startsWith", "endsWith", "trim", "toLowerCase", "toUpperCase", "padStart", "padEnd",
  "replace", "replaceAll", "match", "matchAll", "test", "exec", "search", "substring", "substr", "repeat",
  "toString", "toFixed", "valueOf", "sqrt", "floor", "ceil", "round", "abs", "min", "max", "pow", "random", "trunc", "sign",
  "log", "parseInt", "parseFloat", "Number", "String", "Boolean", "isNaN", "isFinite", "isArray", "from", "of", "now",
  "stringify", "parse", "assign", "freeze", "getOwnPropertyNames", "hasOwnProperty", "apply", "call", "bind",
]);

/**
 * Slots whose line calls a function by a name that another slot's line also calls (read from
 * the source snapshot: `helper(` on two lines). Returns one flag per slot.
 */
export function ambiguousCallSlots(lines: readonly number[], firstLine: number, source: readonly string[]): Uint8Array {
  const flags = new Uint8Array(lines.length);
  const byName = new Map<string, number[]>();
  for (let slot = 1; slot < lines.length; slot++) {
    const text = (source[lines[slot] - firstLine] ?? "").replace(/\/\/.*$/, "").replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
    const names = new Set<string>();
    for (const m of text.matchAll(/([A-Za-z_$][\w$]*)\s*(?:\?\.\s*)?(?:<[^<>()]*>\s*)?\(/g)) if (!KEYWORDS.has(m[1]) && !BUILTINS.has(m[1])) names.add(m[1]);
    for (const name of names) {
      const slots = byName.get(name) ?? [];
      slots.push(slot);
      byName.set(name, slots);
    }
  }
  for (const slots of byName.values()) if (slots.length > 1) for (const s of slots) flags[s] = 1;
  return flags;
}
