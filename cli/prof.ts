import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LoaderConfig } from "../loader/config";
import { runInProcess } from "../loader/in-process";
import { programEnv, runChild } from "../loader/launch";
import { projectLoaderConfig } from "../loader/project-config";
import { DEFAULT_INTERVAL_US, PROF_INTERVAL_ENV, PROF_MODE_ENV, PROF_OUTPUT_ENV } from "../runtime/calls-writer";
import type { ProfFile } from "../runtime/prof-format";
import { readProf, statsFromProf } from "../report/pstats-read";
import { SORT_KEYS } from "../report/pstats";
import { fail, helpOption, parseArgs, UsageError, type CommandSpec } from "./args";
import { sortOption } from "./sort-option";
import { adoptEnv, checkScript, endAsProgram, makeOutputDir, programCommand } from "./script";

export const profSpec: CommandSpec = {
  usage: "tsprof prof [-o FILE] [-s SORT] [--] [node-options] SCRIPT [args...]",
  summary: "Run a TypeScript or JavaScript program with a function-level profile, no build step: what python -m cProfile is to Python. "
    + "Every function of your own files is counted exactly; times come from V8's CPU profiler (or, with --mode clock, a clock at entry and exit); the report is printed "
    + "when the program ends, in cProfile's layout, or written to FILE for tsprof stats.",
  options: [
    { name: "outfile", short: "o", type: "string", valueName: "FILE", description: "write the profile to FILE (read it with tsprof stats FILE) instead of printing the report" },
    { name: "sort", short: "s", type: "string", multiple: true, valueName: "SORT", description: `sort the report by SORT (default stdname); repeatable; one of: ${Object.keys(SORT_KEYS).join(", ")} (unique prefixes accepted)` },
    { name: "mode", type: "string", valueName: "MODE", description: `how times are taken: sampler (default: exact counts from counters, times from V8's CPU profiler; built-ins, Node internals and node_modules get rows too) or clock (a clock read at every call's entry and exit: deterministic, as cProfile; costly for tiny functions)` },
    { name: "interval", type: "string", valueName: "US", description: `sampler mode: V8's sampling interval in microseconds (default ${DEFAULT_INTERVAL_US})` },
    { name: "node-modules", type: "boolean", description: "also profile the JavaScript of node_modules (compiled once, then cached)" },
    helpOption(),
  ],
  epilog: [
    "Node options go after --. Child processes and worker threads are profiled into the same profile.",
    "",
    "Examples:",
    "  tsprof prof app.ts                       print the report, ordered by standard name",
    "  tsprof prof -s cumulative app.ts input   ordered by cumulative time",
    "  tsprof prof -o app.prof app.ts && tsprof stats -s time app.prof",
  ].join("\n"),
};

class ProfError extends Error {}

interface ProfPlan {
  nodeArgs: string[];
  script: string;
  args: string[];
  output: string;
  keep: boolean;
  sort: string[];
  mode: "sampler" | "clock";
  interval: number;
  config: LoaderConfig;
}

const MODES = ["sampler", "clock"] as const;

function plan(argv: string[]): ProfPlan {
  const failure = (message: string) => new ProfError(message);
  const parsed = parseArgs(argv, profSpec, true);
  const values = parsed.values;
  const command = programCommand(parsed, failure);
  if (command.script === undefined) throw new UsageError("no script given; for example: tsprof prof app.ts");
  const script = checkScript(command.script, failure);
  const sort = sortOption(values.sort as string[] | undefined) ?? ["stdname"];
  const mode = (values.mode as string | undefined) ?? "sampler";
  if (!(MODES as readonly string[]).includes(mode)) throw new UsageError(`invalid mode "${mode}" for --mode; one of: ${MODES.join(", ")}`);
  const interval = values.interval === undefined ? DEFAULT_INTERVAL_US : Number(values.interval);
  if (!Number.isInteger(interval) || interval < 1 || interval > 1_000_000) throw new UsageError(`invalid --interval "${values.interval}"; a whole number of microseconds, 1 to 1000000`);
  if (values.interval !== undefined && mode !== "sampler") throw new UsageError("--interval is for --mode sampler");
  let config: LoaderConfig;
  try {
    config = projectLoaderConfig(path.dirname(script), { calls: true, callsNodeModules: values["node-modules"] === true });
  } catch (e) {
    throw new ProfError((e as Error).message);
  }
  const keep = typeof values.outfile === "string";
  const output = keep ? path.resolve(values.outfile as string) : path.join(os.tmpdir(), `tsprof-${process.pid}-${Date.now()}.prof`);
  if (keep) makeOutputDir(output, failure);
  return {
    nodeArgs: command.nodeArgs, script, args: command.args, output, keep, sort,
    mode: mode as ProfPlan["mode"], interval, config,
  };
}

/** `tsprof prof`: the program's exit code. */
export async function profCommand(argv: string[]): Promise<number> {
  let p: ProfPlan;
  try {
    p = plan(argv);
  } catch (e) {
    if (!(e instanceof ProfError) && !(e instanceof UsageError)) throw e;
    const hint = e instanceof UsageError ? " (see tsprof prof --help)" : "";
    return fail("prof", `${(e as Error).message}${hint}`, 2);
  }
  const session = `${process.pid}-${Date.now()}`;
  // TSPROF=0: the line profiler's runtime stays out of it (nothing of it is instrumented here).
  const settings = { [PROF_OUTPUT_ENV]: p.output, TSPROF: "0", [PROF_MODE_ENV]: p.mode, [PROF_INTERVAL_ENV]: String(p.interval) };
  const env = programEnv(process.env, { output: p.output, id: session, settings }, p.config);
  fs.rmSync(p.output, { force: true });
  if (p.nodeArgs.length === 0) {
    adoptEnv(env);
    // The line profiler's runtime is off (TSPROF=0), so the function profile's writer owns exit and signals.
    const { onProfSignalEnd } = require("../runtime/calls-writer") as typeof import("../runtime/calls-writer");
    onProfSignalEnd(() => finish(p, session));
    runInProcess(p.script, p.args, {
      onExit: () => finish(p, session),
      onSignal: { module: __filename, name: "finishAfterSignal", arg: { plan: p, session } },
    });
    return new Promise<number>(() => {});
  }
  const { code, signal } = await runChild([...p.nodeArgs, p.script, ...p.args], env);
  finish(p, session);
  return endAsProgram(code, signal);
}

/** The report after a signal, from the watchdog thread (see runtime/watchdog.ts), before the process dies by it. */
export function finishAfterSignal(arg: { plan: ProfPlan; session: string }): void {
  finish(arg.plan, arg.session);
}

function finish(p: ProfPlan, session: string): void {
  let prof: ProfFile;
  try {
    prof = readProf(p.output);
  } catch (e) {
    if (fs.existsSync(p.output)) process.stderr.write(`tsprof prof: ${(e as Error).message}\n`);
    return;
  }
  const runs = prof.runs.filter((r) => r.session === session);
  if (!p.keep) fs.rmSync(p.output, { force: true });
  if (p.keep) return;
  // A program that profiles itself (tsprof/profile) prints its own reports.
  if (runs.some((r) => (r as { selfProfiled?: boolean }).selfProfiled)) return;
  // As cProfile's own report: directories stripped, sorted by -s.
  const stats = statsFromProf({ ...prof, runs }).stripDirs().sort(...p.sort);
  process.stdout.write(stats.printStats());
}
