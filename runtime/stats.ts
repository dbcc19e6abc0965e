import { performance } from "node:perf_hooks";
import { ALLOCATED, IN_USE, memory, readMemory, totals } from "./memory";
import { popTo, push, reserveSlots, show } from "./sampler";

/** How a thread's probes measure time: a clock read per line, a sampler thread, or not at all (`TSPROF=0`). */
export type TimingMode = "exact" | "sampled" | "off";

/*
 * The hot path. Every probe is a method call on a per-invocation object; V8 inlines these
 * into the instrumented function and removes the allocation (measured: a probe costs one clock
 * read, ~41 ns on node 20 here; `performance.now()`, `process.hrtime()` and a bound `now` all
 * measure 40-41 ns, `hrtime.bigint()` 58 ns, so `performance.now()` it is). The one allocation
 * on the path is Node's: `performance.now()` returns a freshly boxed double (32 bytes a call,
 * measured; `process.hrtime()` allocates 64). Sampled mode's probes allocate nothing.
 *
 * Per-invocation state (line slot `l`, time of the last clock read `t`) lives in the invocation,
 * so recursion and interleaved async calls never share it. `t < 0` means "suspended since -t"
 * (at an `await`/`yield`): the next clock read bills the gap as wait, not as execution.
 */

/**
 * Running totals of this thread's probes: `[CLOCK_READS]` and `[CALLS]` (instrumented invocations).
 * A line's segment records how much of each happened inside it, so its time can be cleared of
 * the cost of its profiled callees' probes (docs/calibration.md).
 */
export const probeTotals = new Float64Array(2);
export const CLOCK_READS = 0;
export const CALLS = 1;

/** Counters of one instrumented function, indexed by line slot (slot 0: before the first probe). */
export class FunctionStats {
  readonly hits: Float64Array;
  /** Execution time per slot, in `performance.now()` milliseconds. */
  readonly time: Float64Array;
  /** Clock reads of profiled callees (and extra reads of this line's own) during the line. */
  readonly nested: Float64Array;
  /** Invocations of instrumented functions during the line (its profiled callees). */
  readonly calls: Float64Array;
  /** Time suspended at `await`/`yield` on this line, milliseconds. */
  readonly wait: Float64Array;
  /** First global slot (sampled mode): the sampler credits slot `base + s` for line slot `s`. */
  readonly base: number;
  /** Memory mode: per slot, the most memory in use after the line, and bytes it allocated. */
  readonly memory: boolean;
  readonly memMax: Float64Array;
  readonly allocated: Float64Array;
  /** 1 for slots whose line cannot allocate: no heap reading after them. */
  readonly quiet: Uint8Array;

  constructor(
    readonly file: string,
    readonly name: string,
    readonly firstLine: number,
    /** slot → source line */
    readonly lines: readonly number[],
    readonly source: readonly string[],
    readonly kind: string,
    readonly mode: TimingMode,
    quietSlots: readonly number[] = [],
  ) {
    const n = lines.length;
    this.base = mode === "sampled" ? reserveSlots(n) : 0;
    this.memory = memory.on && mode !== "off";
    this.memMax = new Float64Array(this.memory ? n : 0);
    this.allocated = new Float64Array(this.memory ? n : 0);
    this.quiet = new Uint8Array(n);
    this.quiet[0] = 1;
    for (const s of quietSlots) this.quiet[s] = 1;
    this.hits = new Float64Array(n);
    this.time = new Float64Array(n);
    this.nested = new Float64Array(n);
    this.calls = new Float64Array(n);
    this.wait = new Float64Array(n);
  }

  /** Starts an invocation: called once per call of the instrumented function. */
  enter(): Invocation {
    if (this.mode === "exact") return new Invocation(this);
    return this.mode === "sampled" ? (new SampledInvocation(this) as unknown as Invocation) : DISABLED;
  }
}

/**
 * Memory mode, at the end of a line's segment: a heap reading unless the line cannot allocate,
 * then the line's share of the running allocation total since its segment began (`a`). Like
 * time, a line's allocation includes its callees'. Returns the total, where the next segment begins.
 */
function chargeMemory(f: FunctionStats, l: number, a: number): number {
  if (f.quiet[l] === 0) readMemory();
  f.allocated[l] += totals[ALLOCATED] - a;
  if (totals[IN_USE] > f.memMax[l]) f.memMax[l] = totals[IN_USE];
  return totals[ALLOCATED];
}

/** What both timing modes do alike with iterators: each step timed through `step`. */
abstract class Stepping {
  /** One step of a wrapped iterator: runs on line `slot` (or stays), then suspends. */
  abstract step<R>(slot: number, run: () => R): R;

  /** `for await (x of iterable)`: each step's wait is billed to the loop header (`slot`). */
  asyncIter(iterable: unknown, slot: number): unknown {
    return wrapIterable(this, iterable, slot, true);
  }

  /** `yield* iterable`: time inside the delegate's steps is execution; between them, suspension. */
  delegate(iterable: unknown): unknown {
    return wrapIterable(this, iterable, -1, false);
  }
}

/** One call of an instrumented function: where it is (`l`) and since when (`t`). */
export class Invocation extends Stepping {
  l = 0;
  t = 0;
  /** Probe totals when the current segment began. */
  g: number;
  k: number;
  /** Memory mode: the allocation total when the current segment began. */
  a: number;

  constructor(readonly f: FunctionStats) {
    super();
    this.k = ++probeTotals[CALLS];
    this.g = probeTotals[CLOCK_READS];
    this.a = totals[ALLOCATED];
  }

  /** Ends the current line's segment at clock `c`: execution time, or wait if suspended. */
  private charge(c: number): void {
    const t = this.t, l = this.l, f = this.f, g = probeTotals[CLOCK_READS], k = probeTotals[CALLS];
    if (t >= 0) {
      f.time[l] += c - t;
      f.nested[l] += g - this.g;
      f.calls[l] += k - this.k;
      if (f.memory) this.a = chargeMemory(f, l, this.a);
    } else {
      // Suspended: whatever ran meanwhile belonged to others.
      f.wait[l] += c + t;
      this.a = totals[ALLOCATED];
    }
    probeTotals[CLOCK_READS] = this.g = g + 1;
    this.k = k;
  }

  /** Execution enters line `slot`: one hit, and the clock now runs for it. */
  hit(slot: number): void {
    const c = performance.now();
    this.charge(c);
    this.t = c;
    this.f.hits[(this.l = slot)]++;
  }

  /** Line `slot` is entered but not timed (a loop test too cheap to time): the clock stays on the current line. */
  count(slot: number): void {
    this.f.hits[slot]++;
  }

  /** A `for…of`/`for…in` header, once per iteration: a hit, timed (the iterator's step just ran). */
  iter(slot: number): void {
    this.hit(slot);
  }

  /** The clock now runs for line `slot`, without a hit (a `for` initializer runs on its header line). */
  mark(slot: number): void {
    const c = performance.now();
    this.charge(c);
    this.t = c;
    this.f.nested[(this.l = slot)]++;
  }

  /** The function is leaving (return, throw, generator closed): close the last line. */
  exit(): void {
    this.charge(performance.now());
  }

  /** About to suspend at `await`/`yield` with `value`: the line's execution stops here. */
  pause<T>(value?: T): T | undefined {
    const c = performance.now();
    this.charge(c);
    this.t = -c;
    return value;
  }

  /** Resumed after `await`/`yield` with `value`: the suspension is billed as wait. */
  resume<T>(value: T): T {
    const c = performance.now();
    const t = this.t;
    if (t < 0) {
      this.f.wait[this.l] += c + t;
      this.t = c;
      this.a = totals[ALLOCATED];
      this.f.nested[this.l]++;
      probeTotals[CLOCK_READS] = this.g = probeTotals[CLOCK_READS] + 1;
      this.k = probeTotals[CALLS];
    }
    return value;
  }

  step<R>(slot: number, run: () => R): R {
    const c = performance.now();
    this.charge(c);
    this.t = c;
    if (slot >= 0) this.l = slot;
    this.f.nested[this.l]++;
    const r = run();
    this.pause();
    return r;
  }
}

type AnyIterator = { next(...a: unknown[]): unknown; return?(...a: unknown[]): unknown; throw?(...a: unknown[]): unknown };

function wrapIterator(inv: Stepping, it: AnyIterator, slot: number): AnyIterator {
  // Only the methods the iterator has: `yield*` and `for await` behave differently without them.
  const w: AnyIterator = { next: (...a) => inv.step(slot, () => it.next(...a)) };
  if (typeof it.return === "function") w.return = (...a) => inv.step(slot, () => it.return!(...a));
  if (typeof it.throw === "function") w.throw = (...a) => inv.step(slot, () => it.throw!(...a));
  return w;
}

/** The iterable as the loop would see it, with each step of its iterator timed. */
function wrapIterable(inv: Stepping, iterable: unknown, slot: number, asyncLoop: boolean): unknown {
  if (iterable === null || iterable === undefined) return iterable; // the loop throws its own TypeError
  const src = iterable as Record<symbol, (() => AnyIterator) | undefined>;
  const asyncMethod = src[Symbol.asyncIterator];
  const syncMethod = asyncLoop && asyncMethod != null ? undefined : src[Symbol.iterator];
  const out: Record<symbol, () => AnyIterator> = {};
  if (asyncMethod != null) out[Symbol.asyncIterator] = () => wrapIterator(inv, asyncMethod.call(iterable), slot);
  if (syncMethod != null) out[Symbol.iterator] = () => wrapIterator(inv, syncMethod.call(iterable), slot);
  return asyncMethod == null && syncMethod == null ? iterable : out;
}

/**
 * One call in sampled mode: exact hits, and the current line published in frame `d` of the
 * shared line stack for the sampler. Clock reads happen only around suspensions, for wait.
 */
class SampledInvocation extends Stepping {
  l = 0;
  /** `-t` while suspended since `t`, else 0. */
  t = 0;
  d: number;
  /** Memory mode: the allocation total when the current segment began. */
  a: number;

  constructor(readonly f: FunctionStats) {
    super();
    this.d = push(f.base);
    this.a = totals[ALLOCATED];
  }

  /** Back on the stack after a suspension that ended without `resume` (a rejected await). */
  private wake(): void {
    this.f.wait[this.l] += performance.now() + this.t;
    this.t = 0;
    this.a = totals[ALLOCATED];
    this.d = push(this.f.base + this.l);
  }

  hit(slot: number): void {
    if (this.t < 0) this.wake();
    else if (this.f.memory) this.chargeMemory();
    this.f.hits[slot]++;
    show(this.d, this.f.base + (this.l = slot));
  }

  /** Memory mode: the heap reading runs with the frame on slot 0, so the sampler bills its time to no line. */
  private chargeMemory(): void {
    show(this.d, this.f.base);
    this.a = chargeMemory(this.f, this.l, this.a);
  }

  count(slot: number): void {
    this.f.hits[slot]++;
  }

  /**
   * A `for…of`/`for…in` header, once per iteration: counted only. The iterator's step has already
   * run (on the line the frame showed); publishing the header now would cost a store and show
   * nothing, as the body's first line is published next.
   */
  iter(slot: number): void {
    if (this.t < 0) this.wake();
    this.f.hits[slot]++;
  }

  mark(slot: number): void {
    if (this.t < 0) this.wake();
    else if (this.f.memory) this.chargeMemory();
    show(this.d, this.f.base + (this.l = slot));
  }

  exit(): void {
    if (this.t < 0) {
      this.f.wait[this.l] += performance.now() + this.t;
      return;
    }
    if (this.f.memory) this.chargeMemory();
    popTo(this.d);
  }

  pause<T>(value?: T): T | undefined {
    if (this.t < 0) return value;
    if (this.f.memory) this.chargeMemory();
    popTo(this.d);
    this.t = -performance.now();
    return value;
  }

  resume<T>(value: T): T {
    if (this.t < 0) this.wake();
    return value;
  }

  step<R>(slot: number, run: () => R): R {
    if (this.t < 0) this.wake();
    if (slot >= 0) show(this.d, this.f.base + (this.l = slot));
    const r = run();
    this.pause();
    return r;
  }
}

/**
 * Runs the probe path until V8 optimizes it (memory mode, once per thread, ~15 ms). Until then
 * the interpreter boxes every double the probes compute, and each reading would bill a few
 * hundred bytes of that to the next line (measured: ~11,000 such readings in a 100,000-iteration
 * loop started cold, 2 MB in all; none once warm).
 */
export function warmUpProbes(mode: TimingMode): void {
  const probe = new FunctionStats("<warm-up>", "warm-up", 1, [1, 2, 3], [], "sync", mode, []);
  for (let r = 0; r < 40; r++) {
    const s = probe.enter();
    try {
      for (let i = 0; i < 500; i++) {
        s.hit(1);
        s.hit(2);
      }
    } finally {
      s.exit();
    }
  }
}

/** Probes that do nothing: `TSPROF=0` turns profiling off without a rebuild. */
class DisabledInvocation {
  hit(_slot: number): void {}
  count(_slot: number): void {}
  iter(_slot: number): void {}
  mark(_slot: number): void {}
  exit(): void {}
  pause<T>(value?: T): T | undefined { return value; }
  resume<T>(value: T): T { return value; }
  asyncIter(iterable: unknown): unknown { return iterable; }
  delegate(iterable: unknown): unknown { return iterable; }
}

const DISABLED = new DisabledInvocation() as unknown as Invocation;
