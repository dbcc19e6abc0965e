/**
 * `tsprof mprof run`'s launcher: the program runs in a child process (as `tsprof run` with node
 * options), this process samples its memory (mprof-sampler.ts), its main thread's heap comes
 * from a worker inside it (mprof-heap.ts), and its profiled functions leave their brackets in a
 * scratch directory (runtime/mprof.ts). At the end, brackets and heap samples join the data file.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { funcLine, heapLine, memAt, type Series } from "../report/mprof-data";
import { runChild } from "./launch";
import { startSampler } from "./mprof-sampler";

export interface MprofRunOptions {
  /** `node` arguments: node options, the script, its arguments. */
  args: string[];
  /** The program's environment (programEnv's), before mprof's settings. */
  env: NodeJS.ProcessEnv;
  interval: number;
  includeChildren: boolean;
  multiprocess: boolean;
  heap: boolean;
  output: string;
  cmdline: string;
}

export interface MprofRunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  samples: number;
  calls: number;
}

export async function mprofRun(o: MprofRunOptions): Promise<MprofRunResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-mprof-"));
  // mprof appends to the file; so does this.
  const fd = fs.openSync(o.output, "a");
  let samples = 0;
  const write = (line: string) => {
    if (line.startsWith("MEM")) samples++;
    fs.writeSync(fd, line);
  };
  write(`CMDLINE ${o.cmdline}\n`);
  const env: NodeJS.ProcessEnv = {
    ...o.env,
    TSPROF_MPROF_DIR: scratch,
    TSPROF_MPROF_INTERVAL: String(o.interval),
    ...(o.heap ? { TSPROF_MPROF_HEAP: "1" } : {}),
    // Worker threads' heaps come from the heap thread too, under -C or -M only.
    ...(o.heap && (o.includeChildren || o.multiprocess) ? { TSPROF_MPROF_WORKERS: "1" } : {}),
  };
  let sampler: ReturnType<typeof startSampler> | undefined;
  let pid = 0;
  const ended = await runChild(o.args, env, (child) => {
    if (child.pid === undefined) return;
    pid = child.pid;
    sampler = startSampler(pid, { interval: o.interval, includeChildren: o.includeChildren, multiprocess: o.multiprocess, write });
  });
  const series = sampler?.stop() ?? new Map<number, Series>();
  let calls = 0;
  try {
    calls = appendScratch(scratch, pid, series.get(pid) ?? { t: [], mem: [] }, write, { sum: o.includeChildren, split: o.multiprocess, firstChild: sampler?.processChildren() ?? 0 });
  } finally {
    fs.closeSync(fd);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { ...ended, samples, calls };
}

interface ThreadOptions {
  /** -C: every thread's heap summed, as HEAPALL. */
  sum: boolean;
  /** -M: each worker a CHLD series of its own. */
  split: boolean;
  /** The first CHLD number free for workers: child processes were numbered as they were seen. */
  firstChild: number;
}

/** One thread's heap samples (bytes): by the sampler thread's tick, which all threads share. */
interface ThreadHeap {
  tick: number[];
  t: number[];
  used: number[];
  total: number[];
  external: number[];
}

const MIB = 1024 * 1024;

/** The worker threads' samples of the program's first process, by thread id, in order of first sample. */
function readWorkers(file: string): Map<number, ThreadHeap> {
  const out = new Map<number, ThreadHeap>();
  if (!fs.existsSync(file)) return out;
  for (const row of fs.readFileSync(file, "utf8").split("\n")) {
    const [thread, tick, t, used, total, external] = row.split(" ").map(Number);
    if (!Number.isFinite(external)) continue;
    let h = out.get(thread);
    if (!h) out.set(thread, (h = { tick: [], t: [], used: [], total: [], external: [] }));
    h.tick.push(tick);
    h.t.push(t);
    h.used.push(used);
    h.total.push(total);
    h.external.push(external);
  }
  return out;
}

/**
 * Heap samples of the program's first process (its main thread's as HEAP; its workers' as CHLD
 * under -M and summed with the main thread's as HEAPALL under -C), and every thread's brackets
 * with the memory at their times.
 */
function appendScratch(scratch: string, pid: number, main: Series, write: (line: string) => void, o: ThreadOptions): number {
  let calls = 0;
  const workers = readWorkers(path.join(scratch, `workers-${pid}.txt`));
  // A worker's memory under -M: its V8 heap used and its external memory (array buffers
  // included). Threads share the process's RSS, which has no share per thread; this is the part
  // of it V8 accounts to the worker.
  if (o.split) {
    let n = o.firstChild;
    for (const [thread, h] of workers) {
      const s: Series = { t: h.t, mem: h.used.map((u, i) => (u + h.external[i]) / MIB) };
      let batch = `WORKER ${n} ${thread}\n`;
      for (let i = 0; i < s.t.length; i++) batch += `CHLD ${n} ${s.mem[i].toFixed(6)} ${s.t[i].toFixed(4)}\n`;
      write(batch);
      n++;
    }
  }
  for (const name of fs.readdirSync(scratch).sort()) {
    if (name.startsWith("heap-")) {
      const sum = o.sum && workers.size > 0;
      const last = new Map<number, number>();
      let batch = "";
      for (const row of fs.readFileSync(path.join(scratch, name), "utf8").split("\n")) {
        const [t, used, total, external, tick] = row.split(" ").map(Number);
        if (!Number.isFinite(external)) continue;
        batch += heapLine(t, used, total, external);
        if (sum && Number.isFinite(tick)) {
          // Each worker alive at this tick adds its latest answer (a busy worker answers a tick late).
          let u = used, tt = total, e = external;
          for (const [thread, h] of workers) {
            let i = last.get(thread) ?? -1;
            while (i + 1 < h.tick.length && h.tick[i + 1] <= tick) i++;
            last.set(thread, i);
            if (i < 0 || h.tick[h.tick.length - 1] < tick) continue;
            u += h.used[i];
            tt += h.total[i];
            e += h.external[i];
          }
          batch += heapLine(t, u, tt, e, "HEAPALL");
        }
        if (batch.length > 1 << 16) {
          write(batch);
          batch = "";
        }
      }
      write(batch);
    } else if (name.startsWith("func-") && name.endsWith(".bin")) {
      // Every thread's and child's brackets sit on the program's curve (MEM): Python's mprof plot
      // draws a bracket's memory as points of that curve, which other memory would tear.
      const s = main;
      const base = path.join(scratch, name.slice(0, -".bin".length));
      const bytes = fs.readFileSync(path.join(scratch, name));
      // Copied: a Buffer need not start on an 8-byte boundary.
      const records = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + Math.floor(bytes.length / 32) * 32));
      const names = fs.readFileSync(`${base}.names`, "utf8").split("\n");
      const origin = Number(fs.readFileSync(`${base}.origin`, "utf8"));
      let batch = "";
      for (let i = 0; i < records.length; i += 4) {
        const tStart = (origin + records[i + 1]) / 1000, tEnd = (origin + records[i + 2]) / 1000;
        batch += funcLine({ name: names[records[i]], memStart: memAt(s, tStart), tStart, memEnd: memAt(s, tEnd), tEnd, level: records[i + 3] });
        calls++;
        if (batch.length > 1 << 16) {
          write(batch);
          batch = "";
        }
      }
      if (batch) write(batch);
    }
  }
  return calls;
}
