/** What the main thread and its watchdog thread (watchdog.ts) agree on; nothing else, so the thread starts fast. */

/** The signals tsprof writes the profile on, in the order of the shared listener counts. */
export const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/**
 * Shared state: the program's listener count per signal, then flags: the exit's write has begun;
 * the watchdog measured the probes' costs (exact timing), into the shared `calibration`.
 */
export const EXITING = SIGNALS.length, CALIBRATED = EXITING + 1, STATE_SIZE = CALIBRATED + 1;

/** What runs in the watchdog after it wrote the profile for a signal (`tsprof run`'s closing message). */
export interface SignalEnd {
  module: string;
  name: string;
  arg: unknown;
}
