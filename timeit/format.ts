import { formatG } from "../report/printf";

/*
 * Times as `python -m timeit` prints them: `%.3g` and a unit word, `4.45 usec`. The unit is the
 * largest one the value reaches (Python's `format_time`), or the one forced with `-u`.
 */

/** Seconds per unit, largest first: the names `python -m timeit -u` accepts. */
export const UNITS = { sec: 1, msec: 1e-3, usec: 1e-6, nsec: 1e-9 } as const;

/** A unit name of `-u`. */
export type TimeUnit = keyof typeof UNITS;

/** True for `nsec`, `usec`, `msec` and `sec`. */
export function isTimeUnit(name: string): name is TimeUnit {
  return Object.prototype.hasOwnProperty.call(UNITS, name);
}

/** The unit Python picks for `seconds`: the largest that the value reaches, else nsec. */
export function autoUnit(seconds: number): TimeUnit {
  for (const name of Object.keys(UNITS) as TimeUnit[]) {
    if (seconds >= UNITS[name]) return name;
  }
  return "nsec";
}

/** `4.45 usec`: `%.{precision}g` in `unit` (default: chosen per value, as Python does). */
export function formatTime(seconds: number, unit: TimeUnit = autoUnit(seconds), precision = 3): string {
  return `${formatG(seconds / UNITS[unit], precision)} ${unit}`;
}

/** `1 loop` / `50000 loops`. */
export function loops(count: number): string {
  return `${count} loop${count === 1 ? "" : "s"}`;
}
