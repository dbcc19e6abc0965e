import { isMainThread } from "node:worker_threads";
import { flushBrackets } from "./mprof";
import { outputPath, type Session } from "./session";
import { hideListeners, SIGNALS, startCalibration, startWatchdog, watchdogRunning, watchdogStand, type SignalEnd, setSignalEnd } from "./watchdog";
import { sharedCalibrationSlot } from "./calibrate";
import { NotAFileError, serializeRun, writeRun } from "./writer";
import { capturePristine, withPristineBuiltins } from "./pristine";

/** Writes this thread's profile; never throws (it runs while the process is going down). */
export function writeProfile(s: Session, complete: boolean): void {
  if (s.mode === "mprof") return flushBrackets();
  const file = outputPath(s);
  try {
    writeRun(file, serializeRun(s, complete), s.startWall);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = e instanceof NotAFileError ? err.message : err.code ?? err.message;
    process.stderr.write(`tsprof: could not write the profile to ${file} (${why}); set TSPROF_OUTPUT to a writable path\n`);
  }
}

/** What runs once the profile is final: `tsprof run`'s closing message. */
export interface EndHooks {
  /** At exit, after the final write. */
  onExit(code: number): void;
  /** After the write for a signal nothing else handles, just before the process dies by it. */
  onSignal: SignalEnd;
}

let endHooks: EndHooks | undefined;

/** Sets what runs once the profile is final (`tsprof run` in its own process). */
export function setEndHooks(hooks: EndHooks): void {
  endHooks = hooks;
  setSignalEnd(hooks.onSignal);
}

/**
 * Where the watchdog cannot watch signals (Node 24+, `TSPROF_WATCHDOG=0`): listeners on the
 * main thread, which write when its event loop is free (not during synchronous work). Then tsprof steps aside, so the program's
 * own listeners see exactly the listeners they would without it: libraries such as signal-exit
 * re-raise only when they count themselves alone. With no listener left, the signal is raised
 * again and Node's default applies: the process dies by it, as it would have.
 */
function listenOnMainThread(s: Session): void {
  for (const signal of SIGNALS) {
    const handler = () => {
      withPristineBuiltins(() => writeProfile(s, false));
      process.removeListener(signal, handler);
      if (process.listenerCount(signal) === 0) {
        if (endHooks) {
          try {
            (require(endHooks.onSignal.module) as Record<string, (a: unknown, sig: string) => void>)[endHooks.onSignal.name](endHooks.onSignal.arg, signal);
          } catch {
            // A courtesy; the signal must still end the process.
          }
        }
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
    // Counted, they would tell the program a listener is there that it never added.
    hideListeners(handler);
  }
}

/**
 * Writes the profile however the thread ends: normal exit, `process.exit()`, uncaught exception
 * and unhandled rejection (all reach `exit`), and SIGINT/SIGTERM/SIGHUP — from the watchdog
 * thread (watchdog.ts), even while the program computes. `TSPROF_INTERVAL=N` also writes every
 * N seconds, for servers that are never stopped cleanly (from the watchdog too, where it runs).
 */
export function installHooks(s: Session): void {
  if (s.hooked || !s.enabled) return;
  s.hooked = true;
  capturePristine();
  // The program may leave built-ins changed (a prototype's iterator replaced): the final write
  // and tsprof run's closing message run with them as they were at load (pristine.ts).
  const onExit = (code: number) => withPristineBuiltins(() => {
    watchdogStand();
    writeProfile(s, true);
    endHooks?.onExit(code);
  });
  process.on("exit", onExit);
  hideListeners(onExit);
  // Node's timers hold 2^31 - 1 ms at most; beyond, they fire every millisecond (with a warning).
  const asked = Number(process.env.TSPROF_INTERVAL);
  const interval = asked > 0 ? Math.min(Math.max(asked, 0.01), 2147483) : 0;
  // mprof's brackets live in this thread's memory, which the watchdog cannot read: under mprof the
  // main thread writes them on a signal, once its event loop is free.
  // Before the program makes its worker threads: each receives the process's calibration slot.
  if (s.mode === "exact") sharedCalibrationSlot();
  const watched = isMainThread && s.mode !== "mprof" && startWatchdog(s, outputPath(s), interval > 0 ? interval : 0);
  if (isMainThread && !watched) listenOnMainThread(s);
  // Exact timing: the probes' costs measured while the program runs (the watchdog does, where it runs).
  if (isMainThread && s.mode === "exact" && !watchdogRunning()) startCalibration();
  if (interval > 0 && !watchdogRunning()) setInterval(() => withPristineBuiltins(() => writeProfile(s, false)), interval * 1000).unref();
}
