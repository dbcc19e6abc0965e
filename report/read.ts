import * as fs from "node:fs";
import { jsonErrorOffset } from "./json-error";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile, type LprofFunction, type LprofRun } from "../runtime/lprof";

/** A file the CLI cannot use; the message names the file, the problem and the fix. */
export class LprofError extends Error {}

const MISSING_HINT =
  "run the program built with the tsprof plugin first (tspc on TypeScript 6; TypeScript 7's tsc ignores compiler plugins), or use `tsprof run`";

/** Reads and validates a `.lprof` file. Parses JSON only: reading never evaluates code. */
export function readLprof(file: string): LprofFile {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new LprofError(`tsprof: ${file}: no such file; ${MISSING_HINT}`);
    if (code === "EISDIR") throw new LprofError(`tsprof: ${file} is a directory; pass the .lprof file inside it`);
    throw new LprofError(`tsprof: ${file}: cannot read (${code}); check the path and its permissions`);
  }
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
  return validate(file, data);
}

function describeJsonError(text: string): string {
  const at = jsonErrorOffset(text);
  if (at >= text.length) return `truncated JSON at byte ${Buffer.byteLength(text)}`;
  return `invalid JSON at byte ${Buffer.byteLength(text.slice(0, at))}`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function validate(file: string, data: unknown): LprofFile {
  const bad = (where: string, what: string) =>
    new LprofError(`tsprof: ${file} is malformed: ${where} ${what}; re-run the program to write it again`);
  if (!isObj(data) || data.format !== LPROF_FORMAT) {
    throw new LprofError(`tsprof: ${file} is not a tsprof profile (no "format": "${LPROF_FORMAT}"); pass a file written by a tsprof-instrumented program`);
  }
  if (!isNum(data.version) || data.version < 1) throw bad("version", "is not a positive number");
  if (data.version > LPROF_VERSION) {
    throw new LprofError(`tsprof: ${file} was written by a newer tsprof (format version ${data.version}; this tsprof reads up to ${LPROF_VERSION}); upgrade tsprof to view it`);
  }
  if (!isNum(data.unit) || data.unit <= 0) throw bad("unit", "is not a positive number");
  if (!Array.isArray(data.runs)) throw bad("runs", "is not a list");
  data.runs.forEach((run, i) => validateRun(run, `runs[${i}]`, bad));
  return data as unknown as LprofFile;
}

function validateRun(run: unknown, where: string, bad: (where: string, what: string) => LprofError): asserts run is LprofRun {
  if (!isObj(run)) throw bad(where, "is not an object");
  for (const key of ["id", "start", "end", "mode"] as const) {
    if (typeof run[key] !== "string") throw bad(`${where}.${key}`, "is not a string");
  }
  if (!isNum(run.duration)) throw bad(`${where}.duration`, "is not a number");
  if (!isObj(run.calibration) || !isNum(run.calibration.probe) || !isNum(run.calibration.call)) {
    throw bad(`${where}.calibration`, "is not { probe, call }");
  }
  const columns = run.columns;
  if (!Array.isArray(columns) || columns[0] !== "line" || columns[1] !== "hits" || columns[2] !== "time" || !columns.every((c) => typeof c === "string")) {
    throw bad(`${where}.columns`, 'does not start with "line", "hits", "time"');
  }
  if (!Array.isArray(run.functions)) throw bad(`${where}.functions`, "is not a list");
  run.functions.forEach((fn, j) => validateFunction(fn, `${where}.functions[${j}]`, columns.length, bad));
}

function validateFunction(fn: unknown, where: string, width: number, bad: (where: string, what: string) => LprofError): asserts fn is LprofFunction {
  if (!isObj(fn)) throw bad(where, "is not an object");
  if (typeof fn.file !== "string" || typeof fn.name !== "string") throw bad(where, "lacks a file or name");
  if (!Number.isInteger(fn.line) || (fn.line as number) < 1) throw bad(`${where}.line`, "is not a line number");
  if (!Array.isArray(fn.source) || !fn.source.every((l) => typeof l === "string")) throw bad(`${where}.source`, "is not a list of lines");
  if (!Array.isArray(fn.lines)) throw bad(`${where}.lines`, "is not a list");
  fn.lines.forEach((l, k) => {
    if (!Array.isArray(l) || l.length !== width || !l.every(isNum) || !Number.isInteger(l[0]) || l[1] < 0) {
      throw bad(`${where}.lines[${k}]`, `does not have the run's ${width} columns of numbers`);
    }
  });
}
