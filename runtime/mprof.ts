/**
 * `tsprof mprof run`'s brackets: the entry and exit time of every call of a profiled function, as
 * mprof's FUNC lines. Enabled only when `TSPROF_MPROF_DIR` is set, and then instead of line
 * timing: a call costs two clock reads and no line probes (the sampler outside this thread does
 * the memory; the launcher pairs each bracket with the memory it sampled at those times).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { threadId } from "node:worker_threads";
import { NoOpProbes } from "./no-op-probes";
import type { FunctionStats, Invocation } from "./stats";

/** Calls buffered before a write: 4 numbers each (function, start, end, level), 256 KiB. */
const CAPACITY = 8192;
const records = new Float64Array(CAPACITY * 4);
let count = 0;
/** Profiled calls open on this thread: mprof's stack level (interleaved async calls share it). */
let depth = 0;
const names: string[] = [];
const ids = new Map<FunctionStats, number>();
const origin = performance.timeOrigin;

/** mprof names functions `module.function`; its plot labels them by the last dotted part. */
function bracketName(f: FunctionStats): string {
  const base = path.basename(f.file).replace(/\.[cm]?[jt]sx?$/, "");
  return `${base}.${f.name}`.replace(/\s+/g, "_");
}

/** Every probe the transform emits, doing nothing but the call's exit. */
class BracketInvocation extends NoOpProbes {
  private open = true;
  /** The caller's invocation, kept by `FunctionStats.push` for sync calls. */
  up: Invocation | undefined;
  constructor(private readonly id: number, private readonly t0: number, private readonly level: number) {
    super();
  }
  override exit(): void {
    if (!this.open) return;
    this.open = false;
    depth--;
    const i = count++ * 4;
    records[i] = this.id;
    records[i + 1] = this.t0;
    records[i + 2] = performance.now();
    records[i + 3] = this.level;
    if (count === CAPACITY) flushBrackets();
  }
}

/** Starts a bracketed call of `f`. */
export function bracket(f: FunctionStats): Invocation {
  let id = ids.get(f);
  if (id === undefined) {
    id = names.push(bracketName(f)) - 1;
    ids.set(f, id);
  }
  return new BracketInvocation(id, performance.now(), depth++) as unknown as Invocation;
}

let fd = -1;
let namesWritten = 0;

/**
 * Writes the finished calls to this thread's files in the run's directory: the records as raw
 * doubles (formatting them here cost 3 µs a call, measured on the bench's recursion; a raw write
 * costs nanoseconds a call), and the names they index. Never throws.
 */
export function flushBrackets(): void {
  const dir = process.env.TSPROF_MPROF_DIR;
  if (!dir || count === 0) return;
  const base = path.join(dir, `func-${process.pid}-${threadId}`);
  try {
    if (fd < 0) {
      fd = fs.openSync(`${base}.bin`, "a");
      fs.writeFileSync(`${base}.origin`, String(origin));
    }
    fs.writeSync(fd, new Uint8Array(records.buffer, 0, count * 4 * 8));
    // Only when a function was added: a file write costs ~2 ms on a busy overlay filesystem.
    if (names.length > namesWritten) fs.writeFileSync(`${base}.names`, names.join("\n"));
    namesWritten = names.length;
  } catch {
    // The launcher is gone (killed): nobody would read the brackets.
  }
  count = 0;
}
