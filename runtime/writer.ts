import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import { threadId } from "node:worker_threads";
import { threadCalibration, type Calibration } from "./calibrate";
import { LPROF_FORMAT, LPROF_VERSION, type LprofColumn, type LprofFile, type LprofFunction, type LprofLine, type LprofRun } from "./lprof";
import type { Session } from "./session";
import { chunks, CHUNK, type SampleChunk } from "./sampler";
import { memory } from "./memory";
import { foldV8 } from "./v8-lines";
import { watchdogCalibration } from "./watchdog";
import type { FunctionStats } from "./stats";

const MS_TO_NS = 1e6;
let calibration: Calibration | undefined;

const EXACT_COLUMNS: LprofColumn[] = ["line", "hits", "time", "wait", "nested", "calls"];
const SAMPLED_COLUMNS: LprofColumn[] = ["line", "hits", "time", "wait", "samples"];
const MEMORY_COLUMNS: LprofColumn[] = ["memory", "allocated"];

/**
 * What a snapshot reads besides the session: this thread's by default; the watchdog thread
 * (watchdog.ts), which writes the main thread's profile from shared counters, passes the main
 * thread's.
 */
export interface SnapshotSource {
  threadId: number;
  argv: string[];
  chunks: readonly SampleChunk[];
  memoryOn: boolean;
}

const own = (): SnapshotSource => ({ threadId, argv: process.argv.slice(), chunks, memoryOn: memory.on });

/** The counters a snapshot reads: a thread's `FunctionStats`, or the watchdog's shared view of them. */
export type StatsView = Pick<FunctionStats, "file" | "name" | "firstLine" | "lines" | "source" | "kind" | "mode" | "base" | "memory"
  | "hits" | "time" | "wait" | "nested" | "calls" | "memMax" | "allocated"> & { light?: Uint8Array; json?: string };

/** Hits a light line needs before its time per clock read is taken as the probe's cost in situ. */
const IN_SITU_HITS = 1000;

/**
 * Exact mode: the probe's cost as the function paid it, in ms per clock read, from its lines that
 * cost a few nanoseconds at most (`light`: no call, no allocation), whose time is then nearly all
 * probe: per such line with enough hits, [ms per clock read, clock reads].
 * A line far below the calibrated cost only counts (a loop test that reads no clock) and is left
 * out. The calibration loop measures a probe warm, inlined and on a quiet core; in real
 * functions V8 inlines only some probes (its inlining budget), and under load every probe is
 * preempted now and then, so the probe costs more there: 2-5x, measured (docs/calibration.md).
 */
export function inSituCosts(f: StatsView, calibrated: number): [number, number][] {
  const costs: [number, number][] = [];
  if (!f.light || f.mode !== "exact") return costs;
  for (let slot = 1; slot < f.lines.length; slot++) {
    if (f.light[slot] !== 1 || f.hits[slot] < IN_SITU_HITS) continue;
    const reads = f.hits[slot] + f.nested[slot];
    const cost = f.time[slot] / reads;
    if (cost >= 0.5 * calibrated) costs.push([cost, reads]);
  }
  return costs;
}

/** The weighted median of `[value, weight]` pairs; undefined for none. */
export function weightedMedian(pairs: [number, number][]): number | undefined {
  if (pairs.length === 0) return undefined;
  const costs = pairs.slice().sort((a, b) => a[0] - b[0]);
  const half = costs.reduce((a, c) => a + c[1], 0) / 2;
  let seen = 0;
  for (const [cost, w] of costs) if ((seen += w) >= half) return cost;
  return costs[costs.length - 1][0];
}

/**
 * Exact mode: each function's probe cost in the file's unit (`LprofFunction.probe`), by index;
 * undefined where no function of the thread had enough light hits. A function without light
 * lines of its own pays what the thread's other functions pay. Only functions with a light line
 * are looked at (`light` is all zeros otherwise), and no array is made for the others: at exit
 * this runs once, interpreted, over every function.
 */
function probeCosts(fns: readonly StatsView[], calibrated: number): (number | undefined)[] {
  const own: (number | undefined)[] = [];
  const all: [number, number][] = [];
  for (let i = 0; i < fns.length; i++) {
    const f = fns[i];
    if (!f.light || f.mode !== "exact" || !f.light.includes(1)) continue;
    const c = inSituCosts(f, calibrated);
    if (c.length === 0) continue;
    own[i] = weightedMedian(c);
    for (const pair of c) all.push(pair);
  }
  const thread = weightedMedian(all);
  if (thread === undefined) return [];
  const round = (probe: number) => Math.round(probe * MS_TO_NS * 100) / 100;
  const threadRounded = round(thread);
  const probes: (number | undefined)[] = [];
  for (let i = 0; i < fns.length; i++) probes.push(own[i] === undefined ? threadRounded : round(own[i]!));
  return probes;
}

/** A line's row: exact counters, or (sampled mode) the sampler's time and ticks for its global slot. */
function rowOf(f: StatsView, slot: number, chunks: readonly SampleChunk[]): LprofLine | undefined {
  const hits = f.hits[slot], wait = Math.round(f.wait[slot] * MS_TO_NS);
  let row: LprofLine;
  if (f.mode === "v8") {
    const time = Math.round(f.time[slot] * MS_TO_NS), samples = Math.round(f.nested[slot]);
    if (!(hits || time || wait)) return undefined;
    row = [f.lines[slot], hits, time, wait, samples];
  } else if (f.mode === "sampled") {
    const g = f.base + slot;
    const chunk = chunks[Math.floor(g / CHUNK)];
    const samples = chunk ? chunk.samples[g % CHUNK] : 0;
    const time = chunk ? Math.round(chunk.time[g % CHUNK] * MS_TO_NS) : 0;
    if (!(hits || time || wait)) return undefined;
    row = [f.lines[slot], hits, time, wait, samples];
  } else {
    const time = Math.round(f.time[slot] * MS_TO_NS);
    if (!(hits || time || wait)) return undefined;
    row = [f.lines[slot], hits, time, wait, f.nested[slot], f.calls[slot]];
  }
  // Memory mode's cells: most memory in use after the line, bytes it allocated.
  // (Never below 0, which the format forbids: stats.ts keeps a line's count from going under it.)
  if (f.memory) row.push(f.memMax[slot], Math.max(0, Math.round(f.allocated[slot])));
  return row;
}

function linesOf(f: StatsView, chunks: readonly SampleChunk[]): LprofLine[] {
  const out: LprofLine[] = [];
  const n = f.lines.length;
  if (!f.memory && (f.mode === "v8" || f.mode === "exact")) {
    // `rowOf`'s rows for the two timings without memory, in one loop over the counters held in
    // locals: at exit this code runs once, mostly unoptimized, where every property read costs.
    const { lines, hits, time, wait, nested } = f;
    if (f.mode === "v8") {
      for (let slot = 1; slot < n; slot++) {
        const h = hits[slot], t = Math.round(time[slot] * MS_TO_NS), w = Math.round(wait[slot] * MS_TO_NS);
        if (h || t || w) out.push([lines[slot], h, t, w, Math.round(nested[slot])]);
      }
    } else {
      const calls = f.calls;
      for (let slot = 1; slot < n; slot++) {
        const h = hits[slot], t = Math.round(time[slot] * MS_TO_NS), w = Math.round(wait[slot] * MS_TO_NS);
        if (h || t || w) out.push([lines[slot], h, t, w, nested[slot], calls[slot]]);
      }
    }
  } else {
    for (let slot = 1; slot < n; slot++) {
      const row = rowOf(f, slot, chunks);
      if (row) out.push(row);
    }
  }
  // Slots follow the source almost always: sorting is then a check.
  for (let i = 1; i < out.length; i++) if (out[i][0] < out[i - 1][0]) return out.sort((a, b) => a[0] - b[0]);
  return out;
}

/** What a snapshot reads of the session. */
export type SnapshotSession = Pick<Session, "id" | "mode" | "rate" | "startWall" | "cwd" | "part"> & { functions: readonly StatsView[] };

/** A run's fields but its functions, and each function's probe cost (exact mode). */
function runHead(s: SnapshotSession, complete: boolean, from: SnapshotSource, at?: number): { head: Omit<LprofRun, "functions">; probes: (number | undefined)[] } {
  const sampled = s.mode === "sampled" || s.mode === "v8";
  // This thread's V8 profile so far, into the counters (the watchdog writes what was folded).
  if (s.mode === "v8" && from.threadId === threadId) foldV8(!complete);
  // Sampled times carry no probe cost to remove: the probes never read the clock.
  if (!sampled) calibration ??= threadCalibration(watchdogCalibration);
  const now = at ?? performance.now();
  const probes = sampled || !calibration ? [] : probeCosts(s.functions, calibration.probe);
  const head: Omit<LprofRun, "functions"> = {
    id: `${process.pid}-${from.threadId}-${Math.round(s.startWall)}${s.part ? `-${s.part}` : ""}`,
    session: s.id,
    pid: process.pid,
    threadId: from.threadId,
    argv: from.argv,
    cwd: s.cwd,
    node: process.version,
    start: new Date(s.startWall).toISOString(),
    end: new Date(s.startWall + now).toISOString(),
    duration: now / 1000,
    mode: s.mode === "v8" ? "v8" : sampled ? "sampled" : "exact",
    ...(sampled ? { rate: s.rate } : {}),
    columns: [...(sampled ? SAMPLED_COLUMNS : EXACT_COLUMNS), ...(from.memoryOn ? MEMORY_COLUMNS : [])],
    complete,
    calibration: sampled || !calibration ? { probe: 0, call: 0 } : {
      probe: Math.round(calibration.probe * MS_TO_NS * 100) / 100,
      call: Math.round(calibration.call * MS_TO_NS * 100) / 100,
    },
  };
  return { head, probes };
}

function functionOf(f: StatsView, chunks: readonly SampleChunk[], probe: number | undefined, copy: boolean): LprofFunction {
  return {
    file: f.file,
    name: f.name,
    line: f.firstLine,
    kind: f.kind,
    source: copy ? f.source.slice() : (f.source as string[]),
    lines: linesOf(f, chunks),
    ...(probe === undefined ? {} : { probe }),
  };
}

/**
 * This thread's profile so far, as one run of the file. `at`: the clock of the snapshot
 * (`performance.now()`, the default).
 */
export function snapshotRun(s: SnapshotSession, complete: boolean, from: SnapshotSource = own(), at?: number): LprofRun {
  const { head, probes } = runHead(s, complete, from, at);
  return { ...head, functions: s.functions.map((f, i) => functionOf(f, from.chunks, probes[i], true)) };
}

/**
 * Functions serialized per `JSON.stringify` call at exit: their objects and rows are built, turned
 * into text and dropped a chunk at a time, so the young generation never holds the whole run
 * (measured on 12,752 functions: docs/lprof-format.md, "Writing fast").
 */
export const SERIALIZE_CHUNK = 1024;

/**
 * Where a function's lines go in `cacheStaticJson`'s text. Inside a JSON string every `"` is
 * escaped, so this occurs only where `JSON.stringify` wrote the key: source lines holding the
 * same characters cannot be split.
 */
const LINES_MARK = ',"lines":0}';
/** Between two functions' rows in one `JSON.stringify`: rows hold only numbers, never a string. */
const ROWS_MARK = ',"",';

// Captured at load: registration runs in the program's time, after its code may have replaced
// them (the exit's write runs with the built-ins as they were at load: pristine.ts).
const { apply } = Reflect;
const { stringify } = JSON;
const { split, slice } = String.prototype;

/**
 * Makes the unchanging part of each function's JSON (`{"file":…,"source":[…]`: all but its lines
 * and probe cost) once, when its module registers, with one `JSON.stringify` for the module; the
 * exit's write then serializes the counters only. A program's `toJSON` on every object or array
 * would be in that text: then nothing is made, and the exit serializes all.
 */
export function cacheStaticJson(stats: FunctionStats[]): void {
  if ("toJSON" in Object.prototype || "toJSON" in Array.prototype) return;
  try {
    const objects: object[] = [];
    for (let i = 0; i < stats.length; i++) {
      const f = stats[i];
      objects[i] = { file: f.file, name: f.name, line: f.firstLine, kind: f.kind, source: f.source, lines: 0 };
    }
    const pieces = apply(split, apply(stringify, JSON, [objects]), [LINES_MARK]) as string[];
    if (pieces.length !== stats.length + 1) return;
    // Each piece starts with the `[` or `,` before its object.
    for (let i = 0; i < stats.length; i++) stats[i].json = apply(slice, pieces[i], [1]) as string;
  } catch {
    // Whatever the program made of the built-ins, registration goes on; the exit serializes all.
  }
}

/** A run already turned into JSON text, in pieces (written one after another). */
export class SerializedRun {
  constructor(readonly id: string, readonly session: string, readonly end: string, readonly text: string[]) {}
}

/** Functions `a` to `b` as the JSON of their objects, each after a `,` (the first after `lead`). */
function chunkText(fns: readonly StatsView[], a: number, b: number, chunks: readonly SampleChunk[], probes: (number | undefined)[], lead: string): string {
  let cached = 0;
  for (let i = a; i < b; i++) if (fns[i].json !== undefined) cached++;
  if (cached === 0) {
    const list: LprofFunction[] = [];
    for (let i = a; i < b; i++) list.push(functionOf(fns[i], chunks, probes[i], false));
    return lead + JSON.stringify(list).slice(1, -1);
  }
  if (cached < b - a) {
    // Some with their cached part, some without (the watchdog thread is given the cached part
    // instead of the sources: watchdog.ts `share`): each function's text on its own, the same
    // text as in one array.
    const parts: string[] = [lead];
    for (let i = a; i < b; i++) {
      const f = fns[i], probe = probes[i];
      if (i > a) parts.push(",");
      if (f.json === undefined) parts.push(JSON.stringify(functionOf(f, chunks, probe, false)));
      else parts.push(f.json, ',"lines":', JSON.stringify(linesOf(f, chunks)), probe === undefined ? "}" : `,"probe":${JSON.stringify(probe)}}`);
    }
    return parts.join("");
  }
  // The rows of all the chunk's functions in one call, split back per function.
  const rows: (LprofLine[] | string)[] = [];
  for (let i = a; i < b; i++) {
    if (i > a) rows.push("");
    rows.push(linesOf(fns[i], chunks));
  }
  const rowTexts = JSON.stringify(rows).slice(1, -1).split(ROWS_MARK);
  const parts: string[] = [];
  for (let i = a; i < b; i++) {
    const probe = probes[i];
    parts.push(i === a ? lead : ",", fns[i].json!, ',"lines":', rowTexts[i - a], probe === undefined ? "}" : `,"probe":${JSON.stringify(probe)}}`);
  }
  return parts.join("");
}

/**
 * This thread's profile so far, as the JSON text of one run: the text `JSON.stringify` makes of
 * `snapshotRun`'s run, byte for byte, with less work at the time (no object of the whole run; the
 * functions' names and sources serialized at registration).
 */
export function serializeRun(s: SnapshotSession, complete: boolean, from: SnapshotSource = own(), at?: number): SerializedRun {
  const { head, probes } = runHead(s, complete, from, at);
  const fns = s.functions;
  const headText = JSON.stringify({ ...head, functions: [] });
  // Ends `,"functions":[]}`: the functions' array follows `"functions":`.
  const text = [headText.slice(0, -3)];
  for (let a = 0; a < fns.length; a += SERIALIZE_CHUNK) {
    text.push(chunkText(fns, a, Math.min(fns.length, a + SERIALIZE_CHUNK), from.chunks, probes, a === 0 ? "[" : ","));
  }
  text.push(fns.length === 0 ? "[]}" : "]}");
  return new SerializedRun(head.id, head.session, head.end, text);
}

/** Largest existing profile merged into: about the most one JavaScript string holds. */
const MAX_EXISTING = 1 << 29;

function kindOf(st: fs.Stats | fs.BigIntStats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a regular file";
}

/** An output path that is not a file tsprof may replace. */
export class NotAFileError extends Error {
  constructor(file: string, kind: string) {
    super(`${file} is ${kind}, not a profile file`);
  }
}

/**
 * The text of `file` if it is a regular file, `undefined` if there is none (or its modification
 * time says it was last written before `notBefore`, ms since the epoch, clock slack allowed: a
 * file tsprof replaces unread). Opened without blocking and checked before reading: a named pipe
 * at the output path would otherwise hang the process at exit (in `open`, where no signal can end
 * it), a device would be read forever.
 */
export function readRegularFile(file: string, maxBytes = MAX_EXISTING, notBefore = -Infinity): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "EISDIR") throw new NotAFileError(file, "a directory");
    throw e;
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new NotAFileError(file, kindOf(st));
    if (st.size > BigInt(maxBytes) || writtenBefore(st.mtimeNs, notBefore)) return undefined;
    const buf = Buffer.alloc(Number(st.size));
    let got = 0;
    for (let n; got < buf.length && (n = fs.readSync(fd, buf, got, buf.length - got, got)) > 0;) got += n;
    return buf.toString("utf8", 0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A name no one can have planted: 64 random bits, from the kernel's generator (`/dev/urandom`,
 * 0.1-0.4 ms), else from `node:crypto`, which a process without it loads at its first write
 * (2.7 ms on node 20, 5.7-7 ms on node 24, measured: docs/lprof-format.md).
 */
function randomName(): string {
  const buf = Buffer.alloc(8);
  try {
    const fd = fs.openSync("/dev/urandom", fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    try {
      if (fs.fstatSync(fd).isCharacterDevice() && fs.readSync(fd, buf, 0, 8, null) === 8) return buf.toString("hex");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // No such device (Windows): the crypto module's generator.
  }
  const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
  return randomBytes(8).toString("hex");
}

/**
 * Replaces `file` with `text` atomically: a new temporary file in the same directory, created
 * exclusively (`O_CREAT | O_EXCL`, which never follows a symlink, under a random name, so no
 * other user can make us write through a link they planted), then renamed over `file`. The
 * temporary file is removed whatever fails (full disk, a directory in the way).
 */
export function replaceFile(file: string, text: string | readonly string[]): void {
  const tmp = `${file}.${randomName()}.tmp`;
  let fd: number | undefined = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o666);
  try {
    // Each string goes to the file without a copy in a Buffer first (17 ms of a 10 MB profile's
    // write), and without joining the pieces first; should the kernel take only part of one, the
    // rest follows from a Buffer.
    for (const piece of typeof text === "string" ? [text] : text) {
      const wrote = fs.writeSync(fd, piece);
      if (wrote !== Buffer.byteLength(piece)) {
        const buf = Buffer.from(piece, "utf8");
        for (let off = wrote; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off);
      }
    }
    fs.closeSync(fd);
    fd = undefined;
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st && !st.isFile()) throw new NotAFileError(file, kindOf(st));
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Slack between a session id's start and our own clock (the id's start is rounded to the ms). */
const MTIME_SLACK_MS = 1000;

/**
 * Slack between a file's modification time and our clock, where the file system keeps times
 * finer than a millisecond (ext4, xfs, btrfs, tmpfs, APFS, NTFS): the time comes from the
 * kernel's coarse clock, up to a tick behind the one JavaScript reads (1-10 ms on Linux, 15.6 ms
 * on Windows), and a session's start is rounded to the millisecond. 50 ms is three ticks at the
 * coarsest. A previous run's profile is written, then its process exits and the next one starts:
 * more than 50 ms apart in practice (200 ms and more in `npm run bench:view`), so it is replaced
 * unread.
 */
const FINE_MTIME_SLACK_MS = 50;
/** The same, where times are whole seconds or ms (HFS+, ext3; FAT's are 2 s apart), truncated. */
const COARSE_MTIME_SLACK_MS = 3000;

/** Whether a modification time (ns since the epoch) says the file was written before `notBefore` (ms). */
function writtenBefore(mtimeNs: bigint, notBefore: number): boolean {
  if (notBefore === -Infinity) return false;
  const fine = mtimeNs % 1_000_000n !== 0n;
  return Number(mtimeNs) / 1e6 < notBefore - (fine ? FINE_MTIME_SLACK_MS : COARSE_MTIME_SLACK_MS);
}

/**
 * When this session began, ms since the epoch, from its id (`pid-startMillis`, as the runtime and
 * `tsprof run` make it); `undefined` when the id says nothing trustworthy (set by hand, or a
 * start after our own).
 */
export function sessionStart(session: string, startWall: number): number | undefined {
  const m = /^\d+-(\d+)$/.exec(session);
  const t = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(t) && t <= startWall + MTIME_SLACK_MS ? t : undefined;
}

/**
 * Runs already in the file that belong with ours: the same session (this process tree: children
 * and workers inherit `TSPROF_SESSION`), or any other process still running when we started
 * (parallel runs). Runs that ended before we started are a previous execution's and are
 * replaced, as kernprof replaces its output.
 *
 * A file last modified before this session (and this process) began holds neither kind: every
 * run of the session, and every run still going when we started, was written after that. Such
 * a file, a previous execution's profile, is replaced without being read (a 10 MB profile cost
 * 100 ms to read and parse). A file time finer than a millisecond is given 50 ms of slack for
 * the kernel's coarse clock, a coarser one 3 s (`writtenBefore`). A sibling's or child's run
 * written since is in a newer file, and is read and kept. A session id that carries no start time (set by hand) always has the file read.
 */
function runsToKeep(file: string, run: Pick<LprofRun, "id" | "session">, startWall: number): LprofRun[] {
  let existing: LprofFile;
  const since = sessionStart(run.session, startWall);
  const text = readRegularFile(file, MAX_EXISTING, since === undefined ? -Infinity : Math.min(since, startWall));
  if (text === undefined) return [];
  try {
    existing = JSON.parse(text) as LprofFile;
  } catch {
    return [];
  }
  if (!existing || existing.format !== LPROF_FORMAT || existing.version !== LPROF_VERSION || !Array.isArray(existing.runs)) return [];
  return existing.runs.filter((r) => r && r.id !== run.id && (r.session === run.session || Date.parse(r.end) >= startWall));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

/** A lock older than this is abandoned, whoever holds it (a writer holds it for milliseconds). */
const STALE_AGE_MS = 10_000;
/** Longest wait for a live writer's lock; then we write without it (our data matters more). */
const LOCK_WAIT_MS = 15_000;

type LockState = "held" | "stale" | "gone" | "foreign";

/** What is at `lock`: a live writer's lock, an abandoned one, nothing, or something that is no lock file. */
function lockState(lock: string): LockState {
  let fd: number;
  try {
    fd = fs.openSync(lock, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "gone";
    return code === "EISDIR" || code === "ELOOP" || code === "EMLINK" ? "foreign" : "held";
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return "foreign";
    if (Date.now() - st.mtimeMs > STALE_AGE_MS) return "stale";
    const buf = Buffer.alloc(32);
    const pid = Number(buf.toString("utf8", 0, fs.readSync(fd, buf, 0, 32, 0)));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return "held";
    try {
      process.kill(pid, 0);
      return "held";
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "ESRCH" ? "stale" : "held";
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Removes an abandoned lock, safely against other writers doing the same: only under a second
 * lock (`<lock>.break`), and only if the lock is still abandoned once that is held. Without it,
 * two writers could both judge a dead writer's lock stale, and the second remove the fresh lock
 * the first had just taken, letting a third in beside it (measured: eight racing threads lost a
 * run in 1 of 300 rounds).
 */
export function breakStaleLock(lock: string): void {
  const guard = `${lock}.break`;
  try {
    fs.writeFileSync(guard, String(process.pid), { flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") return;
    // A breaker that died holding the guard (it holds it for microseconds).
    const st = fs.lstatSync(guard, { throwIfNoEntry: false });
    if (st && st.isFile() && Date.now() - st.mtimeMs > STALE_AGE_MS) fs.rmSync(guard, { force: true });
    return;
  }
  try {
    if (lockState(lock) === "stale") fs.rmSync(lock, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Runs `fn` holding `<file>.lock`, so concurrent writers merge instead of overwriting each other. */
export function withLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      // `wx` is O_CREAT | O_EXCL: a planted symlink is never followed.
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const state = lockState(lock);
      if (state === "foreign") {
        process.stderr.write(`tsprof: ${lock} is not a lock file; writing the profile without locking (remove it so parallel runs merge safely)\n`);
        return fn();
      }
      if (state === "stale") breakStaleLock(lock);
      else if (Date.now() > deadline) {
        process.stderr.write(`tsprof: ${lock} has been held for ${LOCK_WAIT_MS / 1000} s; writing the profile without it\n`);
        return fn();
      } else if (state === "held") sleep(5);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Writes (merging, atomically: temp file + rename) this thread's run into `file`. `stillWanted`,
 * asked once the lock is held, can call the write off (the watchdog's, once the exit's final
 * write has begun).
 */
export function writeRun(file: string, run: LprofRun | SerializedRun, startWall: number, stillWanted?: () => boolean): void {
  // Refused before the lock is taken: nothing would be written anyway.
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (st && !st.isFile()) throw new NotAFileError(file, kindOf(st));
  withLock(file, () => {
    if (stillWanted && !stillWanted()) return;
    // What `JSON.stringify` of the whole file gives, byte for byte: `{"format":…,"runs":[…]}`.
    const kept = runsToKeep(file, run, startWall);
    const text = [`${JSON.stringify({ format: LPROF_FORMAT, version: LPROF_VERSION, unit: 1e-9 }).slice(0, -1)},"runs":[`];
    for (const r of kept) text.push(JSON.stringify(r), ",");
    if (run instanceof SerializedRun) text.push(...run.text);
    else text.push(JSON.stringify(run));
    text.push("]}");
    replaceFile(file, text);
  });
}
