import * as path from "node:path";
import { helpOption, parseArgs, UsageError, type CommandSpec } from "./args";
import { mergeProfiles } from "../report/profile";
import { readAnyProfile } from "../report/read-any";
import { htmlReport } from "../report/html";
import type { LprofFile } from "../runtime/lprof";
import { parseUnit } from "./view";
import { writeOutput } from "./write-output";

export const htmlSpec: CommandSpec = {
  usage: "tsprof html [options] FILE.lprof...",
  summary: "Write one self-contained HTML report (no network needed to open it) of .lprof files, tsprof's or kernprof's: "
    + "each function's source heat-mapped by time (and memory), and a sortable list of every function.",
  options: [
    { name: "outfile", short: "o", type: "string", valueName: "FILE", description: "where to write (default: the first file with .html for .lprof, e.g. out.html)" },
    { name: "unit", short: "u", type: "string", valueName: "UNIT", description: "time unit of the Time and Per Hit columns: seconds (1e-3) or ns, us, ms, s (default 1e-6)" },
    { name: "title", type: "string", valueName: "TEXT", description: "the page's title (default: the file names)" },
    { name: "raw", type: "boolean", description: "show times as measured, without subtracting the probes' own cost" },
    helpOption(),
  ],
  epilog: "Examples:\n  tsprof html out.lprof                 writes out.html\n  tsprof html -o report.html a.lprof b.lprof",
};

/** `out.lprof` → `out.html`, `app.ts.lprof` → `app.ts.html`. */
export function htmlPathFor(lprof: string): string {
  return `${lprof.replace(/(\.pickle)?\.lprof$/, "")}.html`;
}

/** Writes the report; the message names the file and a fix when it cannot. */
export function writeHtmlReport(files: LprofFile[], out: string, options: { title: string; outputUnit?: number; raw?: boolean }): void {
  const html = htmlReport(mergeProfiles(files, { raw: options.raw }), files, options);
  writeOutput("html", out, html);
}

export function htmlCommand(argv: string[]): number {
  const { values, positionals } = parseArgs(argv, htmlSpec);
  if (positionals.length === 0) throw new UsageError("no .lprof file given (for example: tsprof html out.lprof)");
  const outputUnit = values.unit !== undefined ? parseUnit(values.unit as string) : undefined;
  const files = positionals.map(readAnyProfile);
  const out = (values.outfile as string | undefined) ?? htmlPathFor(positionals[0]);
  const title = (values.title as string | undefined) ?? `tsprof: ${positionals.map((p) => path.basename(p)).join(", ")}`;
  writeHtmlReport(files, out, { title, outputUnit, raw: values.raw === true });
  process.stderr.write(`Wrote HTML report to '${out}'\n`);
  return 0;
}
