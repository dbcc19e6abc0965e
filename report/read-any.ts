import * as fs from "node:fs";
import type { LprofFile } from "../runtime/lprof";
import { looksLikePickle, readLineStats } from "./pickle-lprof";
import { readLprof } from "./read";

/** A tsprof `.lprof` (JSON) or kernprof's (a pickle, read as data), told apart by the first two bytes. */
export function readAnyProfile(file: string): LprofFile {
  const head = Buffer.alloc(2);
  try {
    const fd = fs.openSync(file, "r");
    try {
      fs.readSync(fd, head, 0, 2, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return readLprof(file); // its message names what is wrong with the path
  }
  return looksLikePickle(head) ? readLineStats(file, fs.readFileSync(file)) : readLprof(file);
}
