import { constants as bufferConstants } from "node:buffer";
import * as fs from "node:fs";
import { jsonErrorOffset } from "./json-error";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile, type LprofFunction, type LprofRun } from "../runtime/lprof";

/** A file the CLI cannot use; the message names the file, the problem and the fix. */
export class LprofError extends Error {}

const MISSING_HINT =
  "run the program built with the tsprof plugin first (tspc on TypeScript 6; TypeScript 7's tsc ignores compiler plugins), or use `tsprof run`";

/**
 * Largest file read: what one JavaScript string can hold (about 512 MiB on 64-bit Node), which
 * `JSON.parse` needs anyway. A bigger "profile" is refused before a byte of it is read.
 */
export const MAX_LPROF_BYTES = Math.min(bufferConstants.MAX_STRING_LENGTH, 1 << 30);

/** Reads and validates a `.lprof` file. Parses JSON only: reading never evaluates code. */
export function readLprof(file: string): LprofFile {
  return parseLprof(file, readProfileBytes(file));
}

/**
 * The bytes of a profile file, refused with one line when it is missing, not a regular file
 * (a FIFO or a device would hang or never end) or too large to be a profile.
 */
export function readProfileBytes(file: string, kind = ".lprof", missingHint = MISSING_HINT): Buffer {
  let raw: Buffer;
  let fd: number | undefined;
  try {
    // Non-blocking open: a FIFO (or a device) must not hang `view` before it can be refused.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
    if (!st.isFile()) {
      throw new LprofError(`tsprof: ${file} is not a regular file (${kindOf(st)}); pass a ${kind} file`);
    }
    if (st.size > MAX_LPROF_BYTES) {
      throw new LprofError(`tsprof: ${file} is too large to be a profile (${st.size} bytes; at most ${MAX_LPROF_BYTES}); pass a ${kind} file`);
    }
    raw = Buffer.alloc(st.size);
    let got = 0;
    while (got < raw.length) {
      const n = fs.readSync(fd, raw, got, raw.length - got, got);
      if (n === 0) break;
      got += n;
    }
    raw = raw.subarray(0, got);
  } catch (e) {
    if (e instanceof LprofError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new LprofError(`tsprof: ${file}: no such file; ${missingHint}`);
    if (code === "EISDIR") throw new LprofError(`tsprof: ${file} is a directory; pass the ${kind} file inside it`);
    throw new LprofError(`tsprof: ${file}: cannot read (${code}); check the path and its permissions`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return raw;
}

/** Validates the bytes of a `.lprof` file (JSON, parsed, never evaluated). */
export function parseLprof(file: string, raw: Buffer): LprofFile {
  if (raw.length === 0) {
    throw new LprofError(`tsprof: ${file} is empty; the program may still be running, or was killed before it could write`);
  }
  if (raw[0] === 0x80) {
    throw new LprofError(`tsprof: ${file} looks like a Python line_profiler pickle, not a tsprof profile; view it with python -m line_profiler`);
  }
  let data: unknown;
  const text = raw.toString("utf8");
  try {
    data = JSON.parse(text);
  } catch {
    throw new LprofError(`tsprof: ${file} is not a tsprof profile (${describeJsonError(text)}); re-run the program or pass another file`);
  }
  // JSON strings hold a control character only as an escape (`\n`, `\u001b`): when the text has
  // no unsafe character and no escape but `\t`, source lines (where tabs are kept) need no pass,
  // only names do (saves a regular expression per source line: 160,000 on a 10 MB profile).
  return escapeNames(validate(file, data), MAY_HOLD_UNSAFE.test(text));
}

function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return "a named pipe";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}

/**
 * Characters a terminal would act on rather than show: C0 and C1 controls (escape sequences
 * start with ESC or CSI), DEL, and the invisible bidirectional and zero-width marks that can make
 * a line read as something else. A foreign file's names and source lines are shown with these
 * written out (`\x1b`, `\u202e`), so printing a report never drives the terminal. Tabs in source
 * lines are kept: they are the program's indentation.
 */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const UNSAFE_OR_TAB = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** What a JSON text holds when one of its strings may hold an unsafe character other than a tab. */
const MAY_HOLD_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|\\[bfnru]/;

const escapeChar = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
};

/** `text` with every character a terminal would act on written out. */
export function escapeControls(text: string, keepTabs = false): string {
  return text.replace(keepTabs ? UNSAFE : UNSAFE_OR_TAB, escapeChar);
}

function escapeNames(data: LprofFile, sources = true): LprofFile {
  for (const run of data.runs) {
    for (const fn of run.functions) {
      fn.file = escapeControls(fn.file);
      fn.name = escapeControls(fn.name);
      if (typeof fn.kind === "string") fn.kind = escapeControls(fn.kind);
      if (sources) fn.source = fn.source.map((l) => escapeControls(l, true));
    }
  }
  return data;
}

function describeJsonError(text: string): string {
  const at = jsonErrorOffset(text);
  if (at >= text.length) return `truncated JSON at byte ${Buffer.byteLength(text)}`;
  return `invalid JSON at byte ${Buffer.byteLength(text.slice(0, at))}`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
/** A count: hits, samples, clock reads, calls, bytes. Exact only below 2^53. */
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Ranges a real profile stays within, by far; anything outside is damage (or a hand-made file),
 * and would print `Infinity`, `NaN` or `-0.0` instead of a report. The unit is seconds per
 * time unit (tsprof writes 1e-9). Durations, and each line's time and wait, stay under
 * `MAX_SECONDS` (a century); a probe costs under a second.
 */
const MIN_UNIT = 1e-15, MAX_UNIT = 1e3, MAX_SECONDS = 3.2e9, MAX_LINE = 1e9;

function validate(file: string, data: unknown): LprofFile {
  const bad = (where: string, what: string) =>
    new LprofError(`tsprof: ${file} is malformed: ${where} ${what}; re-run the program to write it again`);
  if (!isObj(data) || data.format !== LPROF_FORMAT) {
    throw new LprofError(`tsprof: ${file} is not a tsprof profile (no "format": "${LPROF_FORMAT}"); pass a file written by a tsprof-instrumented program`);
  }
  if (!Number.isSafeInteger(data.version) || (data.version as number) < 1) throw bad("version", "is not a positive whole number");
  if ((data.version as number) > LPROF_VERSION) {
    throw new LprofError(`tsprof: ${file} was written by a newer tsprof (format version ${data.version}; this tsprof reads up to ${LPROF_VERSION}); upgrade tsprof to view it`);
  }
  if (!isNum(data.unit) || data.unit < MIN_UNIT || data.unit > MAX_UNIT) throw bad("unit", `is not a time unit in seconds (from ${MIN_UNIT} to ${MAX_UNIT})`);
  if (!Array.isArray(data.runs)) throw bad("runs", "is not a list");
  const unit = data.unit;
  data.runs.forEach((run, i) => validateRun(run, `runs[${i}]`, unit, bad));
  return data as unknown as LprofFile;
}

type Bad = (where: string, what: string) => LprofError;

/** What a column's cells must be. Unknown columns (a later minor version's) need only be numbers. */
const enum Cell { Line, Time, Count, Any }

function cellKind(column: string): Cell {
  switch (column) {
    case "line": return Cell.Line;
    case "time": case "wait": return Cell.Time;
    case "hits": case "nested": case "calls": case "samples": case "memory": case "allocated": return Cell.Count;
    default: return Cell.Any;
  }
}

const CELL_WHAT: Record<Cell, string> = {
  [Cell.Line]: "a line number",
  [Cell.Time]: "a time from 0 to a century",
  [Cell.Count]: "a whole number from 0 to 2^53",
  [Cell.Any]: "a number",
};

/** Whether `v` (a finite number) may be a cell of a column of `kind`. */
function cellOk(kind: Cell, v: number, unit: number): boolean {
  switch (kind) {
    case Cell.Line: return Number.isInteger(v) && v >= 1 && v <= MAX_LINE;
    case Cell.Time: return v >= 0 && v * unit <= MAX_SECONDS;
    case Cell.Count: return isCount(v);
    default: return true;
  }
}

function validateRun(run: unknown, where: string, unit: number, bad: Bad): asserts run is LprofRun {
  if (!isObj(run)) throw bad(where, "is not an object");
  for (const key of ["id", "start", "end", "mode"] as const) {
    if (typeof run[key] !== "string") throw bad(`${where}.${key}`, "is not a string");
  }
  if (!isNum(run.duration) || run.duration < 0 || run.duration > MAX_SECONDS) throw bad(`${where}.duration`, "is not a number of seconds");
  const probeOk = (v: unknown) => isNum(v) && v >= 0 && v * unit <= 1;
  if (!isObj(run.calibration) || !probeOk(run.calibration.probe) || !probeOk(run.calibration.call)) {
    throw bad(`${where}.calibration`, "is not { probe, call }, each from 0 to a second");
  }
  const columns = run.columns;
  if (!Array.isArray(columns) || columns[0] !== "line" || columns[1] !== "hits" || columns[2] !== "time" || !columns.every((c) => typeof c === "string")) {
    throw bad(`${where}.columns`, 'does not start with "line", "hits", "time"');
  }
  if (!Array.isArray(run.functions)) throw bad(`${where}.functions`, "is not a list");
  const kinds = (columns as string[]).map(cellKind);
  const functions = run.functions as unknown[];
  for (let j = 0; j < functions.length; j++) validateFunction(functions[j], where, j, columns as string[], kinds, unit, bad);
}

/** Plain loops, the function's name built only for an error: this runs for every line of a file. */
function validateFunction(fn: unknown, run: string, j: number, columns: string[], kinds: Cell[], unit: number, bad: Bad): asserts fn is LprofFunction {
  const where = () => `${run}.functions[${j}]`;
  if (!isObj(fn)) throw bad(where(), "is not an object");
  if (typeof fn.file !== "string" || typeof fn.name !== "string") throw bad(where(), "lacks a file or name");
  if (fn.kind !== undefined && typeof fn.kind !== "string") throw bad(`${where()}.kind`, "is not a string");
  if (!Number.isInteger(fn.line) || (fn.line as number) < 1 || (fn.line as number) > MAX_LINE) throw bad(`${where()}.line`, "is not a line number");
  const source = fn.source;
  if (!Array.isArray(source)) throw bad(`${where()}.source`, "is not a list of lines");
  for (let i = 0; i < source.length; i++) if (typeof source[i] !== "string") throw bad(`${where()}.source`, "is not a list of lines");
  const lines = fn.lines;
  if (!Array.isArray(lines)) throw bad(`${where()}.lines`, "is not a list");
  if (fn.probe !== undefined && !(isNum(fn.probe) && fn.probe >= 0 && fn.probe <= 1e12)) throw bad(`${where()}.probe`, "is not a probe cost (a number from 0)");
  const width = columns.length;
  for (let k = 0; k < lines.length; k++) {
    const l: unknown = lines[k];
    let numbers = Array.isArray(l) && l.length === width;
    for (let c = 0; numbers && c < width; c++) numbers = isNum((l as unknown[])[c]);
    if (!numbers) throw bad(`${where()}.lines[${k}]`, `does not have the run's ${width} columns of numbers`);
    const row = l as number[];
    for (let c = 0; c < width; c++) {
      if (!cellOk(kinds[c], row[c], unit)) throw bad(`${where()}.lines[${k}]`, `has ${columns[c]} ${row[c]}, which is not ${CELL_WHAT[kinds[c]]}`);
    }
  }
}
