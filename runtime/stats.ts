import { openSync, readSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { types } from "node:util";
import { ALLOCATED, ASSUMED, closeReading, CREDITED, DRIFT, DRIFT_MAX, era, IN_USE, memory, openReading, OWN, readingCounts, STEADY, STEADY_MAX_BYTES, SURPRISE_MAX, totals, VERIFY } from "./memory";
import { bracket } from "./mprof";
import { NoOpProbes } from "./no-op-probes";
import { popTo, push, reserveSlots, show, tickMs, ticks } from "./sampler";
import { ambiguousCallSlots, v8InvocationClasses, type V8MemoryParts } from "./v8-probes";

/** V8 mode's invocation classes (v8-probes.ts), compiled on first use. */
let V8Classes: ReturnType<typeof v8InvocationClasses> | undefined;

/**
 * V8 mode on node ≥ 22 (session.ts decides): V8's profiler is started by the first call of a
 * profiled function, not by the first registration (a module's load). Running while the rest of
 * the program loads, it makes V8 log and keep source positions for every function compiled.
 * Until then the counters have no own `push` and `enter`: the prototype's start the profiler,
 * then give every waiting one V8 mode's own.
 */
let v8Waiting: { start: () => void; stats: FunctionStats[] } | undefined;

/** V8 mode: `start` runs at the first call of a profiled function of this thread. */
export function deferV8Start(start: () => void): void {
  v8Waiting = { start, stats: v8Waiting?.stats ?? [] };
}

function v8Methods(f: FunctionStats): void {
  // Own methods from the probes' script: their inlined code is billed to its offset lines.
  Object.defineProperty(f, "push", { value: V8Classes![f.memory ? 5 : 2], enumerable: false });
  Object.defineProperty(f, "enter", { value: V8Classes![f.memory ? 6 : 3], enumerable: false });
}

function startV8(): void {
  const waiting = v8Waiting;
  if (!waiting) return;
  try {
    waiting.start();
  } catch {
    // No stack left for the inspector (a first call at the end of a deep recursion): the next call tries again.
    return;
  }
  v8Waiting = undefined;
  for (const f of waiting.stats) v8Methods(f);
}

/** How a thread's probes measure time: a clock read per line, a sampler thread, only calls' entry and exit (`tsprof mprof run`), or not at all (`TSPROF=0`). */
export type TimingMode = "exact" | "sampled" | "v8" | "mprof" | "off";

/*
 * The hot path. Every probe is a method call on a per-invocation object; V8 inlines these
 * into the instrumented function, and often removes the object (measured: a probe costs one clock
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

/*
 * Preemption. A line's time is wall-clock time, and on a busy machine the thread waits for a CPU
 * now and then: each wait (milliseconds, the scheduler's slice) lands whole on the line that
 * happened to run, and times come out as much preemption as work (measured with 17 runnable
 * processes on 2 cores: the thread waited 1.9 ms for each ms it ran). Linux counts this thread's
 * waits for a CPU (`run_delay`, the second field of /proc/thread-self/schedstat; time blocked in
 * a system call or asleep is not in it). A segment longer than PREEMPTIBLE_MS reads it (4.6 µs a
 * read, measured): the waits since the previous read, less all the time outside this segment
 * since then, surely fell in this segment, and are taken out of it. Short segments read nothing:
 * a wait makes its segment long. Opt-in (`TSPROF_PREEMPTION=remove`): by default a line's time
 * is wall-clock time, as kernprof's, and a line that waits on the program's own clock (a spin to
 * a deadline) shows what it waited.
 */
const PREEMPTIBLE_MS = 0.1;
let schedFd = -2;
const schedBuf = Buffer.alloc(128);
/** `run_delay` (ms) and the clock at the previous read. */
let lastDelay = 0;
let lastRead = 0;

function runDelayMs(): number {
  const n = readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
  const text = schedBuf.toString("latin1", 0, n);
  const a = text.indexOf(" ") + 1;
  return Number(text.slice(a, text.indexOf(" ", a))) / 1e6;
}

/** Starts counting this thread's waits for a CPU, where the system counts them (Linux). */
function watchPreemption(): void {
  if (schedFd !== -2) return;
  schedFd = -1;
  if (process.env.TSPROF_PREEMPTION !== "remove") return;
  try {
    schedFd = openSync("/proc/thread-self/schedstat", "r");
    lastDelay = runDelayMs();
    lastRead = performance.now();
    // Compiled now, not on the first long line.
    preempted(performance.now(), 0);
    ExactInvocation = PreemptibleInvocation;
  } catch {
    // No schedstat (not Linux, or no /proc): times stay wall-clock, waits included.
  }
}

/** Of a segment of `d` ms ending at clock `c`, the time the thread surely waited for a CPU. */
function preempted(c: number, d: number): number {
  if (schedFd < 0) return 0;
  let delay: number;
  try {
    delay = runDelayMs();
  } catch {
    schedFd = -1;
    return 0;
  }
  const inside = delay - lastDelay - (c - lastRead - d);
  lastDelay = delay;
  lastRead = c;
  return inside > 0 ? Math.min(inside, d) : 0;
}

/** Counters of one instrumented function, indexed by line slot (slot 0: before the first probe). */
export class FunctionStats {
  readonly hits: Float64Array;
  /** Execution time per slot, in `performance.now()` milliseconds (V8 mode: from the CPU profiler's samples). */
  readonly time: Float64Array;
  /**
   * Clock reads of profiled callees (and extra reads of this line's own) during the line; in V8
   * mode, the CPU profiler's samples billed to the line (v8-lines.ts).
   */
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
  /**
   * Memory mode, per slot: what the line allocated itself at its last reading (`OWN`), at how
   * many readings in a row (then executions, once steady), and in which `era` that run began.
   */
  readonly ownBytes: Float64Array;
  readonly steady: Int32Array;
  readonly steadyEra: Int32Array;
  /** 1 for slots whose line cannot allocate: no heap reading after them. */
  readonly quiet: Uint8Array;
  /** 1 for slots whose line costs under a nanosecond: leaving the function from one reads no clock. */
  readonly cheap: Uint8Array;
  /** 1 for slots whose line calls and allocates nothing: their time per hit is the probe's cost here (writer.ts). */
  readonly light: Uint8Array;
  /**
   * V8 mode: 1 for slots whose line calls a function that another line calls too; their segments
   * are timed into `calls`, to split that callee's samples between them (v8-probes.ts).
   */
  readonly timed: Uint8Array;
  /**
   * This function's JSON in the profile up to its lines (`{"file":…,"source":[…]`), made at
   * registration (writer.ts `cacheStaticJson`): the exit's write serializes only the counters.
   */
  json: string | undefined = undefined;
  private readonly v8Class: (new (f: FunctionStats) => unknown) | undefined;

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
    cheapSlots: readonly number[] = [],
    lightSlots: readonly number[] = cheapSlots,
  ) {
    const n = lines.length;
    this.base = mode === "sampled" ? reserveSlots(n) : 0;
    if (mode === "exact") watchPreemption();
    // Memory mode times with V8's profiler or the sampler (see session.ts): exact probes allocate at every clock read.
    this.memory = memory.on && (mode === "sampled" || mode === "v8");
    // (Memory mode: no timed segments, whose clock reads could allocate inside the lines; a callee
    // called from several lines is shared among them by what they got otherwise, v8-lines.ts.)
    this.timed = mode === "v8" ? (this.memory ? new Uint8Array(n) : ambiguousCallSlots(lines, firstLine, source)) : new Uint8Array(0);
    if (mode === "v8") {
      V8Classes ??= v8InvocationClasses(V8_MEMORY_PARTS);
      this.v8Class = V8Classes[this.memory ? 4 : this.timed.includes(1) ? 1 : 0];
      if (v8Waiting) v8Waiting.stats.push(this);
      else v8Methods(this);
    }
    this.memMax = new Float64Array(this.memory ? n : 0);
    this.allocated = new Float64Array(this.memory ? n : 0);
    this.ownBytes = new Float64Array(this.memory ? n : 0);
    this.steady = new Int32Array(this.memory ? n : 0);
    this.steadyEra = new Int32Array(this.memory ? n : 0);
    this.quiet = new Uint8Array(n);
    this.quiet[0] = 1;
    for (const s of quietSlots) this.quiet[s] = 1;
    this.cheap = new Uint8Array(n);
    for (const s of cheapSlots) this.cheap[s] = 1;
    this.light = new Uint8Array(n);
    for (const s of lightSlots) this.light[s] = 1;
    this.hits = new Float64Array(n);
    this.time = new Float64Array(n);
    this.nested = new Float64Array(n);
    this.calls = new Float64Array(n);
    this.wait = new Float64Array(n);
  }

  /** Starts an invocation: called once per call of the instrumented function. */
  enter(): Invocation {
    if (this.mode === "exact") return new ExactInvocation(this);
    if (this.mode === "sampled") return new SampledInvocation(this) as unknown as Invocation;
    if (this.mode === "v8") {
      // Only before V8's profiler started: then each counter has V8 mode's own `enter`.
      startV8();
      return new (this.v8Class as unknown as new (f: FunctionStats, q: number) => unknown)(this, -1) as unknown as Invocation;
    }
    return this.mode === "mprof" ? bracket(this) : DISABLED;
  }

  /**
   * Starts an invocation of a sync function, above `up` (the file's current one, which the
   * caller keeps in a module variable: `cur = fn.push(cur)`, and `cur.exit(cur = cur.up)` in the
   * `finally`). A sync call ends before its caller's next probe, so no local need hold it: the
   * instrumented frame is smaller and recursion goes deeper (docs/semantics.md).
   */
  push(up: Invocation | undefined): Invocation {
    if (this.memory && this.mode === "sampled") return pushPooled(this, up) as unknown as Invocation;
    const inv = this.enter();
    if (inv !== DISABLED) inv.up = up;
    return inv;
  }
}

/** What both timing modes do alike with iterators: each step timed through `step`. */
abstract class Stepping {
  /** One step of a wrapped iterator: runs on line `slot` (or stays), then suspends. */
  abstract step<R>(slot: number, run: () => R): R;

  /** `for await (x of iterable)`: each step's wait is billed to the loop header (`slot`). */
  asyncIter<T>(iterable: T, slot: number): T {
    return wrapIterable(this, iterable, slot, true) as T;
  }

  /** `yield* iterable`: time inside the delegate's steps is execution; between them, suspension. */
  delegate<T>(iterable: T): T {
    return wrapIterable(this, iterable, -1, false) as T;
  }
}

/** One call of an instrumented function: where it is (`l`) and since when (`t`). */
export class Invocation extends Stepping {
  /** The sync invocation of the same file this one was called above (sync functions only). */
  up: Invocation | undefined = undefined;
  l = 0;
  t = 0;
  /** Probe totals when the current segment began. */
  g: number;
  k: number;
  /** Bit `s` set: `of` prepared the `for…of` loop on slot `s` (its steps are timed, or need not be). */
  ci = 0;
  /** Slot of the last probe, timed or not (`cont` reads it). */
  p = 0;

  constructor(readonly f: FunctionStats) {
    super();
    this.k = ++probeTotals[CALLS];
    this.g = probeTotals[CLOCK_READS];
  }

  /** Ends the current line's segment at clock `c`: execution time, or wait if suspended. */
  protected charge(c: number): void {
    const t = this.t, l = this.l, f = this.f, g = probeTotals[CLOCK_READS], k = probeTotals[CALLS];
    if (t >= 0) {
      f.time[l] += c - t;
      f.nested[l] += g - this.g;
      f.calls[l] += k - this.k;
    } else {
      // Suspended: whatever ran meanwhile belonged to others.
      f.wait[l] += c + t;
    }
    probeTotals[CLOCK_READS] = this.g = g + 1;
    this.k = k;
  }

  /** Execution enters line `slot`: one hit, and the clock now runs for it. */
  hit(slot: number): void {
    const c = performance.now();
    this.charge(c);
    this.t = c;
    this.f.hits[(this.l = this.p = slot)]++;
  }

  /** Line `slot` is entered but not timed (a loop test too cheap to time): the clock stays on the current line. */
  count(slot: number): void {
    this.f.hits[(this.p = slot)]++;
  }

  /** A statement that may continue line `slot` (`} else { x(); } y();`): a hit unless the last probe was on it. */
  cont(slot: number): void {
    if (this.p !== slot) this.hit(slot);
  }

  /**
   * `for (x of iterable)`, on entering the loop. The iterator steps before the body's first probe,
   * so its time would land on the body's last line: any iterable but an array is wrapped, and each
   * step starts by moving the clock to the header (`mark`), where Python bills it too. An array's
   * own iterator steps in about a nanosecond, against 41 ns for a clock read (string and Map
   * processing ran 2.6x slower for it, 2.0x without, measured): arrays go unwrapped and untimed.
   * Either way the header's per-iteration probe (`iter`) then only counts.
   */
  of<T>(iterable: T, slot: number): T {
    if (slot < 31) this.ci |= 1 << slot;
    return isPlainArray(iterable) ? iterable : (wrapForOf(this, iterable, slot) as T);
  }

  /**
   * Before a `for…of` over a variable: whether it is a plain array (bit `slot` of `ci`), whose
   * steps cost about a nanosecond against 41 ns for a clock read: its `turn`s then read no clock,
   * and a step stays with the body's last line. Reads nothing a Proxy could see.
   */
  arrays(iterable: unknown, slot: number): void {
    if (slot >= 31) return;
    if (isPlainArray(iterable)) this.ci |= 1 << slot;
    else this.ci &= ~(1 << slot);
  }

  /** A `for…of` loop's next step is about to run: the clock moves to the header (`slot`), unless the loop is over a plain array. */
  turn(slot: number): void {
    if (slot >= 31 || !((this.ci >> slot) & 1)) this.mark(slot);
  }

  /** A `for…of`/`for…in` header, once per iteration: counted; timed too where `of` did not prepare the loop (`for…in`). */
  iter(slot: number): void {
    if ((this.ci >> slot) & 1) this.f.hits[(this.p = slot)]++;
    else this.hit(slot);
  }

  /** The clock now runs for line `slot`, without a hit (a `for` initializer, a `for…of` iterator's step). */
  mark(slot: number): void {
    const c = performance.now();
    this.charge(c);
    this.t = c;
    this.f.nested[(this.l = this.p = slot)]++;
  }

  /**
   * The function is leaving (return, throw, generator closed): close the last line. When that line
   * costs under a nanosecond (`return n`), its segment is left open instead: a clock read would
   * cost 40 times what it measures (a recursion's base case pays one read less per call). The
   * line's hits stay exact; its time, ~0 either way, is not charged.
   */
  exit(_popped?: unknown): void {
    if (this.t >= 0 && this.f.cheap[this.l] === 1) return;
    this.charge(performance.now());
  }

  /**
   * The `finally` of a self-calling function's entry (`cur.close(entry, cur = entry.up)`): closes
   * this invocation and those below it down to `entry`, innermost first. Those above `entry` are
   * its body's copies that an exception left open (a copy has no `finally`); after a return,
   * `this` is `entry`.
   */
  close(entry: Invocation, _popped?: unknown): void {
    closeDownTo(this, entry);
  }

  /** About to suspend at `await`/`yield` with `value`: the line's execution stops here. */
  pause<T = undefined>(value?: T): T {
    const c = performance.now();
    this.charge(c);
    this.t = -c;
    return value as T;
  }

  /** Resumed after `await`/`yield` with `value`: the suspension is billed as wait. */
  resume<T>(value: T): T {
    const c = performance.now();
    const t = this.t;
    if (t < 0) {
      this.f.wait[this.l] += c + t;
      this.t = c;
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

/**
 * Whether a line's own allocation at a reading is close enough to its mean so far to count as the
 * same: within 32 bytes and an eighth. A line making the same objects each time still reads
 * differently by 16-48 bytes now and then (measured in the class-heavy workload: 216, 232, 248 and
 * 264 bytes for one `new Vec`, by phase); what the mean misses, `DRIFT` settles.
 */
function near(own: number, mean: number): boolean {
  const d = own - mean;
  const tol = 32 + (mean > 0 ? mean : -mean) / 8;
  return d <= tol && d >= -tol;
}

/** Exits `top` and the invocations below it down to `entry`, innermost first (see `Invocation.close`). */
export function closeDownTo(top: Invocation, entry: Invocation): void {
  let i: Invocation | undefined = top;
  while (i !== entry && i !== undefined) {
    i.exit();
    i = i.up;
  }
  entry.exit();
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
  up: Invocation | undefined = undefined;
  f: FunctionStats;
  l = 0;
  /** Slot of the last probe, timed or not (`cont` reads it). */
  p = 0;
  /** `-t` while suspended since `t`, else 0. */
  t = 0;
  d: number;
  /** Memory mode: the allocation total when the current segment began. */
  a: number;
  /** Memory mode: bit `s` set, the `for…of` header on slot `s`, quiet over plain arrays, iterates something else: it reads. */
  n = 0;

  constructor(f: FunctionStats, d = push(f.base)) {
    super();
    this.f = f;
    this.d = d;
    this.a = totals[ALLOCATED];
  }

  /** A pooled invocation starts afresh for a call of `f` on frame `d` (see `pushPooled`). */
  reuse(f: FunctionStats, d: number, up: Invocation | undefined): void {
    this.f = f;
    this.up = up;
    this.l = this.p = this.t = this.n = 0;
    this.d = d;
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
    this.p = slot;
    if (this.t < 0) this.wake();
    else if (this.f.memory) return this.boundary(slot, true);
    this.f.hits[slot]++;
    show(this.d, this.f.base + (this.l = slot));
  }

  cont(slot: number): void {
    if (this.p !== slot) this.hit(slot);
  }

  /**
   * Memory mode, where a line's segment ends: the line's share of the running allocation total
   * since its segment began (`a`; a line's allocation includes its callees', like its time), and
   * the memory in use after it. All of tsprof's work here sits between `openReading` and
   * `closeReading` (memory.ts), with the frame on slot 0 so the sampler bills its time to no line.
   * Lines that cannot allocate (`quiet`) take no reading. Moves to `slot` (or stays, for -1).
   */
  private boundary(slot: number, countHit: boolean): void {
    const f = this.f, l = this.l;
    if (f.quiet[l] === 0 || (this.n !== 0 && l < 31 && ((this.n >> l) & 1) === 1)) return this.noisy(slot, countHit);
    // No reading, so no tsprof work to hide from the sampler: only what callees read is billed.
    // (Kept this small so V8 inlines it into the profiled function: a recursion ran 1.6x
    // sampled mode's time with the reading path in the same method, not inlined.)
    f.allocated[l] += totals[ALLOCATED] - this.a;
    if (totals[IN_USE] > f.memMax[l]) f.memMax[l] = totals[IN_USE];
    this.a = totals[ALLOCATED];
    if (countHit) f.hits[slot]++;
    // Leaving (-1): the caller pops the frame next.
    if (slot >= 0) show(this.d, f.base + (this.l = slot));
  }

  /**
   * `boundary` after a line that may allocate. A steady line (the same bytes of its own at
   * `STEADY` readings in a row, memory.ts) is credited those bytes without a reading, but for one
   * execution in `VERIFY`, which reads and so checks them; any other line reads.
   */
  private noisy(slot: number, countHit: boolean): void {
    const f = this.f, l = this.l;
    const run = f.steady[l];
    if (run < STEADY || f.steadyEra[l] !== era[0] || (f.steady[l] = run + 1) % VERIFY === 0) return this.reading(slot, countHit);
    // (A steady amount below 0 is the bracket's estimate of tsprof's own bytes off a little: 0.)
    const own = f.ownBytes[l] > 0 ? f.ownBytes[l] : 0;
    totals[ALLOCATED] += own;
    totals[IN_USE] += own;
    totals[ASSUMED] += own;
    readingCounts[CREDITED]++;
    f.allocated[l] += totals[ALLOCATED] - this.a;
    if (totals[IN_USE] > f.memMax[l]) f.memMax[l] = totals[IN_USE];
    this.a = totals[ALLOCATED];
    if (countHit) f.hits[slot]++;
    if (slot >= 0) show(this.d, f.base + (this.l = slot));
  }

  /** `noisy` when the line is read: memory in use now, and whether the line's own bytes repeat. */
  private reading(slot: number, countHit: boolean): void {
    show(this.d, this.f.base);
    readLine(this, slot, countHit, ticks[0] * tickMs);
    show(this.d, this.f.base + this.l);
  }

  count(slot: number): void {
    this.f.hits[(this.p = slot)]++;
  }

  /** `for (x of iterable)`: as in exact mode, each step of a non-array iterable shows the header line. */
  of<T>(iterable: T, slot: number): T {
    return isPlainArray(iterable) ? iterable : (wrapForOf(this, iterable, slot) as T);
  }

  /**
   * A `for…of`/`for…in` header, once per iteration: counted only. The iterator's step has already
   * run (showing the header, for iterables `of` wrapped); publishing the header now would cost a
   * store and show nothing, as the body's first line is published next.
   */
  iter(slot: number): void {
    if (this.t < 0) this.wake();
    this.f.hits[(this.p = slot)]++;
  }

  /** Before a `for…of` over a variable: in memory mode, whether its header line reads memory (any iterable but a plain array). */
  arrays(iterable: unknown, slot: number): void {
    if (!this.f.memory || slot >= 31) return;
    if (isPlainArray(iterable)) this.n &= ~(1 << slot);
    else this.n |= 1 << slot;
  }

  turn(slot: number): void {
    this.mark(slot);
  }

  mark(slot: number): void {
    this.p = slot;
    if (this.t < 0) this.wake();
    else if (this.f.memory) return this.boundary(slot, false);
    show(this.d, this.f.base + (this.l = slot));
  }

  exit(_popped?: unknown): void {
    if (this.t < 0) {
      this.f.wait[this.l] += performance.now() + this.t;
      return;
    }
    if (this.f.memory) this.boundary(-1, false);
    popTo(this.d);
  }

  close(entry: Invocation, _popped?: unknown): void {
    closeDownTo(this as unknown as Invocation, entry);
  }

  pause<T = undefined>(value?: T): T {
    if (this.t < 0) return value as T;
    if (this.f.memory) this.boundary(-1, false);
    popTo(this.d);
    this.t = -performance.now();
    return value as T;
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
 * A line's end, read: memory in use now (memory.ts `openReading`, with `nowMs` the caller's clock,
 * or -1 to read one inside the bracket), the line's share of the running total, and whether its
 * own bytes repeat (steady lines). Sampled and V8 memory probes both end here.
 */
function readLine(inv: { f: FunctionStats; l: number; a: number }, slot: number, countHit: boolean, nowMs: number): void {
  const f = inv.f, l = inv.l;
  openReading(nowMs);
  const own = totals[OWN];
  if (f.steady[l] > STEADY && f.steadyEra[l] === era[0]) {
    // Verifying a steady line. It is credited its steady amount, and what the reading found
    // beyond what was credited since the last one, less earlier over-credit (`DRIFT`).
    const expected = f.ownBytes[l], surprise = own - expected;
    let credit = expected > 0 ? expected : 0, drift = totals[DRIFT] + surprise;
    if (drift > 0) {
      credit += drift;
      drift = 0;
    }
    f.steady[l] = STEADY;
    if (drift < -DRIFT_MAX || surprise > SURPRISE_MAX || surprise < -SURPRISE_MAX) {
      // Some steady line's allocation changed: every line learns afresh, and the credit given
      // ahead (`drift`, ≤ 0 here) is taken back now, not dropped. Dropped, a line learned while
      // V8 still made its objects larger (before in-object slack tracking ends) kept 64 KiB too
      // much per relearning: 1.75 MB over 11.99 MB in a 60,000-object loop.
      // As far as the line read has bytes to give: a line's count never goes below 0 (taken
      // whole, a line of a few bytes read at a relearning showed -216,438 bytes in the csv
      // fidelity program). The rest stays credit ahead, for later surplus to pay back.
      const least = (own > 0 ? own : 0) - f.allocated[l] - (totals[ALLOCATED] - inv.a);
      credit += drift;
      drift = credit < least ? Math.max(credit - least, -DRIFT_MAX / 2) : 0;
      if (credit < least) credit = least;
      era[0]++;
      f.steady[l] = 0;
    }
    totals[DRIFT] = drift;
    totals[ALLOCATED] += credit - (own > 0 ? own : 0);
  } else if (f.steadyEra[l] === era[0] && f.steady[l] > 0 && near(own, f.ownBytes[l])) {
    // Learning: the line's amount is the mean of its run of readings.
    const n = ++f.steady[l];
    // Whole bytes: a profile's counters are whole numbers.
    f.ownBytes[l] = Math.round(f.ownBytes[l] + (own - f.ownBytes[l]) / n);
  } else {
    f.ownBytes[l] = own;
    f.steady[l] = own <= STEADY_MAX_BYTES && own >= -STEADY_MAX_BYTES ? 1 : 0;
    f.steadyEra[l] = era[0];
  }
  f.allocated[l] += totals[ALLOCATED] - inv.a;
  if (totals[IN_USE] > f.memMax[l]) f.memMax[l] = totals[IN_USE];
  inv.a = totals[ALLOCATED];
  if (countHit) f.hits[slot]++;
  if (slot >= 0) inv.l = slot;
  closeReading();
}

/** What V8 mode's memory probes (v8-probes.ts) share: they read memory in use through `readLine`. */
const V8_MEMORY_PARTS: V8MemoryParts = {
  totals, era, counts: readingCounts, isProxy: types.isProxy, IN_USE, ALLOCATED, ASSUMED, CREDITED, STEADY, VERIFY,
  read: readLine as V8MemoryParts["read"],
};

/**
 * Memory mode's sync invocations, one per frame of the shared line stack, reused. A sync call
 * ends before its frame is pushed again (async functions and generators, which outlive their
 * frame, take `enter` and a fresh invocation), so the invocation on frame `d` is free whenever
 * `d` is pushed. A fresh one per call was the program's allocation in memory mode: each call's
 * invocation (120 bytes with its two boxed doubles) and what V8 made of it was billed to the
 * calling line, most of the 250 bytes shown for a `new Vec` of 72 in the class-heavy workload,
 * and the garbage cost collections. Frames past `POOL_MAX` take fresh ones.
 */
const pool: (SampledInvocation | undefined)[] = [];
const POOL_MAX = 8192;

function pushPooled(f: FunctionStats, up: Invocation | undefined): SampledInvocation {
  const d = push(f.base);
  const inv = d < POOL_MAX ? pool[d] : undefined;
  if (inv === undefined) {
    const made = new SampledInvocation(f, d);
    made.up = up;
    if (d < POOL_MAX) pool[d] = made;
    return made;
  }
  inv.reuse(f, d, up);
  return inv;
}

/**
 * Exact timing with the thread's waits for a CPU taken out (`TSPROF_PREEMPTION=remove`). A class
 * of its own, so that wall-clock timing keeps the plain `charge`: the check is code in every probe
 * site V8 inlines, and its inlining budget is what bounds how many sites it inlines.
 */
class PreemptibleInvocation extends Invocation {
  protected override charge(c: number): void {
    const t = this.t, d = c - t;
    // `t` is 0 only before an invocation's first probe (slot 0, never reported), negative while suspended.
    if (t > 0 && d >= PREEMPTIBLE_MS) this.f.time[this.l] -= preempted(c, d);
    super.charge(c);
  }
}

/** Exact timing's invocation class in this thread (the preemptible one once `watchPreemption` opened schedstat). */
let ExactInvocation: typeof Invocation = Invocation;

/**
 * Runs the probe path: until V8 optimizes it (memory mode, once per thread, ~15 ms), or until
 * every probe method is compiled (exact mode, at the first registration, `rounds` × `perRound`). Until then
 * the interpreter boxes every double the probes compute, and each reading would bill a few
 * hundred bytes of that to the next line (measured: ~11,000 such readings in a 100,000-iteration
 * loop started cold, 2 MB in all; none once warm).
 */
export function warmUpProbes(mode: TimingMode, rounds = 40, perRound = 500): void {
  const saved = probeTotals.slice();
  // Slots 1-3 (slot 0 is the def line): every store in bounds. A store past a counter array's end
  // leaves the shared probe methods' feedback expecting out-of-bounds stores, and every function
  // profiled after paid for it: a fourth slot short, exact timing ran the tight loop at 67-75x
  // its plain time and fib at 45-46x, against 57-59x and 40-42x in bounds (docs/calibration.md).
  const probe = new FunctionStats("<warm-up>", "warm-up", 1, [1, 2, 3, 4], [], "sync", mode, [], []);
  let up: Invocation | undefined;
  for (let r = 0; r < rounds; r++) {
    const s = probe.push(up);
    try {
      for (let i = 0; i < perRound; i++) {
        s.hit(1);
        s.count(3);
        s.mark(3);
        s.hit(2);
      }
    } finally {
      s.exit((up = s.up));
    }
  }
  probeTotals.set(saved);
}

const ARRAY_VALUES = Array.prototype[Symbol.iterator];

const isProxy = types.isProxy;

/** An array iterated by its own, unchanged iterator: each step is a nanosecond of work. A Proxy never counts (no trap runs). */
function isPlainArray(iterable: unknown): boolean {
  return !isProxy(iterable) && Array.isArray(iterable) && (iterable as unknown as Record<symbol, unknown>)[Symbol.iterator] === ARRAY_VALUES;
}

/** A sync iterable whose every step (`next`, and `return` on `break`) first moves to the header line. */
function wrapForOf(inv: { mark(slot: number): void }, iterable: unknown, slot: number): unknown {
  const method = iterable == null ? undefined : (iterable as Record<symbol, (() => AnyIterator) | undefined>)[Symbol.iterator];
  if (method == null) return iterable; // the loop throws its own TypeError
  return {
    [Symbol.iterator]: () => {
      const it = method.call(iterable);
      const w: AnyIterator = { next: (...a) => (inv.mark(slot), it.next(...a)) };
      if (typeof it.return === "function") w.return = (...a) => (inv.mark(slot), it.return!(...a));
      if (typeof it.throw === "function") w.throw = (...a) => it.throw!(...a);
      return w;
    },
  };
}

/** Probes that do nothing: `TSPROF=0` turns profiling off without a rebuild. */
class DisabledInvocation extends NoOpProbes {
  /** With profiling off every invocation is this one: leaving it leaves it current. */
  get up(): Invocation { return DISABLED; }
}

const DISABLED = new DisabledInvocation() as unknown as Invocation;
