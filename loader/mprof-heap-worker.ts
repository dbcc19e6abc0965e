/** The heap sampler's thread (mprof-heap.ts): one line per sample, `t heapUsed heapTotal external arrayBuffers rss` (seconds, bytes). */
import * as fs from "node:fs";
import { Session } from "node:inspector";
import { workerData } from "node:worker_threads";

const { file, interval, gate } = workerData as { file: string; interval: number; gate?: SharedArrayBuffer };
// npm run bench:mprof turns sampling off and on within one process: its gate, 0 for off.
const open = gate ? new Int32Array(gate) : undefined;
const fd = fs.openSync(file, "a");
const session = new Session();
session.connectToMainThread();
const EXPRESSION = "(m => [m.heapUsed, m.heapTotal, m.external, m.arrayBuffers, m.rss])(process.memoryUsage())";
let busy = false;

function sample(): void {
  // One question at a time: a main thread stuck outside JavaScript (a sync read) answers late.
  if (busy || (open && Atomics.load(open, 0) === 0)) return;
  busy = true;
  session.post("Runtime.evaluate", { expression: EXPRESSION, returnByValue: true, silent: true }, (err, res) => {
    busy = false;
    const v = (res as { result?: { value?: number[] } } | undefined)?.result?.value;
    if (err || !Array.isArray(v)) return;
    fs.writeSync(fd, `${(Date.now() / 1000).toFixed(4)} ${v.join(" ")}\n`);
  });
}

sample();
setInterval(sample, interval * 1000);
