/**
 * mprof's data file (`mprofile_YYYYMMDDhhmmss.dat`), as memory_profiler's `mprof run` writes it
 * and its `read_mprofile_file` reads it: one record a line, the first word its kind.
 *
 *   CMDLINE <command line>
 *   MEM <MiB> <t>                                     resident memory (summed with children under -C)
 *   CHLD <n> <MiB> <t>                                child process n (-M)
 *   FUNC <name> <mem_start> <t_start> <mem_end> <t_end> <level>   one call of a profiled function
 *   HEAP <used MiB> <total MiB> <external MiB> <t>    tsprof's: the V8 heap of the main thread
 *   WORKER <n> <threadId>                             tsprof's: CHLD n is a worker thread (-M), its
 *                                                     V8 heap used plus external memory
 *   HEAPALL <used MiB> <total MiB> <external MiB> <t> tsprof's: the V8 heaps of the main thread and
 *                                                     every worker, summed (-C)
 *
 * Times are seconds since the epoch. Python's reader skips kinds it does not know, so HEAP,
 * WORKER and HEAPALL lines leave its `mprof plot` and `mprof peak` as they were (a worker's CHLD
 * series shows there as one more child).
 */

export interface Series {
  t: number[];
  mem: number[];
}

export interface FuncCall {
  name: string;
  memStart: number;
  tStart: number;
  memEnd: number;
  tEnd: number;
  level: number;
}

export interface HeapSeries {
  t: number[];
  used: number[];
  total: number[];
  external: number[];
}

export interface MprofData {
  cmdline: string | undefined;
  mem: Series;
  children: Map<string, Series>;
  funcs: FuncCall[];
  heap: HeapSeries;
  /** CHLD numbers that are worker threads, with their thread ids. */
  workers: Map<string, number>;
  /** Every thread's heap summed (-C with worker threads); empty otherwise. */
  heapAll: HeapSeries;
}

/** A file that is not mprof data, or is damaged: the message names the line. */
export class MprofDataError extends Error {}

const KNOWN = new Set(["CMDLINE", "MEM", "CHLD", "FUNC", "HEAP", "WORKER", "HEAPALL"]);

const emptyHeap = (): HeapSeries => ({ t: [], used: [], total: [], external: [] });

export function emptyData(): MprofData {
  return { cmdline: undefined, mem: { t: [], mem: [] }, children: new Map(), funcs: [], heap: emptyHeap(), workers: new Map(), heapAll: emptyHeap() };
}

/** Parses a data file's text; `name` is used in messages. Unknown kinds are skipped, as mprof does. */
export function parseMprof(text: string, name: string): MprofData {
  const d = emptyData();
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let known = 0;
  const bad = (n: number, why: string) =>
    new MprofDataError(`${name}: line ${n + 1} is not mprof data (${why}); re-run tsprof mprof run, or pass another file`);
  lines.forEach((raw, n) => {
    const line = raw.replace(/\r$/, "");
    const space = line.indexOf(" ");
    const kind = space < 0 ? line : line.slice(0, space);
    if (!KNOWN.has(kind)) {
      if (n === 0) throw bad(n, `starts with ${JSON.stringify(kind.slice(0, 20))}, not CMDLINE or MEM`);
      return;
    }
    known++;
    if (kind === "CMDLINE") {
      d.cmdline = line.slice(space + 1);
      return;
    }
    const words = line.slice(space + 1).split(" ");
    const nums = (from: number, count: number) => {
      const out = words.slice(from, from + count).map(Number);
      if (out.length < count || out.some((x) => !Number.isFinite(x))) throw bad(n, `${kind} needs ${count} numbers`);
      return out;
    };
    if (kind === "MEM") {
      const [mem, t] = nums(0, 2);
      d.mem.mem.push(mem);
      d.mem.t.push(t);
    } else if (kind === "CHLD") {
      const [mem, t] = nums(1, 2);
      let s = d.children.get(words[0]);
      if (!s) d.children.set(words[0], (s = { t: [], mem: [] }));
      s.mem.push(mem);
      s.t.push(t);
    } else if (kind === "FUNC") {
      const [memStart, tStart, memEnd, tEnd] = nums(1, 4);
      const level = words.length > 5 ? Number(words[5]) : 0;
      d.funcs.push({ name: words[0], memStart, tStart, memEnd, tEnd, level: Number.isFinite(level) ? level : 0 });
    } else if (kind === "WORKER") {
      const [thread] = nums(1, 1);
      d.workers.set(words[0], thread);
    } else {
      const [used, total, external, t] = nums(0, 4);
      const h = kind === "HEAP" ? d.heap : d.heapAll;
      h.used.push(used);
      h.total.push(total);
      h.external.push(external);
      h.t.push(t);
    }
  });
  if (known === 0) throw new MprofDataError(`${name}: not mprof data (no CMDLINE, MEM or FUNC lines); pass a file written by tsprof mprof run or mprof run`);
  if (d.mem.t.length === 0) {
    throw new MprofDataError(`${name}: no memory samples (MEM lines): the program ended before the first sample; run it again with a shorter -T`);
  }
  return d;
}

/** The memory of `s` at time `t`, interpolated between the samples around it. */
export function memAt(s: Series, t: number): number {
  const { t: ts, mem } = s;
  if (ts.length === 0) return 0;
  if (t <= ts[0]) return mem[0];
  let lo = 0, hi = ts.length - 1;
  if (t >= ts[hi]) return mem[hi];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) lo = mid;
    else hi = mid;
  }
  const f = (t - ts[lo]) / (ts[hi] - ts[lo] || 1);
  return mem[lo] + f * (mem[hi] - mem[lo]);
}

/** The highest MEM sample: mprof's peak. */
export function peakOf(d: MprofData): { mem: number; t: number } {
  let best = 0;
  for (let i = 1; i < d.mem.mem.length; i++) if (d.mem.mem[i] > d.mem.mem[best]) best = i;
  return { mem: d.mem.mem[best], t: d.mem.t[best] };
}

/**
 * Python's `'{:.Nf}'.format(x)`: halves round to even where JavaScript's `toFixed` rounds them up
 * (RSS comes in 4 KiB pages, so a peak of 21.0625 MiB is common: Python prints 21.062).
 */
export function pyFixed(x: number, digits: number): string {
  const scaled = x * 10 ** digits;
  const floor = Math.floor(scaled);
  if (Math.abs(scaled) < 2 ** 52 && scaled - floor === 0.5) return ((floor % 2 === 0 ? floor : floor + 1) / 10 ** digits).toFixed(digits);
  return x.toFixed(digits);
}

/** mprof's `CMDLINE`: words joined by spaces, those with blanks in single quotes. */
export function commandLine(words: string[]): string {
  return words.map((w) => (/[ \t]/.test(w) ? `'${w}'` : w)).join(" ");
}

/** `FUNC` line, as memory_profiler writes it (`%.4f` memory and times). */
export function funcLine(c: FuncCall): string {
  return `FUNC ${c.name} ${c.memStart.toFixed(4)} ${c.tStart.toFixed(4)} ${c.memEnd.toFixed(4)} ${c.tEnd.toFixed(4)} ${c.level}\n`;
}

const MIB = 1024 * 1024;

/** `HEAP` line from bytes (`HEAPALL` for every thread's, summed). */
export function heapLine(t: number, used: number, total: number, external: number, kind: "HEAP" | "HEAPALL" = "HEAP"): string {
  return `${kind} ${(used / MIB).toFixed(6)} ${(total / MIB).toFixed(6)} ${(external / MIB).toFixed(6)} ${t.toFixed(4)}\n`;
}

/** Least-squares slope and intercept of memory over time (mprof plot --slope), in MiB per second. */
export function trend(t: number[], v: number[]): { slope: number; intercept: number } {
  const n = t.length;
  if (n < 2) return { slope: 0, intercept: v[0] ?? 0 };
  let st = 0, sv = 0, stt = 0, stv = 0;
  for (let i = 0; i < n; i++) {
    st += t[i]; sv += v[i]; stt += t[i] * t[i]; stv += t[i] * v[i];
  }
  const den = n * stt - st * st;
  const slope = den === 0 ? 0 : (n * stv - st * sv) / den;
  return { slope, intercept: (sv - slope * st) / n };
}
