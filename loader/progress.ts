/**
 * A cold compile of a large project takes seconds during which the program shows nothing
 * (measured: 9–16 s for 200 files on two busy cores, TypeScript's own load included). Once this
 * process has compiled for `TSPROF_PROGRESS_AFTER` seconds (default 1; `off`: never), one line
 * on stderr says so, and one more when compiling stops: whole lines, so output the program
 * writes meanwhile is never spliced into a half-drawn line. On a terminal only.
 */
const after = (): number => {
  const v = process.env.TSPROF_PROGRESS_AFTER;
  if (v === "off") return Infinity;
  const n = v === undefined || v === "" ? 1 : Number(v);
  return Number.isFinite(n) && n >= 0 ? n * 1000 : 1000;
};

let spentMs = 0;
let files = 0;
let announced = false;
let pending: NodeJS.Timeout | undefined;

/** Records one compiled file that took `ms`. */
export function compiled(ms: number): void {
  spentMs += ms;
  files++;
  if (!process.stderr.isTTY || spentMs < after()) return;
  if (!announced) {
    announced = true;
    process.stderr.write(`tsprof run: compiling TypeScript, ${files} file${files === 1 ? "" : "s"} so far (the next runs reuse it from the cache)…\n`);
  }
  // Module loading is synchronous: the first turn of the event loop after it means compiling stopped.
  clearTimeout(pending);
  pending = setTimeout(done, 100);
  pending.unref();
}

function done(): void {
  process.stderr.write(`tsprof run: compiled ${files} file${files === 1 ? "" : "s"} in ${(spentMs / 1000).toFixed(1)} s\n`);
  spentMs = 0;
  files = 0;
  announced = false;
}
