import * as fs from "node:fs";
import * as path from "node:path";
import { helpOption, parseArgs, UsageError, type CommandSpec } from "./args";
import { mergeProfiles } from "../report/profile";
import { readAnyProfile } from "../report/read-any";
import { lineStatsPickle, snapshotSources } from "../report/pickle-lprof";
import { relativeTo, runCwd } from "../report/export-common";
import type { FunctionProfile, Profile } from "../report/profile";
import type { LprofFile } from "../runtime/lprof";
import { exportSpeedscope } from "../report/export-speedscope";
import { exportIstanbul } from "../report/export-istanbul";
import { exportTable } from "../report/export-json";
import { LprofError } from "../report/read";
import { writeOutput } from "./write-output";

const FORMATS: Record<string, { suffix: string; what: string }> = {
  kernprof: { suffix: ".pickle.lprof", what: "a line_profiler pickle that python -m line_profiler prints" },
  speedscope: { suffix: ".speedscope.json", what: "speedscope JSON: a profile per function, its lines as frames" },
  istanbul: { suffix: ".coverage.json", what: "istanbul coverage JSON: hits per line, for coverage viewers and editor gutters" },
  json: { suffix: ".table.json", what: "a flat table of every line that ran, for scripts (docs/export-formats.md)" },
  cpuprofile: { suffix: ".cpuprofile", what: "of function profiles (tsprof prof -o FILE.prof): a .cpuprofile for Chrome DevTools and VS Code" },
};

export const exportSpec: CommandSpec = {
  usage: "tsprof export --to FORMAT [options] FILE.lprof...",
  summary: "Convert .lprof files (tsprof's or kernprof's; several are merged) for other tools.",
  options: [
    { name: "to", short: "T", type: "string", valueName: "FORMAT", description: `output format: ${Object.keys(FORMATS).join(", ")}` },
    { name: "outfile", short: "o", type: "string", valueName: "FILE", description: "where to write (default: the first input with its suffix replaced, e.g. out.pickle.lprof; - for stdout)" },
    { name: "original-paths", type: "boolean", description: "kernprof: name the original source files instead of writing snapshots beside the pickle (Python's viewer parses them as Python, and may fail on TypeScript)" },
    { name: "raw", type: "boolean", description: "times as measured, without subtracting the probes' own cost" },
    helpOption(),
  ],
  epilog: [
    "formats:",
    ...Object.entries(FORMATS).map(([name, f]) => `  ${name.padEnd(11)} ${f.what}`),
    "",
    "Examples:",
    "  tsprof export --to kernprof out.lprof -o out.pickle.lprof && python3 -m line_profiler out.pickle.lprof",
    "  tsprof export --to speedscope out.lprof     then open out.speedscope.json in speedscope",
    "  tsprof export --to json -o - out.lprof | jq '.rows[] | select(.hits > 1000)'",
  ].join("\n"),
};

/**
 * Writes each function's snapshot under `OUT.src/` (paths relative to the run's directory)
 * and returns the name the pickle gives each function's file: relative to here when below it,
 * as kernprof's are.
 */
function writeSnapshots(profile: Profile, files: LprofFile[], out: string): (fn: FunctionProfile) => string {
  const dir = `${out}.src`;
  const cwd = runCwd(files);
  const names = new Map<FunctionProfile, string>();
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const { fn, text } of snapshotSources(profile)) {
      let rel = relativeTo(fn.file, cwd);
      if (path.isAbsolute(rel)) rel = path.join("_root", rel);
      const target = path.join(dir, rel, `line-${fn.line}${path.extname(fn.file)}`);
      if (text !== undefined) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
      }
      names.set(fn, relativeTo(path.resolve(target), process.cwd()));
    }
  } catch (e) {
    throw new LprofError(`tsprof export: cannot write the sources beside ${out} in ${dir} (${(e as NodeJS.ErrnoException).code}); pass a writable path with -o`);
  }
  return (fn) => names.get(fn) ?? fn.file;
}

/** Function profiles (`.prof`, merged as pstats' `add`) as one `.cpuprofile`. */
function exportCpuProfile(inputs: string[], outfile: string | undefined): number {
  const { loadStats } = require("../report/pstats-read") as typeof import("../report/pstats-read");
  const { toCpuProfile } = require("../report/pstats-export") as typeof import("../report/pstats-export");
  const stats = loadStats(inputs[0]);
  for (const file of inputs.slice(1)) stats.add(loadStats(file));
  return writeExport("cpuprofile", JSON.stringify(toCpuProfile(stats)), outfile ?? inputs[0].replace(/\.prof$/, "") + ".cpuprofile");
}

/** `app.ts.lprof` → `app.ts` + suffix. */
export function defaultOutput(input: string, suffix: string): string {
  return input.replace(/(\.pickle)?\.lprof$/, "") + suffix;
}

export function exportCommand(argv: string[]): number {
  const { values, positionals } = parseArgs(argv, exportSpec);
  const to = values.to as string | undefined;
  if (to === undefined) throw new UsageError(`no format given; pass --to with one of ${Object.keys(FORMATS).join(", ")}`);
  const format = Object.hasOwn(FORMATS, to) ? FORMATS[to] : undefined;
  if (!format) throw new UsageError(`unknown format "${to}"; formats: ${Object.keys(FORMATS).join(", ")}`);
  if (positionals.length === 0) throw new UsageError(`no .lprof file given (for example: tsprof export --to ${to} out.lprof)`);
  if (to === "cpuprofile") return exportCpuProfile(positionals, values.outfile as string | undefined);
  const files = positionals.map(readAnyProfile);
  const profile = mergeProfiles(files, { raw: values.raw === true });
  const out = (values.outfile as string | undefined) ?? defaultOutput(positionals[0], format.suffix);
  let data: Buffer | string;
  if (to === "kernprof") {
    if (out === "-") throw new UsageError("a pickle is binary and its sources go beside it; write it to a file with -o FILE");
    data = lineStatsPickle(profile, values["original-paths"] === true ? undefined : writeSnapshots(profile, files, out));
  }
  else if (to === "speedscope") {
    const version = (require("../../package.json") as { version: string }).version;
    data = JSON.stringify(exportSpeedscope(profile, files, path.basename(positionals[0]), `tsprof ${version}`));
  } else if (to === "istanbul") data = JSON.stringify(exportIstanbul(profile));
  else data = JSON.stringify(exportTable(profile, files), null, 1);
  return writeExport(to, data, out);
}

function writeExport(to: string, data: Buffer | string, out: string): number {
  if (out === "-") {
    process.stdout.write(data);
    return 0;
  }
  writeOutput("export", out, data);
  process.stderr.write(`Wrote ${to} export to '${out}'\n`);
  return 0;
}
