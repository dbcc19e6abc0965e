import { isMainThread } from "node:worker_threads";
import { flushBrackets } from "./mprof";
import { outputPath, type Session } from "./session";
import { snapshotRun, writeRun } from "./writer";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Writes this thread's profile; never throws (it runs while the process is going down). */
export function writeProfile(s: Session, complete: boolean): void {
  if (s.mode === "mprof") return flushBrackets();
  const file = outputPath(s);
  try {
    writeRun(file, snapshotRun(s, complete), s.startWall);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`tsprof: could not write the profile to ${file} (${err.code ?? err.message}); set TSPROF_OUTPUT to a writable path\n`);
  }
}

function onSignal(s: Session, signal: NodeJS.Signals, handler: () => void): void {
  writeProfile(s, false);
  // Then tsprof steps aside, so the program's own listeners see exactly the listeners they
  // would without it: libraries such as signal-exit re-raise only when they count themselves
  // alone. With no listener left, the signal is raised again and Node's default applies: the
  // process dies by it, as it would have. Otherwise the program decides; the exit hook writes again.
  process.removeListener(signal, handler);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/**
 * Writes the profile however the thread ends: normal exit, `process.exit()`, uncaught exception
 * and unhandled rejection (all reach `exit`), and SIGINT/SIGTERM/SIGHUP. `TSPROF_INTERVAL=N` also
 * writes every N seconds, for servers that are never stopped cleanly.
 */
export function installHooks(s: Session): void {
  if (s.hooked || !s.enabled) return;
  s.hooked = true;
  process.on("exit", () => writeProfile(s, true));
  if (isMainThread) {
    for (const signal of SIGNALS) {
      const handler = () => onSignal(s, signal, handler);
      process.on(signal, handler);
    }
  }
  const interval = Number(process.env.TSPROF_INTERVAL);
  if (interval > 0) setInterval(() => writeProfile(s, false), interval * 1000).unref();
}
