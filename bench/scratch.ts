/**
 * Runs bench scripts one after another with every temporary directory they make (projects,
 * profiles, CPU profiles) under one directory, removed when the run ends, finished, failed or
 * interrupted: `node dist/bench/scratch.js dist/bench/run.js dist/bench/view.js`. The leading
 * arguments that name `.js` files are the scripts; the rest are passed to each of them (what
 * `npm run bench:x -- ARGS` appends). Stops at the first script that fails, with its exit status.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const given = process.argv.slice(2);
let split = 0;
while (split < given.length && given[split].endsWith(".js") && fs.existsSync(given[split])) split++;
const scripts = given.slice(0, split);
const args = given.slice(split);
if (scripts.length === 0) {
  process.stderr.write("bench/scratch: no script given; usage: node dist/bench/scratch.js SCRIPT.js… [ARGS…]\n");
  process.exit(2);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-bench-run-"));
const env = { ...process.env, TMPDIR: root, TMP: root, TEMP: root };
let child: ReturnType<typeof spawn> | undefined;

// Ctrl-C reaches the running script through the terminal's process group; this process waits for
// it to end, then cleans up. A termination sent to this process alone is passed on.
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP"] as const) process.on(signal, () => child?.kill(signal));

function finish(code: number | null, signal: NodeJS.Signals | null): void {
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}

function next(index: number): void {
  if (index === scripts.length) return finish(0, null);
  child = spawn(process.execPath, [scripts[index], ...args], { stdio: "inherit", env });
  child.on("exit", (code, signal) => (code === 0 ? next(index + 1) : finish(code, signal)));
}

next(0);
