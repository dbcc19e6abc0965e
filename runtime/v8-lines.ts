/*
 * V8 mode: line times from V8's own CPU profiler, run on this thread (v8-cpu.ts), mapped back to
 * the probe plan's lines. Hits stay exact (v8-probes.ts counts them); this file only turns the
 * profile's samples into milliseconds per line slot (`FunctionStats.time`) and sample counts
 * (`FunctionStats.nested`, which V8 mode does not otherwise use).
 *
 * How a sample finds its line (docs/v8-mode.md):
 * - The profile names the generated JavaScript: a node per function (script, start position) and
 *   its self samples per generated line. The generated script is read back from V8 (the
 *   debugger's `getScriptSource`, whatever compiled it: tspc, `tsprof run`, a bundler) and scanned
 *   for the instrumentation itself: `LOAD()[i].push(` / `.enter()` opens planned function `i` of
 *   the file that `LOAD` registers, `C.hit(5)` and its siblings move it to slot 5, `C.exit(`
 *   closes it. A generated line belongs to the slot of the last probe before its end, so the
 *   mapping needs no source map and is the same for both emitters.
 * - Lines holding only instrumentation (the TypeScript emitter puts each probe on its own line),
 *   the registration function and tsprof's own code are the probes' cost: billed to no line, and
 *   taken out of a profiled callee's time before it is billed to its caller. So are samples in
 *   the probe methods, which V8 inlines and bills to line 10,000,001 (v8-probes.ts).
 * - A line's time includes its callees (kernprof). Samples in a callee's node, and samples V8
 *   bills to the caller with an inlined callee's line numbers (any line outside the function),
 *   go to the line that called it: a closure defined in the function goes to the line defining
 *   it (`xs.map((x) => …)`); another callee to the line whose text calls it by name (`helper(`,
 *   `.add(`, `new Vec(`); lines calling one name are split by their timed segments (v8-probes.ts);
 *   a callee with no name, or none that matches, is shared among the lines that make calls, in
 *   proportion to what they got otherwise, else by hits.
 */
import { connectedSession, startCpuProfile, type CpuProfile, type CpuProfileNode, type CpuSession } from "./v8-cpu";
import { PROBE_LINE_OFFSET, PROBES_URL } from "./v8-probes";
import type { FunctionStats } from "./stats";
import { loadedScript } from "./scripts";
import { asOwnWork, memory } from "./memory";

/** Most a sample may stand for, in sampling intervals: see `attribute`. */
const MAX_WEIGHT = 4;
/** Default sampling interval of V8 mode, microseconds: see docs/v8-mode.md for the measurements. */
export const DEFAULT_V8_INTERVAL_US = 100;

let cpu: CpuSession | null = null;
let intervalUs = DEFAULT_V8_INTERVAL_US;
/** This thread's registered files: their counters, in plan order. */
const byFile = new Map<string, FunctionStats[]>();
/** Generated scripts already scanned, by script id (sources never change under one id). */
const scanned = new Map<string, ScriptMap | null>();

/** Starts V8's profiler on this thread (once); false where it is unavailable. */
export function startV8Timing(interval: number): boolean {
  intervalUs = interval;
  if (!cpu) cpu = startCpuProfile(interval);
  return cpu !== null;
}

/** The parts of V8's call sites (`Error.prepareStackTrace`'s) a registration is known by. */
interface CallSite {
  getScriptNameOrSourceURL(): string | null | undefined;
  /** SHA-256 of the script's text as UTF-8, hex (V8 ≥ 10.x; node 20, 22, 24). */
  getScriptHash?(): string;
}

/**
 * The scripts on the stack of each registration (the one calling `register`, and its callers a
 * few frames up: a bundle may hold the runtime in a chunk of its own), by the path or URL the
 * profile names them with. A script that never registered holds no probes: the fold reads it
 * not at all. Each keeps its call sites, asked for their script's hash at the fold, so that a
 * script is read from its file when the file is still the text V8 runs: opening V8's debugger
 * to read it makes V8 walk its whole heap (measured on node 20.20: 25-40 ms in an empty
 * process, 140 ms with a million small objects alive, 230 ms with three million).
 */
const registrars = new Map<string, CallSite[]>();
/** A registration whose script has no name (eval): then every script is read, as before. */
let unnamedRegistrar = false;
/** Call sites kept per script. */
const MAX_SITES = 8;
/** Frames of a registration looked at, above the runtime's own. */
const REGISTRAR_FRAMES = 4;

/** Notes the scripts registering profiled functions now (`above`: the runtime's function called). */
export function noteRegistrar(above: Function): void {
  const E = Error as unknown as { prepareStackTrace?: unknown; stackTraceLimit?: number };
  let sites: CallSite[] | undefined;
  try {
    const prepare = E.prepareStackTrace, limit = E.stackTraceLimit;
    try {
      E.stackTraceLimit = REGISTRAR_FRAMES;
      E.prepareStackTrace = (_e: unknown, frames: CallSite[]) => frames;
      const holder: { stack?: unknown } = {};
      Error.captureStackTrace(holder, above);
      sites = Array.isArray(holder.stack) ? (holder.stack as CallSite[]) : undefined;
    } finally {
      E.prepareStackTrace = prepare;
      E.stackTraceLimit = limit;
    }
  } catch {
    sites = undefined;
  }
  if (!sites || sites.length === 0) {
    unnamedRegistrar = true;
    return;
  }
  for (const site of sites) {
    let name: string | null | undefined;
    try {
      name = site.getScriptNameOrSourceURL();
    } catch {}
    if (!name) {
      unnamedRegistrar = true;
      continue;
    }
    if (name.startsWith("node:")) continue;
    const key = pathOfUrl(name);
    // A bundle registers each of its modules from one script: a few call sites of it are enough
    // (two scripts under one URL are told apart by the profile: `shared` in `attribute`).
    const list = registrars.get(key);
    if (!list) registrars.set(key, [site]);
    else if (list.length < MAX_SITES) list.push(site);
  }
}

/** Whether a script of the profile may hold probes: one seen registering, or any if one had no name. */
function mayHoldProbes(url: string): boolean {
  return unnamedRegistrar || (url !== "" && registrars.has(pathOfUrl(url)));
}

/**
 * The text of the script V8 runs under `url`, from its file, when the file's SHA-256 is the
 * hash V8 gives the script at every registration from it; undefined otherwise (read from V8).
 * Opened without blocking, and only a regular file is read.
 */
function sourceFromFile(url: string): string | undefined {
  const sites = registrars.get(pathOfUrl(url));
  if (!sites) return undefined;
  let hash: string | undefined;
  try {
    for (const site of sites) {
      const h = typeof site.getScriptHash === "function" ? site.getScriptHash() : undefined;
      if (!h || (hash !== undefined && h !== hash)) return undefined;
      hash = h;
    }
    if (hash === undefined) return undefined;
    const fs = require("node:fs") as typeof import("node:fs");
    const fd = fs.openSync(pathOfUrl(url), fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    let text: string;
    try {
      if (!fs.fstatSync(fd).isFile()) return undefined;
      text = fs.readFileSync(fd, "utf8");
    } finally {
      fs.closeSync(fd);
    }
    const { createHash } = require("node:crypto") as typeof import("node:crypto");
    return createHash("sha256").update(text, "utf8").digest("hex") === hash ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Records a file's counters, for the scan to find them by the file its registration names. */
export function noteFile(file: string, stats: FunctionStats[]): void {
  if (!byFile.has(file)) byFile.set(file, stats);
}

/**
 * Folds the samples taken so far into the counters, then profiles on (`restart`) or not. Each
 * fold adds to the times; a run is the sum of its folds.
 */
export function foldV8(restart: boolean): void {
  if (!cpu) return;
  // Memory mode: the fold's objects (the profile, its mapping) are tsprof's, no line's.
  if (memory.on) return asOwnWork(() => fold(restart));
  fold(restart);
}

function fold(restart: boolean): void {
  if (!cpu) return;
  const profile = cpu.stop();
  cpu = restart ? startCpuProfile(intervalUs) : null;
  if (!profile) return;
  // `TSPROF_V8_DUMP=prefix`: each profile as V8 gave it (prefix.<ms>.cpuprofile), to check the mapping by hand.
  if (process.env.TSPROF_V8_DUMP) {
    try {
      require("node:fs").writeFileSync(`${process.env.TSPROF_V8_DUMP}.${Date.now()}.cpuprofile`, JSON.stringify(profile));
    } catch {}
  }
  try {
    attribute(profile);
  } catch {
    // A profile tsprof cannot read costs the run its times, never the program.
  }
}

// ---------------------------------------------------------------------------------------------
// Reading generated scripts.

interface PlannedAt {
  stats: FunctionStats;
  /** Offset of its entry statement in the script. */
  entry: number;
  /** Offset just past its `exit(`. */
  exit: number;
  /** Per slot: the generated text of the slot's lines (for finding calls by name). */
  text: string[];
  /** Callee name → candidate slots (cache). */
  byName: Map<string, number[]>;
  /** Slots whose text makes a call of any kind. */
  callers: number[] | undefined;
}

interface ScriptMap {
  lineStarts: number[];
  /** Per generated line (0-based): index into `fns` of the function it belongs to, or -1. */
  lineFn: Int32Array;
  /** Per generated line: its slot in that function (0: before the first probe). */
  lineSlot: Int32Array;
  /** Per generated line: 1 when it holds only instrumentation. */
  overhead: Uint8Array;
  fns: PlannedAt[];
  /** Lines of the registration functions (0-based): instrumentation, billed to no line. */
  loaderLines: Set<number>;
  /** Named functions' starts in the script (1-based lines). */
  starts: { line: number; name: string; offset: number }[];
  /** Offsets of the scan's events, ascending, and per event the function it opens (-1: a probe or exit). */
  eventAt: number[];
  eventOpens: number[];
}

/** Where a profile's script URL points on disk, for the loader's registry (file URLs and plain paths). */
function pathOfUrl(url: string): string {
  if (!url.startsWith("file://")) return url;
  try {
    return (require("node:url") as typeof import("node:url")).fileURLToPath(url);
  } catch {
    return url;
  }
}

/**
 * Script sources by id: the code `tsprof run`'s loader gave Node (scripts.ts), else the script's
 * file where it is the text V8 runs (`sourceFromFile`; not for a URL the profile gives more than
 * one script: `shared`), and the rest read from V8 through a debugger session opened for the
 * read. Node's own scripts and tsprof's, and those the loader ran uninstrumented, are not read
 * at all.
 */
function readSources(wanted: { id: string; url: string }[], shared: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  const ids: string[] = [];
  for (const { id, url } of wanted) {
    if (url.startsWith("node:") || isOwn(url) || isToolCode(url)) continue;
    const known = url ? loadedScript(pathOfUrl(url)) : undefined;
    if (known === null) continue;
    const text = known ?? (url && !shared.has(url) ? sourceFromFile(url) : undefined);
    if (text !== undefined) out.set(id, text);
    else ids.push(id);
  }
  if (ids.length === 0) return out;
  const session = connectedSession();
  if (!session) return out;
  try {
    session.post("Debugger.enable", {}, () => undefined);
    for (const id of ids) {
      session.post("Debugger.getScriptSource", { scriptId: id }, (err, result) => {
        if (!err && typeof result?.scriptSource === "string") out.set(id, result.scriptSource);
      });
    }
    session.post("Debugger.disable", {}, () => undefined);
  } finally {
    try {
      session.disconnect();
    } catch {}
  }
  return out;
}

const STRING = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`;
const REGISTRATION = new RegExp(String.raw`function\s+([\w$]+)\s*\(\s*\)\s*\{\s*return\s+[\w$.]+\s*\|\|\s*\(\s*[\w$.]+\s*=\s*[\w$.]+\.register\(\s*(${STRING})`, "g");
// Each attempt starts only where a name starts (the lookbehinds): unanchored, each position inside
// a long word retried every shorter prefix of it, quadratic in the word's length (19 s over a 95 KB
// script holding a 2,000-term `a0 + a1 + …`, 1 ms anchored; an inline source map's base64 is one
// word of thousands of characters: 70-215 ms per profiled module of 5 KB, measured on node 20.20).
// A state is a name or a property of the load function (`LOAD.c`).
const ENTRY = /(?<![\w$.])(?:([\w$]+(?:\.[\w$]+)?)\s*=\s*)?(?<![\w$.])([\w$]+)\(\)\[(\d+)\]\.(push|enter)\(/g;
const PROBE_METHODS = "hit|count|cont|iter|mark|turn";
/** Instrumentation statements, for telling lines that hold nothing else. */
const INSTRUMENTATION = new RegExp(String.raw`(?:const\s+[\w$]+\s*=\s*)?[\w$.]+\s*=\s*[\w$]+\(\)\[\d+\]\.(?:push\([\w$.]*\)|enter\(\))|[\w$.]+\.(?:${PROBE_METHODS})\(\d+\)|[\w$.]+\.(?:exit|close)\((?:[\w$]+\s*,\s*)?(?:[\w$.]+\s*=\s*[\w$.]+\.up)?\)|\btry\b|\bfinally\b|[\s{};,]`, "g");
/**
 * The helper a self-calling function's copy returns through (`function ret(v) { const s = LOAD.c;
 * if (s) { LOAD.c = s.up; s.exit(); } return v; }`, emit.ts `retHelper`, in any printer's or minifier's
 * layout): instrumentation, as the registration is.
 */
const RET_HELPER = /function\s+[\w$]+\s*\(\s*[\w$]+\s*\)\s*\{[^{}]{0,200}?\{?[^{}]{0,200}?\.up\b[^{}]{0,120}?\.exit\(\)[^{}]{0,40}\}?[^{}]{0,60}\}/g;

function unquote(literal: string): string | undefined {
  try {
    return literal.startsWith('"') ? (JSON.parse(literal) as string) : (JSON.parse(`"${literal.slice(1, -1).replace(/"/g, '\\"')}"`) as string);
  } catch {
    return undefined;
  }
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/**
 * A script without its trailing inline source map: no code there to map, and it is often most of
 * the script (63% of a compiled module). Lines keep their numbers; the map's line is dropped.
 */
function withoutSourceMap(text: string): string {
  const at = text.lastIndexOf("//# sourceMappingURL=");
  if (at <= 0 || (text.charCodeAt(at - 1) !== 10 && text.charCodeAt(at - 1) !== 13)) return text;
  return /[\r\n]\S/.test(text.slice(at)) ? text : text.slice(0, at);
}

/** The instrumentation of one generated script; null when it has none tsprof can read. */
function scan(script: string): ScriptMap | null {
  const text = withoutSourceMap(script);
  const files = new Map<string, FunctionStats[]>();
  /** Offsets of the registration functions (`function LOAD() { … register(…) }`): instrumentation. */
  const loaders: number[] = [];
  for (const m of text.matchAll(REGISTRATION)) {
    const file = unquote(m[2]);
    const stats = file === undefined ? undefined : byFile.get(file);
    if (stats) files.set(m[1], stats);
    loaders.push(m.index!);
  }
  if (files.size === 0) return null;
  /** [start, end) of each copy-return helper: instrumentation lines. */
  const helpers: [number, number][] = [];
  for (const m of text.matchAll(RET_HELPER)) helpers.push([m.index!, m.index! + m[0].length]);
  type Event = { at: number; end: number; kind: "entry" | "probe" | "exit"; fn?: PlannedAt; slot?: number };
  const events: Event[] = [];
  const states = new Set<string>();
  const fns: PlannedAt[] = [];
  for (const m of text.matchAll(ENTRY)) {
    const stats = files.get(m[2])?.[Number(m[3])];
    if (!stats) continue;
    // The state variable: `C = LOAD()[i].push(C)` (sync) or `const S = LOAD()[i].enter()`.
    if (m[1]) states.add(m[1]);
    const fn: PlannedAt = { stats, entry: m.index!, exit: text.length, text: [], byName: new Map(), callers: undefined };
    fns.push(fn);
    events.push({ at: m.index!, end: m.index! + m[0].length, kind: "entry", fn });
  }
  if (fns.length === 0) return null;
  const names = [...states].map((s) => s.replace(/[$.]/g, "\\$&")).join("|");
  const probe = new RegExp(String.raw`(?<![\w$.])(?:${names})\.(?:(${PROBE_METHODS})\((\d+)\)|exit\(|close\()`, "g");
  for (const m of text.matchAll(probe)) {
    if (m[1]) events.push({ at: m.index!, end: m.index! + m[0].length, kind: "probe", slot: Number(m[2]) });
    else events.push({ at: m.index!, end: m.index! + m[0].length, kind: "exit" });
  }
  events.sort((a, b) => a.at - b.at);

  const lineStarts = lineStartsOf(text);
  const n = lineStarts.length;
  const lineFn = new Int32Array(n).fill(-1);
  const lineSlot = new Int32Array(n);
  const overhead = new Uint8Array(n);
  const fnIndex = new Map(fns.map((f, i) => [f, i]));
  const stack: { fn: PlannedAt; slot: number }[] = [];
  let e = 0;
  for (let line = 0; line < n; line++) {
    const end = line + 1 < n ? lineStarts[line + 1] : text.length;
    let owner = stack.length ? stack[stack.length - 1] : undefined;
    let ownerSlot = owner?.slot ?? 0;
    /** Whether the line's owner was entered on it: its head, whose first probe reads as before. */
    let entered = false;
    for (; e < events.length && events[e].at < end; e++) {
      const ev = events[e];
      const top = stack[stack.length - 1];
      if (ev.kind === "entry" && top && top.fn.stats === ev.fn!.stats) {
        // The entry of a self-calling function's copy, declared inside the function (emit.ts
        // `withCopy`): the same function and lines, its own entry and returns; it closes nothing
        // the scan sees (its returns go through the helper), so it opens nothing either.
        fnIndex.set(ev.fn!, fnIndex.get(top.fn)!);
        ev.fn = top.fn;
        top.slot = 0;
        if (top === owner) ownerSlot = 0;
      } else if (ev.kind === "entry") {
        stack.push({ fn: ev.fn!, slot: 0 });
        owner = stack[stack.length - 1];
        ownerSlot = 0;
        entered = true;
      } else if (ev.kind === "probe") {
        const top = stack[stack.length - 1];
        if (top) {
          top.slot = ev.slot!;
          // A probe with no code after it on its line is the next line's: the printed output
          // laid out on the plain build's lines (relayout.ts) ends a line with the probes of the
          // statement on the line below. This line's code ran before it, under the slot before.
          if (top === owner && (entered || !trailing(text, ev.end, end))) ownerSlot = top.slot;
        }
      } else {
        const top = stack.pop();
        if (top) top.fn.exit = ev.end;
      }
    }
    if (!owner) continue;
    lineFn[line] = fnIndex.get(owner.fn)!;
    lineSlot[line] = ownerSlot;
    const lineText = text.slice(lineStarts[line], end);
    const rest = lineText.replace(INSTRUMENTATION, "");
    if (rest.length === 0 || cheapLoopHeader(lineText, names)) overhead[line] = 1;
    else if (ownerSlot > 0) {
      const code = lineText.replace(new RegExp(String.raw`(?<![\w$.])(?:${names})\.(?:${PROBE_METHODS})\(\d+\)`, "g"), "");
      owner.fn.text[ownerSlot] = (owner.fn.text[ownerSlot] ?? "") + "\n" + code;
    }
  }
  const loaderLines = new Set<number>();
  for (const [from, to] of helpers) for (let l = lineOf(lineStarts, from); l <= lineOf(lineStarts, to - 1); l++) loaderLines.add(l);
  for (const at of loaders) {
    const first = lineOf(lineStarts, at);
    // The function's own lines: its head, the `return … register(…)` line, and a lone `}` after.
    for (let l = first; l < Math.min(n, first + 3); l++) {
      loaderLines.add(l);
      const t = text.slice(lineStarts[l], l + 1 < n ? lineStarts[l + 1] : text.length);
      if (/\}\s*$/.test(t) && l > first) break;
    }
  }
  /** Starts of the script's named functions (`function name(`): who owns a line V8 billed to an inlining caller. */
  const starts: { line: number; name: string; offset: number }[] = [];
  for (const m of text.matchAll(/\bfunction\s*\*?\s*([\w$]+)\s*\(/g)) starts.push({ line: lineOf(lineStarts, m.index!) + 1, name: m[1], offset: m.index! });
  return {
    lineStarts, lineFn, lineSlot, overhead, fns, loaderLines, starts,
    eventAt: events.map((ev) => ev.at),
    eventOpens: events.map((ev) => (ev.kind === "entry" ? fnIndex.get(ev.fn!)! : -1)),
  };
}

/** What may follow a line's last probe without being code: instrumentation, and a `for…of` array check's opening (its operand is on the next line). */
const AFTER_LAST_PROBE = new RegExp(String.raw`${INSTRUMENTATION.source}|[\w$.]+\.arrays\($|//[^\n\r]*|/\*[^]*?\*/`, "g");

/** Whether `text` from `from` to the line's end (`to`) holds no code: the probe before `from` belongs to the next line. */
function trailing(text: string, from: number, to: number): boolean {
  return text.slice(from, to).trimEnd().replace(AFTER_LAST_PROBE, "").length === 0;
}

/**
 * A line holding only a loop header whose test the plan found too cheap to time (its probe is a
 * `count`: variables, literals, arithmetic, `.length`), the body on lines of its own. V8 bills
 * that line with what the optimized loop hoists or checks per iteration, probes' loads included:
 * measured, a header whose unprofiled share was 1% got 27-80% beside a 2 ns body. Its samples are
 * dropped, as exact timing leaves such a test untimed (docs/semantics.md).
 */
function cheapLoopHeader(lineText: string, states: string): boolean {
  const m = /^\s*(?:[\w$]+\s*:\s*)*(?:for|while)\s*\(/.exec(lineText);
  if (!m || !new RegExp(String.raw`(?<![\w$.])(?:${states})\.count\(\d+\)`).test(lineText)) return false;
  let depth = 1, i = m[0].length;
  for (; i < lineText.length && depth > 0; i++) {
    const c = lineText[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === '"' || c === "'" || c === "\x60") return false;
  }
  // After the header: its block's `{`, and in laid-out output the body's first probes.
  return depth === 0 && trailing(lineText, i, lineText.length);
}

// ---------------------------------------------------------------------------------------------
// Attribution.

/** The planned function a profile node runs, if any: the scan's first event after its start opens it. */
function plannedOf(map: ScriptMap, node: CpuProfileNode): number {
  const { lineNumber, columnNumber } = node.callFrame;
  if (lineNumber < 0 || lineNumber >= map.lineStarts.length) return -1;
  const offset = map.lineStarts[lineNumber] + columnNumber;
  let lo = 0, hi = map.eventAt.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (map.eventAt[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= map.eventAt.length || map.eventOpens[lo] < 0) return -1;
  // Not when another function starts in between: the node is a function before the planned one.
  const entry = map.eventAt[lo];
  for (const s of map.starts) if (s.offset > offset && s.offset < entry) return -1;
  return map.eventOpens[lo];
}

const REGEXP_METHODS = ["exec", "test", "match", "matchAll", "replace", "replaceAll", "search", "split"];

const escapeName = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The slots of `fn` that a callee named `name` may have been called from. */
function slotsCalling(fn: PlannedAt, name: string): number[] {
  let slots = fn.byName.get(name);
  if (slots) return slots;
  if (name.startsWith("RegExp: ")) {
    // V8 names a regular expression's compiled matcher by its source: it runs under whichever
    // RegExp method the line calls. Shared among all call lines instead, a tokenizer's matcher
    // went mostly to its Map line (37.7% against 34.0% true, its `exec` line 58.5 against 60.7).
    slots = [...new Set(REGEXP_METHODS.flatMap((m) => slotsCalling(fn, m)))].sort((a, b) => a - b);
    fn.byName.set(name, slots);
    return slots;
  }
  slots = [];
  const bare = /([\w$]+)$/.exec(name.replace(/^(?:get|set) /, ""))?.[1];
  if (bare) {
    const re = new RegExp(String.raw`(?<![\w$])(?:new\s+)?${escapeName(bare)}\s*(?:\?\.\s*)?[(\x60]|\bnew\s+${escapeName(bare)}(?![\w$])`);
    fn.text.forEach((t, slot) => {
      if (t && re.test(t)) slots!.push(slot);
    });
    // A getter or setter is called by reading or writing its property.
    if (slots.length === 0 && /^(?:get|set) /.test(name)) {
      const prop = new RegExp(String.raw`\.${escapeName(bare)}(?![\w$])`);
      fn.text.forEach((t, slot) => {
        if (t && prop.test(t)) slots!.push(slot);
      });
    }
  }
  fn.byName.set(name, slots);
  return slots;
}

const CALL = /[\w$\])]\s*(?:\?\.\s*)?\(|\bnew\s|[\w$]\x60/;
/** Keywords followed by a parenthesis, which call nothing. */
const NOT_CALLS = /\b(?:if|for|while|switch|catch|function|return|typeof|void|await|yield|of|in)\s*\(/g;

/** Slots of `fn` whose text makes any call. */
function callingSlots(fn: PlannedAt): number[] {
  if (fn.callers) return fn.callers;
  const out: number[] = [];
  fn.text.forEach((t, slot) => {
    if (t && CALL.test(t.replace(NOT_CALLS, ""))) out.push(slot);
  });
  return (fn.callers = out);
}

/** Timed segments (`calls`) since the last fold, per function: the weights of ambiguous call lines. */
const lastSegments = new Map<FunctionStats, Float64Array>();
let segments = new Map<FunctionStats, Float64Array>();

function segmentsOf(stats: FunctionStats): Float64Array {
  let d = segments.get(stats);
  if (d) return d;
  const last = lastSegments.get(stats) ?? new Float64Array(stats.calls.length);
  d = stats.calls.map((v, i) => v - last[i]);
  segments.set(stats, d);
  lastSegments.set(stats, Float64Array.from(stats.calls));
  return d;
}

/** Time billed to each slot in this fold by samples that named their line: the weights of shared samples. */
let known = new Map<FunctionStats, Float64Array>();
/** Samples whose line is one of several, shared out once the fold's known times are in. */
let pending: { stats: FunctionStats; slots: number[]; ms: number; samples: number }[] = [];

function add(stats: FunctionStats, slot: number, ms: number, samples: number): void {
  stats.time[slot] += ms;
  stats.nested[slot] += samples;
  let k = known.get(stats);
  if (!k) known.set(stats, (k = new Float64Array(stats.time.length)));
  k[slot] += ms;
}

/**
 * Adds `ms` (and `samples`) to one of `slots`: the one, or split by their timed segments when
 * all are timed lines (one callee called from several lines); else shared out later (`settle`).
 */
function spread(stats: FunctionStats, slots: number[], ms: number, samples: number): void {
  if (slots.length === 0) return;
  if (slots.length === 1) return add(stats, slots[0], ms, samples);
  if (slots.every((s) => stats.timed[s] === 1)) {
    const seg = segmentsOf(stats);
    let total = 0;
    for (const s of slots) total += seg[s];
    if (total > 0) {
      for (const s of slots) add(stats, s, (ms * seg[s]) / total, (samples * seg[s]) / total);
      return;
    }
  }
  pending.push({ stats, slots, ms, samples });
}

/**
 * Shares out the samples whose line was one of several: in proportion to what those lines got
 * from samples that named them (as the fidelity truth does), else to their hits, else evenly.
 */
function settle(): void {
  for (const { stats, slots, ms, samples } of pending) {
    const k = known.get(stats);
    let weights = slots.map((s) => (k ? k[s] : 0));
    if (weights.every((w) => w === 0)) weights = slots.map((s) => stats.hits[s]);
    if (weights.every((w) => w === 0)) weights = slots.map(() => 1);
    const total = weights.reduce((a, b) => a + b, 0);
    slots.forEach((s, i) => {
      stats.time[s] += (ms * weights[i]) / total;
      stats.nested[s] += (samples * weights[i]) / total;
    });
  }
  pending = [];
  known = new Map();
}

interface Callee {
  name: string;
  scriptId: string;
  /** Offset of its start in its script, or -1 when unknown. */
  offset: number;
}

/** Bills `ms` spent in a callee of `fn` (in script `map`) to the line that called it. */
function billCallee(map: ScriptMap, mapId: string, fn: PlannedAt, callee: Callee, ms: number, samples: number): void {
  const stats = fn.stats;
  if (callee.scriptId === mapId && callee.offset > fn.entry && callee.offset < fn.exit) {
    // A closure defined in the function: billed to the line defining it, where it is nearly always called.
    const line = lineOf(map.lineStarts, callee.offset);
    if (map.fns[map.lineFn[line]] === fn && map.lineSlot[line] > 0) return add(stats, map.lineSlot[line], ms, samples);
  }
  let slots = callee.name ? slotsCalling(fn, callee.name) : [];
  if (slots.length === 0) slots = callingSlots(fn);
  if (slots.length === 0) slots = fn.text.map((t, s) => (t !== undefined ? s : -1)).filter((s) => s > 0);
  spread(stats, slots, ms, samples);
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Nodes of tsprof's own code (probe methods not inlined, the clock they read): overhead, billed to no line. */
function isOwn(url: string): boolean {
  return url === PROBES_URL || (RUNTIME_URL !== "" && url.startsWith(RUNTIME_URL));
}
const RUNTIME_URL = (() => {
  try {
    return require("node:url").pathToFileURL(__dirname).href + "/";
  } catch {
    return "";
  }
})();

/** tsprof's own compiled rooms besides the runtime: never instrumented, never read. */
const TOOL_URLS = (() => {
  try {
    const { pathToFileURL } = require("node:url") as typeof import("node:url");
    const path = require("node:path") as typeof import("node:path");
    const dist = path.dirname(__dirname);
    return ["loader", "cli", "report", "transformer", "timeit"].flatMap((room) => {
      const dir = path.join(dist, room) + path.sep;
      return [dir, pathToFileURL(dir).href];
    });
  } catch {
    return [];
  }
})();
const isToolCode = (url: string) => TOOL_URLS.some((p) => url.startsWith(p));

function attribute(profile: CpuProfile): void {
  const { nodes, samples } = profile;
  if (!nodes.length || byFile.size === 0) return;
  segments = new Map();
  pending = [];
  known = new Map();
  const index = new Map<number, number>();
  nodes.forEach((n, i) => index.set(n.id, i));
  // Each sample stands for half the gaps on either side of it, at most MAX_WEIGHT intervals. On a
  // loaded machine V8's sampler thread runs in bursts: by counts, a 20 ms line got 4 samples and a
  // 60 ms one 218 (the burst); weighted by the whole gap after each sample, a line calling an
  // unprofiled recursive function got 63% against 37% for its profiled twin (50/50 true).
  const { timeDeltas } = profile;
  const selfMs = new Float64Array(nodes.length);
  for (let i = 0; i < samples.length; i++) {
    const k = index.get(samples[i]);
    if (k === undefined) continue;
    const before = i > 0 ? timeDeltas[i] : 0, after = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    selfMs[k] += Math.min(Math.max(0, (before + after) / 2), MAX_WEIGHT * intervalUs) / 1000;
  }
  const perTickOf = (k: number) => ((nodes[k].hitCount ?? 0) > 0 ? selfMs[k] / nodes[k].hitCount! : 0);
  // Children before parents (an explicit order: trees can be deep).
  const order: number[] = [];
  const todo = [0];
  while (todo.length) {
    const k = todo.pop()!;
    order.push(k);
    for (const c of nodes[k].children ?? []) {
      const j = index.get(c);
      if (j !== undefined) todo.push(j);
    }
  }
  const postOrder = (own: (k: number) => number): Float64Array => {
    const sum = new Float64Array(nodes.length);
    for (let i = order.length - 1; i >= 0; i--) {
      const k = order[i];
      sum[k] += own(k);
      for (const c of nodes[k].children ?? []) {
        const j = index.get(c);
        if (j !== undefined) sum[k] += sum[j];
      }
    }
    return sum;
  };
  const totalSamples = postOrder((k) => nodes[k].hitCount ?? 0);
  const total = totalSamples;

  // Scripts that may hold instrumented code: those of nodes that sampled anything.
  // Not those that never registered: no probes there (not noted as scanned: they may register later).
  const urls = new Map<string, string>();
  const idsOfUrl = new Map<string, string>();
  const shared = new Set<string>();
  nodes.forEach((n, k) => {
    const { scriptId: id, url } = n.callFrame;
    if (!id || id === "0") return;
    const seen = idsOfUrl.get(url);
    if (seen === undefined) idsOfUrl.set(url, id);
    else if (seen !== id) shared.add(url);
    if (total[k] > 0 && !scanned.has(id) && mayHoldProbes(url)) urls.set(id, url);
  });
  const wanted = [...urls.keys()];
  if (wanted.length) {
    const sources = readSources(wanted.map((id) => ({ id, url: urls.get(id)! })), shared);
    for (const id of wanted) {
      const text = sources.get(id);
      scanned.set(id, text && /\.register\(/.test(text) ? scan(text) : null);
    }
  }

  // Function starts per script, from every node: who owns a line V8 billed to an inlining caller.
  const starts = new Map<string, { line: number; name: string; offset: number }[]>();
  for (const n of nodes) {
    const id = n.callFrame.scriptId;
    if (!id || n.callFrame.lineNumber < 0) continue;
    let list = starts.get(id);
    if (!list) starts.set(id, (list = []));
    const map = scanned.get(id);
    const offset = map ? map.lineStarts[n.callFrame.lineNumber] + n.callFrame.columnNumber : -1;
    list.push({ line: n.callFrame.lineNumber + 1, name: n.callFrame.functionName, offset });
  }
  for (const [id, list] of starts) {
    const map = scanned.get(id);
    if (map) list.push(...map.starts);
    list.sort((a, b) => a.line - b.line);
  }
  const ownerOf = (id: string, line: number) => {
    const list = starts.get(id);
    if (!list) return undefined;
    let found: (typeof list)[number] | undefined;
    for (const s of list) {
      if (s.line > line) break;
      found = s;
    }
    return found;
  };

  // Samples of tsprof's own work (probes, entries and exits, registration, its runtime): billed
  // to no line, nor to the lines calling an instrumented function (its probes are not its work).
  // tsprof's own calls and all they call (registration: the watchdog's start, the profiler's).
  const ownTree = new Uint8Array(nodes.length);
  for (const k of order) {
    const cf = nodes[k].callFrame, m = scanned.get(cf.scriptId);
    if (isOwn(cf.url) || (m && cf.lineNumber >= 0 && m.loaderLines.has(cf.lineNumber))) ownTree[k] = 1;
    if (ownTree[k]) {
      for (const c of nodes[k].children ?? []) {
        const j = index.get(c);
        if (j !== undefined) ownTree[j] = 1;
      }
    }
  }
  const overSelf = (k: number): number => {
    const node = nodes[k];
    if (ownTree[k]) return node.hitCount ?? 0;
    const map = scanned.get(node.callFrame.scriptId);
    let n = 0;
    const at = map ? plannedOf(map, node) : -1;
    const entryLine = map && at >= 0 ? lineOf(map.lineStarts, map.fns[at].entry) : -1;
    for (const { line, ticks } of node.positionTicks ?? []) {
      if (line > PROBE_LINE_OFFSET) n += ticks;
      else if (map) {
        const l = line - 1;
        if (map.loaderLines.has(l)) n += ticks;
        // From the function's head to its entry probe: instrumentation, but for the head line
        // itself, also where the entry is on it (laid-out output; a self-calling function's
        // one-line copy, whose whole body is there). That is the prologue (frame, stack check,
        // arguments), which an unprofiled function pays as much: measured on a profiled `fib`
        // beside its plain copy, 160 samples on its head line against 155, half of either's
        // samples. Dropped, a line calling the profiled copy showed 32% against 50% true; with
        // the copy's body dropped too, 4% (laid-out output).
        else if (at >= 0 && l > node.callFrame.lineNumber && l <= entryLine) n += ticks;
        else if (l >= 0 && l < map.lineFn.length && map.lineFn[l] >= 0 && l >= lineOf(map.lineStarts, map.fns[map.lineFn[l]].entry)
          && (map.overhead[l] || map.lineSlot[l] === 0)) n += ticks;
      }
    }
    return n;
  };
  const overTotal = postOrder(overSelf);
  const workMs = postOrder((k) => selfMs[k] - overSelf(k) * perTickOf(k));

  for (let k = 0; k < nodes.length; k++) {
    const node = nodes[k];
    const id = node.callFrame.scriptId;
    const map = scanned.get(id);
    if (!map || total[k] === 0) continue;
    const at = plannedOf(map, node);
    if (at < 0) continue;
    const fn = map.fns[at];
    const perTick = perTickOf(k);
    const entryLine = lineOf(map.lineStarts, fn.entry);
    for (const { line, ticks } of node.positionTicks ?? []) {
      // The probes' own code, and the function's head (its prologue, before any line runs).
      if (line > PROBE_LINE_OFFSET || (line - 1 >= node.callFrame.lineNumber && line - 1 <= entryLine) || map.loaderLines.has(line - 1)) continue;
      const ms = perTick * ticks;
      const l = line - 1;
      const owner = l >= 0 && l < map.lineFn.length ? map.lineFn[l] : -1;
      if (owner === at) {
        if (map.overhead[l] || map.lineSlot[l] === 0) continue;
        add(fn.stats, map.lineSlot[l], ms, ticks);
      } else if (owner >= 0 && l >= lineOf(map.lineStarts, map.fns[owner].entry)) {
        // An instrumented function of the same script, inlined here: its own line, and the calling line's.
        const inner = map.fns[owner];
        // Its instrumentation (entry, probes, exit) is overhead there too.
        if (map.overhead[l] || map.lineSlot[l] === 0) continue;
        add(inner.stats, map.lineSlot[l], ms, ticks);
        billCallee(map, id, fn, { name: inner.stats.name, scriptId: id, offset: inner.entry }, ms, ticks);
      } else {
        // Another function's line: V8 inlined it and billed its code to this node.
        const o = ownerOf(id, line);
        billCallee(map, id, fn, { name: o?.name ?? "", scriptId: id, offset: o?.offset ?? -1 }, ms, ticks);
      }
    }
    for (const c of node.children ?? []) {
      const j = index.get(c);
      if (j === undefined || total[j] === 0) continue;
      const cf = nodes[j].callFrame;
      if (ownTree[j]) continue;
      const cmap = scanned.get(cf.scriptId);
      const offset = cmap && cf.lineNumber >= 0 ? cmap.lineStarts[cf.lineNumber] + cf.columnNumber : -1;
      const work = totalSamples[j] - overTotal[j];
      if (work > 0 && workMs[j] > 0) billCallee(map, id, fn, { name: cf.functionName, scriptId: cf.scriptId, offset }, workMs[j], work);
    }
  }
  settle();
}
