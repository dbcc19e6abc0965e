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
    calls = appendScratch(scratch, pid, series, write);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { ...ended, samples, calls };
}

/** Heap samples of the program's first process, and every process's brackets with the memory at their times. */
function appendScratch(scratch: string, pid: number, series: Map<number, Series>, write: (line: string) => void): number {
  let calls = 0;
  const main = series.get(pid) ?? { t: [], mem: [] };
  for (const name of fs.readdirSync(scratch).sort()) {
    if (name.startsWith("heap-")) {
      for (const row of fs.readFileSync(path.join(scratch, name), "utf8").split("\n")) {
        const [t, used, total, external] = row.split(" ").map(Number);
        if (Number.isFinite(external)) write(heapLine(t, used, total, external));
      }
    } else if (name.startsWith("func-") && name.endsWith(".bin")) {
      // A child's brackets sit on its own curve under -M, else on the program's.
      const own = series.get(Number(name.split("-")[1]));
      const s = own && own !== main && own.t.length ? own : main;
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
