import * as fs from "node:fs";
import { LprofError } from "../report/read";

/** Writes the file a report command makes; when it cannot, one line names the file and the fix (exit 1). */
export function writeOutput(command: string, file: string, data: string | Buffer): void {
  try {
    fs.writeFileSync(file, data);
  } catch (e) {
    throw new LprofError(`tsprof ${command}: cannot write ${file} (${(e as NodeJS.ErrnoException).code}); pass a writable path with -o`);
  }
}
