/**
 * Runs node commands one after another with every temporary directory they make under one
 * directory, removed when the last ends, or the first fails, or the run is interrupted: what
 * `npm test` (suite.ts) and the bench scripts (bench/scratch.ts) run in. Exits with the status of
 * the command that ended the run, or by its signal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function runInScratch(prefix: string, commands: string[][]): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env = { ...process.env, TMPDIR: root, TMP: root, TEMP: root };
  let child: ChildProcess | undefined;

  // Ctrl-C reaches the running command through the terminal's process group: this process only
  // waits for it to end, then cleans up. A termination sent to this process alone is passed on.
  process.on("SIGINT", () => {});
  for (const signal of ["SIGTERM", "SIGHUP"] as const) process.on(signal, () => child?.kill(signal));

  const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  };
  const next = (index: number): void => {
    if (index === commands.length) return finish(0, null);
    child = spawn(process.execPath, commands[index], { stdio: "inherit", env });
    child.on("exit", (code, signal) => (code === 0 ? next(index + 1) : finish(code, signal)));
  };
  next(0);
}
