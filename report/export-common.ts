import * as path from "node:path";
import type { LprofFile } from "../runtime/lprof";

/** The working directory of the first run that recorded one: file names are shown relative to it. */
export function runCwd(files: LprofFile[]): string | undefined {
  for (const file of files) for (const run of file.runs) if (run.cwd) return run.cwd;
  return undefined;
}

/** `file` relative to `cwd` when inside it, else as recorded. */
export function relativeTo(file: string, cwd: string | undefined): string {
  if (!cwd || !path.isAbsolute(file)) return file;
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}
