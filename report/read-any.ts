import type { LprofFile } from "../runtime/lprof";
import { looksLikePickle, readLineStats } from "./pickle-lprof";
import { parseLprof, readProfileBytes } from "./read";

/** A tsprof `.lprof` (JSON) or kernprof's (a pickle, read as data), told apart by the first two bytes. */
export function readAnyProfile(file: string): LprofFile {
  const raw = readProfileBytes(file);
  return looksLikePickle(raw.subarray(0, 2)) ? readLineStats(file, raw) : parseLprof(file, raw);
}
