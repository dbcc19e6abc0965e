import { helpOption, parseArgs, UsageError, type CommandSpec } from "./args";
import { mergeProfiles } from "../report/profile";
import * as fs from "node:fs";
import { LprofError } from "../report/read";
import { readAnyProfile } from "../report/read-any";
import { formatMemoryReport, formatReport } from "../report/line-report";
import { useColor } from "./tty";
import { typescript7Hint } from "./typescript-7";
import { writeOutput } from "./write-output";

export const viewSpec: CommandSpec = {
  usage: "tsprof view [options] FILE.lprof...",
  summary: "Print the line-by-line report of one or more .lprof files, tsprof's or kernprof's (several files are merged: hits and times add up per line).",
  options: [
    { name: "unit", short: "u", type: "string", valueName: "UNIT", description: "time unit of the Time and Per Hit columns: seconds (1e-3) or ns, us, ms, s (default 1e-6)" },
    { name: "skip-zero", short: "z", type: "boolean", description: "hide functions that were never called" },
    { name: "sort", short: "t", type: "boolean", description: "order functions by ascending total time (the heaviest last)" },
    { name: "summarize", short: "m", type: "boolean", description: "add a one-line-per-function summary of total times" },
    { name: "wait", type: "boolean", description: "add a Wait column: time suspended at await/yield, per line" },
    { name: "samples", type: "boolean", description: "add a Samples column: sampler ticks behind each line's time (sampled runs)" },
    { name: "memory", type: "boolean", description: "print memory_profiler's report: Mem usage, Increment (bytes allocated), Occurrences" },
    { name: "precision", type: "string", valueName: "N", description: "decimals of MiB figures (default 1)" },
    { name: "raw", type: "boolean", description: "show times as measured, without subtracting the probes' own cost" },
    { name: "color", short: "r", type: "boolean", negatable: true, description: "color the report (default: only when stdout is a terminal)" },
    { name: "output", short: "o", type: "string", valueName: "FILE", description: "write the report to FILE instead of stdout (memory_profiler's stream=)" },
    { name: "stream", type: "string", valueName: "FILE", description: "the same as --output" },
    helpOption(),
  ],
  epilog: "Examples:\n  tsprof view out.lprof\n  tsprof view -u ms -z -t out.lprof other.lprof\n  tsprof view --memory --precision 3 --stream memory.txt out.lprof",
};

const UNIT_NAMES: Record<string, number> = { ns: 1e-9, us: 1e-6, "µs": 1e-6, ms: 1e-3, s: 1 };

/** `-u` as kernprof takes it (seconds, `1e-3`), or by name (`ms`). */
export function parseUnit(text: string): number {
  if (text in UNIT_NAMES) return UNIT_NAMES[text];
  const n = Number(text);
  // Bounded so that a report's figures stay finite: 5e-324 would print every time as Infinity.
  if (text.trim() === "" || !Number.isFinite(n) || n < 1e-15 || n > 1e3) {
    throw new UsageError(`invalid unit "${text}": give seconds from 1e-15 to 1000 (1e-3) or one of ns, us, ms, s`);
  }
  return n;
}

function parsePrecision(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 10) throw new UsageError(`invalid precision "${text}": give a whole number of decimals from 0 to 10`);
  return n;
}

export function view(argv: string[]): number {
  const { values, positionals } = parseArgs(argv, viewSpec);
  if (positionals.length === 0) throw new UsageError("no .lprof file given (for example: tsprof view out.lprof)");
  const outputUnit = values.unit !== undefined ? parseUnit(values.unit as string) : undefined;
  const precision = values.precision !== undefined ? parsePrecision(values.precision as string) : undefined;
  const target = (values.output ?? values.stream) as string | undefined;
  if (values.output !== undefined && values.stream !== undefined) throw new UsageError("give --output or --stream, not both");
  // A missing profile after a plugin build on TypeScript 7: say why, since neither build does.
  const missing = positionals.find((f) => !fs.existsSync(f));
  const ts7 = missing === undefined ? undefined : typescript7Hint();
  if (ts7) throw new LprofError(`tsprof: ${missing}: no such file; ${ts7}`);
  const files = positionals.map(readAnyProfile);
  const write = (report: string) => {
    if (target === undefined) return void process.stdout.write(report);
    writeOutput("view", target, report);
  };
  const profile = mergeProfiles(files, { raw: values.raw === true });
  if (values.memory === true) {
    write(formatMemoryReport(profile, { precision, skipZero: values["skip-zero"] === true, sort: values.sort === true }));
    return 0;
  }
  write(formatReport(profile, {
    outputUnit,
    memory: profile.memory,
    precision,
    skipZero: values["skip-zero"] === true,
    sort: values.sort === true,
    summarize: values.summarize === true,
    wait: values.wait === true,
    samples: values.samples === true,
    // A file gets no colors unless asked for.
    color: target === undefined ? useColor(values.color as boolean | undefined) : values.color === true,
  }));
  return 0;
}
