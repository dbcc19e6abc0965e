/**
 * `tsprof mprof run`'s sampler: the launcher reads the program's resident memory from
 * /proc/<pid>/statm every interval, from its own process, so sampling costs the program nothing.
 * With children (`-C`, `-M`), the process tree is found from /proc/<pid>/stat's parent ids.
 */
import * as fs from "node:fs";

const MIB = 1024 * 1024;
let pageSize = 0;

/**
 * Bytes per page, read once from this process (the launcher, whose memory is still): VmRSS (kB)
 * over statm's resident pages, rounded to a power of two. Read from the program instead, the two
 * files were read while it grew fast at start, and the ratio came out as half a page (every
 * sample then read half the memory).
 */
function pageBytes(): number {
  if (pageSize) return pageSize;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1]);
    const pages = Number(fs.readFileSync("/proc/self/statm", "utf8").split(" ")[1]);
    if (kb > 0 && pages > 0) pageSize = 2 ** Math.round(Math.log2((kb * 1024) / pages));
  } catch {
    // No /proc: canSample() says so first.
  }
  return pageSize || 4096;
}

/** Resident memory of `pid` in MiB, or undefined when it has ended. */
export function residentMiB(pid: number): number | undefined {
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    return Number.isFinite(pages) ? (pages * pageBytes()) / MIB : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this system has /proc to read. */
export function canSample(): boolean {
  return fs.existsSync(`/proc/${process.pid}/statm`);
}

/** Every descendant of `root`, parents before children. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  for (const name of entries) {
    if (name.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid …: comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(name));
    else children.set(ppid, [Number(name)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

export interface SamplerOptions {
  interval: number;
  includeChildren: boolean;
  multiprocess: boolean;
  /** Receives each line of the data file (`MEM …`, `CHLD …`) as it is sampled. */
  write(line: string): void;
}

/** One process's samples, kept to pair brackets with memory: times in seconds, memory in MiB. */
export interface Series {
  t: number[];
  mem: number[];
}

/**
 * Samples `pid` (and its descendants) until `stop()`; returns the series by pid (the program's
 * own under `pid`, summed with its children's under -C), for the brackets.
 */
export function startSampler(pid: number, o: SamplerOptions): { stop(): Map<number, Series>; processChildren(): number } {
  const series = new Map<number, Series>();
  const childIndex = new Map<number, number>();
  const record = (p: number, t: number, mem: number) => {
    let s = series.get(p);
    if (!s) series.set(p, (s = { t: [], mem: [] }));
    s.t.push(t);
    s.mem.push(mem);
  };
  let kids: number[] = [];
  let scanned = 0;
  const tick = () => {
    const t = Date.now() / 1000;
    const own = residentMiB(pid);
    if (own === undefined) return;
    // The process tree costs a read of every /proc/N/stat (23 ms for 127 processes, measured here):
    // found again every 0.2 s at most; the children known meanwhile are sampled every tick.
    if ((o.includeChildren || o.multiprocess) && t - scanned >= 0.2) {
      kids = descendants(pid);
      scanned = t;
    }
    let total = own;
    const perChild: [number, number][] = [];
    for (const c of kids) {
      const m = residentMiB(c);
      if (m === undefined) continue;
      if (o.includeChildren) total += m;
      if (o.multiprocess) perChild.push([c, m]);
    }
    o.write(`MEM ${total.toFixed(6)} ${t.toFixed(4)}\n`);
    record(pid, t, total);
    for (const [c, m] of perChild) {
      // mprof numbers children 0, 1, …; here by first sighting, so a number stays one child.
      let n = childIndex.get(c);
      if (n === undefined) childIndex.set(c, (n = childIndex.size));
      o.write(`CHLD ${n} ${m.toFixed(6)} ${t.toFixed(4)}\n`);
      record(c, t, m);
    }
  };
  tick();
  const timer = setInterval(tick, o.interval * 1000);
  return {
    stop() {
      clearInterval(timer);
      return series;
    },
    /** How many CHLD numbers the child processes took (-M). */
    processChildren: () => childIndex.size,
  };
}
