import * as fs from "node:fs";
import * as path from "node:path";
import { typescriptDir, type LoaderConfig } from "../loader/config";
import { runInProcess } from "../loader/in-process";
import { programEnv, runChild } from "../loader/launch";
import { projectLoaderConfig } from "../loader/project-config";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile } from "../runtime/lprof";
import { readRegularFile, replaceFile } from "../runtime/writer";
import { fail, helpOption, UsageError, type CommandSpec } from "./args";
import { adoptEnv, checkScript, endAsProgram, makeOutputDir, parseProgramArgs, programCommand } from "./script";
// The report side (view, line-report, profile and what they load: ~3 ms on node 20) is only
// needed once the program has ended, or for -u: loaded then, not before the program starts.
import type { parseUnit as ParseUnit } from "./view";

export const runSpec: CommandSpec = {
  usage: "tsprof run [options] [--] [node-options] SCRIPT [args...]",
  summary: "Run a TypeScript or JavaScript program (.ts .mts .cts .js .mjs .cjs) with line profiling, no build step: "
    + "what kernprof -l is to Python. Functions marked /** @profile */ (or @profile) are profiled, plus those -p and --all select; "
    + "child processes and worker threads are profiled into the same file.",
  options: [
    { name: "outfile", short: "o", type: "string", valueName: "FILE", description: "where to write the profile (default: SCRIPT.lprof, e.g. app.ts.lprof, in the current directory)" },
    { name: "view", short: "v", type: "boolean", description: "print the line-by-line report after the program ends" },
    { name: "quiet", short: "q", type: "boolean", description: "do not print where the profile was written" },
    { name: "unit", short: "u", type: "string", valueName: "UNIT", description: "with -v: time unit of the report, seconds (1e-3) or ns, us, ms, s (default 1e-6)" },
    { name: "skip-zero", short: "z", type: "boolean", description: "with -v: hide functions that were never called" },
    { name: "output-interval", short: "i", type: "string", valueName: "SECONDS", description: "also write the profile every SECONDS seconds (for servers that are never stopped cleanly)" },
    { name: "prof-mod", short: "p", type: "string", multiple: true, valueName: "PATTERN", description: "profile every function of matching files (src/util.ts, src/, 'src/**/*.ts', util.ts), or one function: FILE:NAME (src/cart.ts:Cart.total); repeatable, or comma-separated" },
    { name: "all", type: "boolean", description: "profile every function of your own files (not node_modules)" },
    { name: "sample", type: "boolean", description: "sampled timing: exact hits, times estimated by a sampler (docs/sampling.md)" },
    { name: "v8", type: "boolean", description: "V8 timing: exact hits, line times from V8's own CPU profiler on each thread (docs/v8-mode.md)" },
    { name: "exact", type: "boolean", description: "exact timing: a clock read per line, probe cost calibrated out (docs/calibration.md)" },
    { name: "rate", type: "string", valueName: "HZ", description: "with --sample or --v8: samples per second (default 4000 sampled, 10000 v8)" },
    { name: "memory", type: "boolean", description: "also measure memory per line (docs/memory.md)" },
    { name: "html", type: "boolean", description: "also write an HTML report beside the profile (app.ts.html)" },
    helpOption(),
  ],
  epilog: [
    "Node options go after --; the program's exit code and signals are tsprof's; stdin, stdout and stderr are the program's.",
    "",
    "Examples:",
    "  tsprof run -v app.ts                  profile the marked functions, print the report",
    "  tsprof run -p src/parse.ts app.ts     profile every function of src/parse.ts, no markers",
    "  tsprof run -i 10 -o server.lprof server.ts --port 8080",
    "  tsprof run -- --max-old-space-size=4096 app.ts input.json",
    "  tsprof run -- --test test/*.test.ts   node's test runner, every test file into test.lprof",
  ].join("\n"),
};

/** Longest `-i`: Node's timers hold at most 2^31 - 1 milliseconds. */
const MAX_INTERVAL_S = Math.floor((2 ** 31 - 1) / 1000);

/** A problem found before the program starts: one line, exit 2. */
class RunError extends Error {}

interface RunPlan {
  nodeArgs: string[];
  /** Absolute path; none for `node --test` without files. */
  script: string | undefined;
  args: string[];
  output: string;
  /** Runtime settings for the program's environment (`TSPROF_TIMING`, …). */
  settings: Record<string, string>;
  view: boolean;
  quiet: boolean;
  unit?: number;
  skipZero: boolean;
  html: boolean;
  config: LoaderConfig;
}

function plan(argv: string[]): RunPlan {
  const failure = (message: string) => new RunError(message);
  const parsed = parseProgramArgs(argv, runSpec, "tsprof run", failure);
  const values = parsed.values;
  const command = programCommand(parsed, failure);
  const test = command.test === true;
  // Measured on node 20, 22 and 24: tsx's require() hook replaces tsprof's in CommonJS (nothing
  // profiled on 20, a crash on 22 and 24), and ts-node type-checks tsprof's JavaScript as TypeScript.
  const foreign = foreignLoader(command.nodeArgs);
  if (foreign) {
    const rest = [...(foreign.rest.length ? ["--", ...foreign.rest] : []), command.script ?? "SCRIPT", ...command.args].join(" ");
    throw new RunError(`${foreign.loader} is not needed: tsprof run compiles TypeScript itself, and a second TypeScript loader would compile the same files again `
      + `without probes; drop it: tsprof run [options] ${rest}`);
  }
  if (command.script === undefined && !test) throw new UsageError("no script given; for example: tsprof run -v app.ts");
  // `node --test` takes files, globs (node 21+) or nothing; node itself says what it cannot find.
  const script = test ? path.resolve(command.script ?? ".") : checkScript(command.script!, failure);
  const scriptDir = command.script === undefined ? process.cwd() : path.dirname(script);
  if (!test && fs.statSync(script).isDirectory()) {
    throw new RunError(`${command.script} is a directory; pass the script to run (for example ${path.join(command.script!, "index.ts")})`);
  }
  const settings: Record<string, string> = {};
  const positive = (name: string, short: string, what: string) => {
    const n = Number(values[name]);
    if (!(n > 0)) throw new UsageError(`invalid ${what} "${values[name]}" for ${short}: give a positive number`);
    return String(n);
  };
  if (values["output-interval"] !== undefined) {
    // Node's timers hold at most 2^31 - 1 ms (longer ones fire every millisecond, with a warning).
    const seconds = Number(values["output-interval"]);
    if (!(seconds >= 0.01 && seconds <= MAX_INTERVAL_S)) {
      throw new UsageError(`invalid interval "${values["output-interval"]}" for -i: give seconds from 0.01 to ${MAX_INTERVAL_S}`);
    }
    settings.TSPROF_INTERVAL = String(seconds);
  }
  const timings = (["sample", "v8", "exact"] as const).filter((t) => values[t]);
  if (timings.length > 1) throw new UsageError(`choose one timing: ${timings.map((t) => `--${t}`).join(" or ")}`);
  if (values.sample) settings.TSPROF_TIMING = "sampled";
  if (values.v8) settings.TSPROF_TIMING = "v8";
  if (values.exact) settings.TSPROF_TIMING = "exact";
  if (values.rate !== undefined) {
    if (!values.sample && !values.v8) throw new UsageError("--rate needs --sample or --v8");
    settings.TSPROF_RATE = positive("rate", "--rate", "rate");
  }
  if (values.memory) settings.TSPROF_MEMORY = "1";
  // Comma-separated, except inside a glob's `{a,b}`.
  const patterns = ((values["prof-mod"] as string[] | undefined) ?? []).flatMap((p) => p.split(/,(?![^{]*\})/)).map((p) => p.trim()).filter(Boolean);
  let config: LoaderConfig;
  try {
    config = projectLoaderConfig(scriptDir, { all: values.all === true, patterns });
  } catch (e) {
    throw new RunError((e as Error).message);
  }
  const output = path.resolve(typeof values.outfile === "string" ? values.outfile : test ? "test.lprof" : `${path.basename(script)}.lprof`);
  const existing = fs.statSync(output, { throwIfNoEntry: false });
  if (existing && !existing.isFile()) {
    const what = existing.isDirectory() ? "a directory" : existing.isFIFO() ? "a named pipe" : "not a regular file";
    throw new RunError(`-o ${path.relative(process.cwd(), output) || output} is ${what}; pass a file path for the profile (for example ${path.join(path.relative(process.cwd(), output) || ".", "app.lprof")})`);
  }
  makeOutputDir(output, failure);
  return {
    nodeArgs: command.nodeArgs,
    script: command.script === undefined ? undefined : script,
    args: command.args,
    output,
    settings,
    view: values.view === true,
    quiet: values.quiet === true,
    unit: values.unit !== undefined ? (require("./view") as { parseUnit: typeof ParseUnit }).parseUnit(values.unit as string) : undefined,
    skipZero: values["skip-zero"] === true,
    html: values.html === true,
    config,
  };
}

/** `tsprof run`: the program's exit code (or the signal that ended it, re-raised). */
export async function runCommand(argv: string[]): Promise<number> {
  let p: RunPlan;
  try {
    p = plan(argv);
  } catch (e) {
    // A usage error is the CLI's to print, in every command's words; this command's own: one line.
    if (!(e instanceof RunError)) throw e;
    return fail("run", e.message, 2);
  }
  const session = `${process.pid}-${Date.now()}`;
  const started = Date.now();
  const env = programEnv(process.env, { output: p.output, id: session, settings: p.settings }, p.config);
  if (p.nodeArgs.length === 0 && p.script !== undefined) {
    adoptEnv(env);
    runInProcess(p.script, p.args, {
      onExit: (code) => finish(p, session, started, code === 0),
      onSignal: { module: __filename, name: "finishAfterSignal", arg: { plan: p, session, started } },
    });
    // From here on the program decides when and how this process ends.
    return new Promise<number>(() => {});
  }
  // Node options can only be given to a new node process: the program runs in a child.
  const { code, signal } = await runChild([...p.nodeArgs, ...(p.script === undefined ? [] : [p.script]), ...p.args], env);
  finish(p, session, started, code === 0);
  return endAsProgram(code, signal);
}

/**
 * This session's runs in the output. A program that ran to success always leaves a profile
 * (kernprof always writes one; the report then says why it is empty); one that failed before
 * profiling anything (a syntax error, say) leaves no file and nothing more is said.
 */
function sessionProfile(output: string, session: string, started: number, succeeded: boolean): LprofFile | undefined {
  // With probes off (`TSPROF=0`) nothing is measured, and nothing is written: the file is left alone.
  if (process.env.TSPROF === "0") return undefined;
  let file: LprofFile | undefined;
  try {
    file = JSON.parse(readRegularFile(output) ?? "null") as LprofFile | undefined;
  } catch {
    file = undefined;
  }
  const runs = file?.runs ?? [];
  const ours = runs.filter((r) => r.session === session);
  if (!succeeded && !ours.some((r) => r.functions.length > 0)) {
    if (runs.length > 0 && ours.length === runs.length) fs.rmSync(output, { force: true });
    return undefined;
  }
  if (ours.length === 0) {
    const others = runs.filter((r) => Date.parse(r.end) >= started);
    const empty: LprofFile = { format: LPROF_FORMAT, version: LPROF_VERSION, unit: 1e-9, runs: others };
    replaceFile(output, JSON.stringify(empty));
  }
  return { format: LPROF_FORMAT, version: LPROF_VERSION, unit: file?.unit ?? 1e-9, runs: ours };
}

/** `finish` for a program a signal ends: run by the watchdog thread, just before the process dies. */
export function finishAfterSignal(arg: { plan: RunPlan; session: string; started: number }): void {
  finish(arg.plan, arg.session, arg.started, false);
}

/**
 * `-p` patterns none of whose files has a function in the profile (most likely mistyped), each
 * with whether it names the TypeScript tsprof itself compiles with (which is never instrumented).
 */
function unmatchedPatterns(config: LoaderConfig, profile: LprofFile): [pattern: string, ownTypescript: boolean][] {
  if (config.patterns.length === 0) return [];
  const { createMatcher } = require("../loader/match") as typeof import("../loader/match");
  const files = new Set(profile.runs.flatMap((r) => r.functions.map((f) => path.resolve(config.cwd, f.file))));
  const ownTypescript = path.join(typescriptDir(), "lib", "typescript.js");
  return config.patterns.flatMap((pattern): [string, boolean][] => {
    const matches = createMatcher([pattern], false, config.cwd);
    return [...files].some((f) => matches(f)) ? [] : [[pattern, !!matches(ownTypescript)]];
  });
}

function finish(p: RunPlan, session: string, started: number, succeeded: boolean): void {
  let profile: LprofFile | undefined;
  try {
    profile = sessionProfile(p.output, session, started, succeeded);
  } catch (e) {
    process.stderr.write(`tsprof run: could not write ${p.output} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a writable path with -o\n`);
    return;
  }
  if (!profile) return;
  for (const [pattern, ownTypescript] of unmatchedPatterns(p.config, profile)) {
    process.stderr.write(ownTypescript
      ? `tsprof run: -p ${pattern} selected nothing: the program uses the TypeScript tsprof compiles with (${typescriptDir()}), which is never profiled; install a typescript of its own in the project to profile it\n`
      : `tsprof run: -p ${pattern} selected nothing: no file the program loaded matches it (or none with a function); `
        + `patterns are paths relative to ${p.config.cwd} (src/util.ts, src/, .), file names at any depth (util.ts), globs ('src/**/*.ts') or package names\n`);
  }
  const rel = path.relative(process.cwd(), p.output);
  const shown = rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p.output;
  if (!p.quiet) process.stdout.write(`Wrote profile results to '${shown}'\n`);
  if (p.html) writeHtml(p, profile, shown);
  if (p.view) {
    const { mergeProfiles } = require("../report/profile") as typeof import("../report/profile");
    const { formatReport } = require("../report/line-report") as typeof import("../report/line-report");
    const { useColor } = require("./tty") as typeof import("./tty");
    process.stdout.write(formatReport(mergeProfiles([profile]), { outputUnit: p.unit, skipZero: p.skipZero, color: useColor(undefined) }));
  } else if (!p.quiet) {
    process.stdout.write(`Inspect results with:\n${viewCommand()} view ${shown.includes(" ") ? JSON.stringify(shown) : shown}\n`);
  }
}

/**
 * As kernprof, a command that works as typed. A project's own install of tsprof (under npx, an
 * npm script, or node_modules/.bin/tsprof) is on no PATH of the user's shell, and npx finds it
 * from anywhere in that project; a global install is on PATH.
 */
function viewCommand(): string {
  if (process.env.npm_command === "exec") return "npx tsprof";
  const modules = path.dirname(path.resolve(__dirname, "../.."));
  const project = path.dirname(modules);
  const rel = path.relative(project, process.cwd());
  const inProject = path.basename(modules) === "node_modules" && !rel.startsWith("..") && !path.isAbsolute(rel);
  return inProject ? "npx tsprof" : "tsprof";
}

function writeHtml(p: RunPlan, profile: LprofFile, shown: string): void {
  const { htmlPathFor, writeHtmlReport } = require("./html") as typeof import("./html");
  const out = htmlPathFor(p.output);
  try {
    writeHtmlReport([profile], out, { title: `tsprof: ${p.script === undefined ? "node --test" : path.basename(p.script)}`, outputUnit: p.unit });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return;
  }
  if (!p.quiet) process.stdout.write(`Wrote HTML report to '${htmlPathFor(shown)}'\n`);
}

/** A TypeScript loader among the node options (`--import tsx`, `-r ts-node/register`): as written, and the options without it. */
function foreignLoader(nodeArgs: string[]): { loader: string; rest: string[] } | undefined {
  for (let i = 0; i < nodeArgs.length; i++) {
    const [flag, inline] = nodeArgs[i].split("=", 2);
    if (!["--import", "--require", "-r", "--loader", "--experimental-loader"].includes(flag)) continue;
    const value = inline ?? nodeArgs[i + 1] ?? "";
    if (!/^(tsx|ts-node|@swc-node\/register|@esbuild-kit\/|esbuild-register)/.test(value)) continue;
    const width = inline === undefined ? 2 : 1;
    return { loader: nodeArgs.slice(i, i + width).join(" "), rest: [...nodeArgs.slice(0, i), ...nodeArgs.slice(i + width)] };
  }
  return undefined;
}
