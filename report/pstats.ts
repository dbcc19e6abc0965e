/**
 * pstats for tsprof's function profiles: the same `Stats` operations (add, sort, reverse, strip
 * dirs, restrictions, callers, callees) printing exactly what Python's pstats prints, so a
 * report reads — and diffs — like cProfile's. Pure: every print returns its text.
 */
import * as path from "node:path";

/** `[ncalls, primitive calls, tottime, cumtime]` of one caller→callee edge. */
export type CallStat = [nc: number, cc: number, tt: number, ct: number];

export interface Func {
  file: string;
  line: number;
  name: string;
}

export interface FuncStat {
  func: Func;
  /** Primitive calls. */
  cc: number;
  nc: number;
  tt: number;
  ct: number;
  /** Seconds suspended at await/yield (reported apart). */
  wait: number;
  /** Seen by V8's sampler only: ncalls 0 means not counted. */
  sampled?: boolean;
  callers: Map<string, CallStat>;
}

/** A place in the sampled stacks: the function, its own seconds there, and what it called from there. */
export interface StackNode {
  func: Func;
  self: number;
  children: Map<string, StackNode>;
}

/** The child of `node` for `func`, made when new. */
export function stackChild(node: StackNode, func: Func): StackNode {
  const key = funcKey(func);
  let c = node.children.get(key);
  if (!c) node.children.set(key, (c = { func, self: 0, children: new Map() }));
  return c;
}

function mergeStacks(into: StackNode, from: StackNode, rename: (f: Func) => Func = (f) => f): void {
  for (const c of from.children.values()) {
    const to = stackChild(into, rename(c.func));
    to.self += c.self;
    mergeStacks(to, c, rename);
  }
}

/** Built-ins are `~:0(<name>)` and print as `{name}`, as in pstats. */
export function stdString(f: Func): string {
  if (f.file === "~" && f.line === 0) {
    return f.name.startsWith("<") && f.name.endsWith(">") ? `{${f.name.slice(1, -1)}}` : f.name;
  }
  return `${f.file}:${f.line}(${f.name})`;
}

/** strip_dirs of one file: built-ins (`~`) and Node's internals (`node:internal/fs/utils`, which have no directory to strip) stay whole. */
const stripFile = (file: string) => (file === "~" || file.startsWith("node:") ? file : path.basename(file));

export const funcKey = (f: Func) => `${f.file}\0${f.line}\0${f.name}`;

// pstats' table: the tuple index sorted on and direction, and the words of "Ordered by:".
// Indices: 0 cc, 1 nc, 2 tt, 3 ct, 4 file, 5 line, 6 name, 7 std name.
export const SORT_KEYS: Record<string, [Array<[number, 1 | -1]>, string]> = {
  calls: [[[1, -1]], "call count"],
  ncalls: [[[1, -1]], "call count"],
  cumtime: [[[3, -1]], "cumulative time"],
  cumulative: [[[3, -1]], "cumulative time"],
  filename: [[[4, 1]], "file name"],
  line: [[[5, 1]], "line number"],
  module: [[[4, 1]], "file name"],
  name: [[[6, 1]], "function name"],
  nfl: [[[6, 1], [4, 1], [5, 1]], "name/file/line"],
  pcalls: [[[0, -1]], "primitive call count"],
  stdname: [[[7, 1]], "standard name"],
  time: [[[2, -1]], "internal time"],
  tottime: [[[2, -1]], "internal time"],
};

let abbreviations: Map<string, [Array<[number, 1 | -1]>, string]> | undefined;

/** Every key and each of its unique prefixes (pstats' `get_sort_arg_defs`). */
export function sortKeyTable(): Map<string, [Array<[number, 1 | -1]>, string]> {
  if (abbreviations) return abbreviations;
  const table = new Map<string, [Array<[number, 1 | -1]>, string]>();
  const bad = new Set<string>();
  for (const [word, def] of Object.entries(SORT_KEYS)) {
    for (let fragment = word; fragment; fragment = fragment.slice(0, -1)) {
      if (table.has(fragment)) {
        bad.add(fragment);
        break;
      }
      table.set(fragment, def);
    }
  }
  for (const b of bad) table.delete(b);
  return (abbreviations = table);
}

/** A restriction as pstats takes them: first N rows, a fraction of them, or a regex on the name. */
export type Restriction = number | { fraction: number } | string;

/** Parses a restriction typed on a command line or at the browser's prompt, as pstats' browser does. */
export function parseRestriction(word: string): Restriction | Error {
  if (/^[+-]?\d+$/.test(word)) return Number(word);
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(word)) {
    const x = Number(word);
    if (x < 0 || x > 1) return new Error("Fraction argument must be in [0, 1]");
    return { fraction: x };
  }
  return word;
}

/**
 * `%.3f` as Python prints it. toFixed rounds exact binary ties up, Python to even; at three
 * decimals the only exact ties are odd multiples of 1/16 (0.0625 → 0.062, 0.1875 → 0.188).
 */
export function fixed3(x: number): string {
  const sixteenths = x * 16;
  if (Number.isInteger(sixteenths) && sixteenths % 2 !== 0) {
    const down = Math.floor(x * 1000);
    return ((down % 2 === 0 ? down : down + 1) / 1000).toFixed(3);
  }
  return x.toFixed(3);
}

const f8 = (x: number) => fixed3(x).padStart(8);

/** Python's repr of a restriction, for "List reduced from … due to restriction <…>". */
function reprRestriction(r: Restriction): string {
  if (typeof r === "number") return String(r);
  if (typeof r === "object") return Number.isInteger(r.fraction) ? `${r.fraction}.0` : String(r.fraction);
  const quote = r.includes("'") && !r.includes('"') ? '"' : "'";
  return `${quote}${r.replace(/\\/g, "\\\\").replace(new RegExp(quote, "g"), `\\${quote}`)}${quote}`;
}

/** `time.ctime`: `Tue Dec  1 10:44:23 2026`. */
export function ctime(d: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

export class SortKeyError extends Error {}

export class Stats {
  /** Insertion order matters: it is the "random listing order" and breaks sort ties, as a dict's does. */
  stats = new Map<string, FuncStat>();
  /** Header lines (`ctime    file`) of the files read. */
  files: string[] = [];
  totalCalls = 0;
  primCalls = 0;
  totalTt = 0;
  sortType = "";
  /** How the times were taken (the runs' `mode`; `mixed` when files of both modes were added). */
  mode: string | undefined;
  /** The sampled stacks of the runs read (sampler mode), merged; the root stands for no frame. */
  stacks: StackNode = { func: { file: "", line: 0, name: "(root)" }, self: 0, children: new Map() };
  /** False once a run with times but no stacks (clock mode, an older file) was added. */
  stacksComplete = true;
  private fcnList: string[] | undefined;
  private allCallees: Map<string, Map<string, CallStat>> | undefined;

  /** Adds a function's figures (merging with a function of the same file, line and name). */
  addFunction(s: FuncStat): void {
    const key = funcKey(s.func);
    const old = this.stats.get(key);
    this.totalCalls += s.nc;
    this.primCalls += s.cc;
    this.totalTt += s.tt;
    if (!old) {
      this.stats.set(key, { ...s, callers: new Map(s.callers) });
    } else {
      old.cc += s.cc; old.nc += s.nc; old.tt += s.tt; old.ct += s.ct; old.wait += s.wait;
      if (!s.sampled) delete old.sampled;
      addCallers(old.callers, s.callers);
    }
    this.fcnList = undefined;
    this.allCallees = undefined;
  }

  /** Merges another Stats into this one (pstats' `add`). */
  add(other: Stats): this {
    this.files.push(...other.files);
    if (other.mode) this.mode = this.mode && this.mode !== other.mode ? "mixed" : other.mode;
    for (const s of other.stats.values()) this.addFunction(s);
    mergeStacks(this.stacks, other.stacks);
    if (!other.stacksComplete) this.stacksComplete = false;
    return this;
  }

  /** Sorts by pstats keys (unique prefixes accepted); no key: back to the order of the data. */
  sort(...keys: string[]): this {
    if (keys.length === 0) {
      this.fcnList = undefined;
      return this;
    }
    const table = sortKeyTable();
    const order: Array<[number, 1 | -1]> = [];
    const words: string[] = [];
    for (const k of keys) {
      const def = table.get(k);
      if (!def) throw new SortKeyError(`unknown sort key "${k}"; keys (unique prefixes accepted): ${Object.keys(SORT_KEYS).join(", ")}`);
      order.push(...def[0]);
      words.push(def[1]);
    }
    this.sortType = words.join(", ");
    const rows = [...this.stats].map(([key, s]) => ({ key, t: [s.cc, s.nc, s.tt, s.ct, s.func.file, s.func.line, s.func.name, stdString(s.func)] as (number | string)[] }));
    rows.sort((a, b) => {
      for (const [i, dir] of order) {
        const l = a.t[i], r = b.t[i];
        if (l < r) return -dir;
        if (l > r) return dir;
      }
      return 0;
    });
    this.fcnList = rows.map((r) => r.key);
    return this;
  }

  reverse(): this {
    this.fcnList?.reverse();
    return this;
  }

  /** Keeps file names only; functions that then share a name are merged, as pstats does. */
  stripDirs(): this {
    const old = this.stats;
    this.stats = new Map();
    const strip = (k: string) => {
      const [file, line, name] = k.split("\0");
      return `${stripFile(file)}\0${line}\0${name}`;
    };
    for (const [key, s] of old) {
      const callers = new Map<string, CallStat>();
      addCallers(callers, new Map([...s.callers].map(([c, v]) => [strip(c), v])));
      const func = { ...s.func, file: stripFile(s.func.file) };
      const nk = strip(key);
      const prev = this.stats.get(nk);
      if (prev) {
        prev.cc += s.cc; prev.nc += s.nc; prev.tt += s.tt; prev.ct += s.ct; prev.wait += s.wait;
        if (!s.sampled) delete prev.sampled;
        addCallers(prev.callers, callers);
      } else {
        this.stats.set(nk, { ...s, func, callers });
      }
    }
    const stacks = this.stacks;
    this.stacks = { ...stacks, children: new Map() };
    mergeStacks(this.stacks, stacks, (f) => ({ ...f, file: stripFile(f.file) }));
    this.fcnList = undefined;
    this.allCallees = undefined;
    return this;
  }

  /** Whether every run read carried its sampled stacks (then exports draw them as sampled). */
  hasStacks(): boolean {
    return this.stacksComplete && this.stacks.children.size > 0;
  }

  private maxNameLen(): number {
    let w = 0;
    for (const s of this.stats.values()) w = Math.max(w, stdString(s.func).length);
    return w;
  }

  /** pstats' `get_print_list`: the rows after restrictions, their name width, and the message above them. */
  private printList(restrictions: Restriction[]): { width: number; list: string[]; msg: string } {
    let list: string[];
    let msg: string;
    if (this.fcnList) {
      list = this.fcnList.slice();
      msg = `   Ordered by: ${this.sortType}\n`;
    } else {
      list = [...this.stats.keys()];
      msg = "   Random listing order was used\n";
    }
    for (const raw of restrictions) {
      // A number with a fraction is pstats' float restriction.
      const sel: Restriction = typeof raw === "number" && !Number.isInteger(raw) ? { fraction: raw } : raw;
      const before = list.length;
      if (typeof sel === "string") {
        let rex: RegExp;
        try {
          rex = new RegExp(sel);
        } catch {
          msg += `   <Invalid regular expression ${reprRestriction(sel)}>\n`;
          continue;
        }
        list = list.filter((k) => rex.test(stdString(this.stats.get(k)!.func)));
      } else if (typeof sel === "object") {
        if (sel.fraction >= 0 && sel.fraction < 1) list = list.slice(0, Math.floor(list.length * sel.fraction + 0.5));
      } else if (sel >= 0 && sel < list.length) {
        list = list.slice(0, sel);
      }
      if (list.length !== before) msg += `   List reduced from ${before} to ${list.length} due to restriction <${reprRestriction(sel)}>\n`;
    }
    let width = this.maxNameLen();
    if (list.length < this.stats.size) width = Math.max(0, ...list.map((k) => stdString(this.stats.get(k)!.func).length));
    return { width: width + 2, list, msg };
  }

  /** `print_stats(*restrictions)`. */
  printStats(...restrictions: Restriction[]): string {
    let out = "";
    for (const f of this.files) out += `${f}\n`;
    if (this.files.length) out += "\n";
    out += `         ${this.totalCalls} function calls `;
    if (this.totalCalls !== this.primCalls) out += `(${this.primCalls} primitive calls) `;
    out += `in ${fixed3(this.totalTt)} seconds\n\n`;
    const { list, msg } = this.printList(restrictions);
    if (list.length === 0) return out;
    out += `${msg}\n`;
    out += "   ncalls  tottime  percall  cumtime  percall filename:lineno(function)\n";
    for (const k of list) out += this.line(this.stats.get(k)!);
    out += "\n\n";
    if (list.some((k) => this.stats.get(k)!.sampled)) {
      // Not in pstats: V8's sampler sees built-ins, Node's internals and code not instrumented, but cannot count their calls.
      out += "   ncalls 0: not counted (seen by V8's sampler only: built-ins, Node's internals, code not instrumented)\n\n\n";
    }
    const waiting = list.map((k) => this.stats.get(k)!).filter((s) => s.wait > 0);
    if (waiting.length) {
      // Not in pstats: async functions' time suspended at await/yield, kept out of cumtime.
      out += "   Suspended at await/yield (not in tottime or cumtime):\n";
      out += "     wait filename:lineno(function)\n";
      for (const s of waiting) out += `${f8(s.wait)} ${stdString(s.func)}\n`;
      out += "\n\n";
    }
    return out;
  }

  private line(s: FuncStat): string {
    const c = s.nc !== s.cc ? `${s.nc}/${s.cc}` : String(s.nc);
    return `${c.padStart(9)} ${f8(s.tt)} ${s.nc === 0 ? " ".repeat(8) : f8(s.tt / s.nc)} ${f8(s.ct)} ${s.cc === 0 ? " ".repeat(8) : f8(s.ct / s.cc)} ${stdString(s.func)}\n`;
  }

  private callees(): Map<string, Map<string, CallStat>> {
    if (this.allCallees) return this.allCallees;
    const all = new Map<string, Map<string, CallStat>>();
    for (const [key, s] of this.stats) {
      if (!all.has(key)) all.set(key, new Map());
      for (const [caller, stat] of s.callers) {
        if (!all.has(caller)) all.set(caller, new Map());
        all.get(caller)!.set(key, stat);
      }
    }
    return (this.allCallees = all);
  }

  /** `print_callers(*restrictions)`. */
  printCallers(...restrictions: Restriction[]): string {
    const { width, list, msg } = this.printList(restrictions);
    if (list.length === 0) return "";
    let out = `${msg}\n${this.callHeading(width, "was called by...")}`;
    for (const k of list) out += this.callLine(width, k, this.stats.get(k)!.callers, "<-");
    return `${out}\n\n`;
  }

  /** `print_callees(*restrictions)`. */
  printCallees(...restrictions: Restriction[]): string {
    const { width, list, msg } = this.printList(restrictions);
    if (list.length === 0) return "";
    const all = this.callees();
    let out = `${msg}\n${this.callHeading(width, "called...")}`;
    for (const k of list) out += this.callLine(width, k, all.get(k) ?? new Map(), "->");
    return `${out}\n\n`;
  }

  private callHeading(width: number, title: string): string {
    let out = `${"Function ".padEnd(width)}${title}\n`;
    const anyCallers = [...this.stats.values()].some((s) => s.callers.size > 0);
    if (anyCallers) out += `${" ".repeat(width)}    ncalls  tottime  cumtime\n`;
    return out;
  }

  private callLine(width: number, key: string, calls: Map<string, CallStat>, arrow: string): string {
    const name = (k: string) => {
      const [file, line, fn] = k.split("\0");
      return stdString({ file, line: Number(line), name: fn });
    };
    let out = `${name(key).padEnd(width)}${arrow} `;
    if (calls.size === 0) return `${out}\n`;
    // Python sorts (file, line, name) tuples: by file, then line as a number, then name.
    const sorted = [...calls.keys()].sort((a, b) => {
      const [fa, la, na] = a.split("\0"), [fb, lb, nb] = b.split("\0");
      return fa < fb ? -1 : fa > fb ? 1 : Number(la) - Number(lb) || (na < nb ? -1 : na > nb ? 1 : 0);
    });
    let indent = "";
    for (const k of sorted) {
      const [nc, cc, tt, ct] = calls.get(k)!;
      const sub = (nc !== cc ? `${nc}/${cc}` : String(nc)).padStart(7 + 2 * indent.length);
      out += `${indent.repeat(width + 1)}${sub} ${f8(tt)} ${f8(ct)}  ${name(k)}\n`;
      indent = " ";
    }
    return out;
  }

  /** A copy, for the browser's `read` and tests. */
  clone(): Stats {
    const s = new Stats();
    s.add(this);
    return s;
  }
}

function addCallers(target: Map<string, CallStat>, source: Map<string, CallStat>): void {
  for (const [k, v] of source) {
    const t = target.get(k);
    target.set(k, t ? [t[0] + v[0], t[1] + v[1], t[2] + v[2], t[3] + v[3]] : [...v] as CallStat);
  }
}
