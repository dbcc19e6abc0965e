import * as fs from "node:fs";
import * as path from "node:path";
import type { LoaderConfig } from "../loader/config";
import { programEnv } from "../loader/launch";
import { mprofRun } from "../loader/mprof-run";
import { canSample } from "../loader/mprof-sampler";
import { projectLoaderConfig } from "../loader/project-config";
import { commandLine, MprofDataError, parseMprof, peakOf, pyFixed, type MprofData } from "../report/mprof-data";
import { plotHtml } from "../report/mprof-html";
import { drawPlot, plotModel } from "../report/mprof-plot";
import { asksForHelp, fail, failUsage, helpOption, parseArgs, printHelp, UsageError, type CommandSpec } from "./args";
import { checkScript, endAsProgram, parseProgramArgs, programCommand } from "./script";

/** mprof's own file names: `mprofile_YYYYMMDDhhmmss.dat`. */
const PROFILE_NAME = /^mprofile_\d{14}\.dat$/;

export const mprofSpec: CommandSpec = {
  usage: "tsprof mprof <run|plot|list|clean|rm|peak> [options]   (tsprof mprof run [options] [--] SCRIPT [args...])",
  summary: "Memory over time, as memory_profiler's mprof: run a program sampling its memory, plot it, list, clean, remove or take the peak of the data files.",
  options: [helpOption("show this help (tsprof mprof <command> --help for a command's)")],
  epilog: [
    "commands:",
    "  run     run a .ts/.js program, sampling its memory (writes mprofile_YYYYMMDDhhmmss.dat)",
    "  plot    draw memory against time: PNG, SVG or an interactive HTML page",
    "  list    the data files in this directory, with their indices",
    "  clean   remove every data file in this directory",
    "  rm      remove data files, by index or name",
    "  peak    the peak memory of data files",
    "",
    "Examples:",
    "  tsprof mprof run app.ts && tsprof mprof plot",
    "  tsprof mprof run -T 0.01 -C -o mem.dat -- --max-old-space-size=4096 server.ts",
    "  tsprof mprof plot -o mem.html mem.dat",
  ].join("\n"),
};

const runSpec: CommandSpec = {
  usage: "tsprof mprof run [options] [--] [node-options] SCRIPT [args...]",
  summary: "Run a TypeScript or JavaScript program (no build step, as tsprof run) and sample its memory every interval: "
    + "resident memory read from outside the program, and its V8 heap. Calls of functions marked /** @profile */ are recorded as brackets.",
  options: [
    { name: "interval", short: "T", type: "string", valueName: "SECONDS", description: "sampling period in seconds (default 0.1)" },
    { name: "include-children", short: "C", type: "boolean", description: "add the memory of child processes to the program's, and sum every thread's V8 heap (HEAPALL)" },
    { name: "multiprocess", short: "M", type: "boolean", description: "sample each child process, and each worker thread's V8 heap, on a line of its own (CHLD)" },
    { name: "output", short: "o", type: "string", valueName: "FILE", description: "data file (default mprofile_YYYYMMDDhhmmss.dat in the current directory); appended to if it exists, as mprof does" },
    { name: "heap", type: "boolean", negatable: true, description: "sample the main thread's V8 heap too (default; its sampler thread adds ~10 MB to the RSS, see docs/mprof.md)" },
    helpOption(),
  ],
  epilog: "mprof: Sampling memory every 0.1s is printed on stderr; the program's stdin, stdout, stderr, exit code and signals are its own.",
};

const plotSpec: CommandSpec = {
  usage: "tsprof mprof plot [options] [FILE.dat | INDEX]...",
  summary: "Draw memory against time from a data file (default: the newest mprofile_*.dat here): the RSS curve, the V8 heap, a bracket per profiled call, the peak marked.",
  options: [
    { name: "output", short: "o", type: "string", valueName: "FILE", description: "out.png, out.svg or out.html (interactive: zoom, values under the pointer); default: the data file's name with .png" },
    { name: "title", short: "t", type: "string", valueName: "TITLE", description: "title (default: the command line)" },
    { name: "slope", short: "s", type: "boolean", description: "draw the trend line of the RSS and its slope" },
    { name: "window", short: "w", type: "string", valueName: "T0,T1", description: "only the time from T0 to T1 seconds (e.g. 0,20.5)" },
    { name: "no-function-ts", short: "n", type: "boolean", description: "do not draw the profiled calls' brackets" },
    { name: "backend", type: "string", valueName: "png|svg|html", description: "the format when -o is not given (default png)" },
    helpOption(),
  ],
};

const listSpec: CommandSpec = { usage: "tsprof mprof list", summary: "List the data files (mprofile_*.dat) in this directory, oldest first, with their indices.", options: [helpOption()] };
const dryRun = { name: "dry-run", type: "boolean" as const, description: "show what would be removed, and remove nothing" };
const cleanSpec: CommandSpec = { usage: "tsprof mprof clean [--dry-run]", summary: "Remove every data file (mprofile_*.dat) in this directory.", options: [dryRun, helpOption()] };
const rmSpec: CommandSpec = { usage: "tsprof mprof rm [--dry-run] INDEX|FILE...", summary: "Remove data files, by index (0 the oldest, -1 the newest) or by name.", options: [dryRun, helpOption()] };
const peakSpec: CommandSpec = { usage: "tsprof mprof peak [FILE.dat | INDEX]...", summary: "Print the peak memory of data files (default: the newest mprofile_*.dat here), and of each child process.", options: [helpOption()] };

/** A problem with the input (a file, the program): one line, exit 1. */
class MprofError extends Error {}

const SUBCOMMANDS: Record<string, { spec: CommandSpec; run(argv: string[]): number | Promise<number> }> = {
  run: { spec: runSpec, run: runAction },
  plot: { spec: plotSpec, run: plotAction },
  list: { spec: listSpec, run: listAction },
  clean: { spec: cleanSpec, run: cleanAction },
  rm: { spec: rmSpec, run: rmAction },
  peak: { spec: peakSpec, run: peakAction },
};

/** `tsprof mprof <command>`. */
export async function mprofCommand(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help") return printHelp(mprofSpec, name === undefined ? 2 : 0);
  const sub = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!sub) throw new UsageError(`unknown mprof command "${name}"; commands: ${Object.keys(SUBCOMMANDS).join(", ")}`);
  try {
    // run reads its own options: from the script on, words are the program's.
    if (name !== "run" && asksForHelp(rest)) return printHelp(sub.spec);
    return await sub.run(rest);
  } catch (e) {
    if (e instanceof UsageError) return failUsage(`mprof ${name}`, e.message);
    if (e instanceof MprofError || e instanceof MprofDataError) return fail(`mprof ${name}`, e.message, 1);
    throw e;
  }
}

/** mprof prints the interval as Python prints a float: `0.1`, `1.0`. */
const pyFloat = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n));

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

async function runAction(argv: string[]): Promise<number> {
  const usage = (message: string) => new UsageError(message);
  const parsed = parseProgramArgs(argv, runSpec, "tsprof mprof run", usage);
  const values = parsed.values;
  if (values.help) return printHelp(runSpec);
  const command = programCommand(parsed, usage);
  if (command.script === undefined) throw new UsageError("no script given; for example: tsprof mprof run app.ts");
  const interval = values.interval === undefined ? 0.1 : Number(values.interval);
  if (!(interval > 0) || !Number.isFinite(interval)) throw new UsageError(`invalid interval "${values.interval}" for -T: give a positive number of seconds (0.1)`);
  const script = checkScript(command.script, (message) => new MprofError(message));
  if (!canSample()) throw new MprofError("this system has no /proc to read memory from; tsprof mprof run needs Linux");
  let config: LoaderConfig;
  try {
    config = projectLoaderConfig(path.dirname(script));
  } catch (e) {
    throw new MprofError((e as Error).message);
  }
  const output = path.resolve(typeof values.output === "string" ? values.output : `mprofile_${stamp(new Date())}.dat`);
  try {
    fs.mkdirSync(path.dirname(output), { recursive: true });
    fs.appendFileSync(output, "");
  } catch (e) {
    throw new MprofError(`cannot write ${output} (${(e as NodeJS.ErrnoException).code}); pass another path with -o`);
  }
  // Brackets go to the launcher, not to a .lprof: no line profile is written under mprof.
  const env = programEnv(process.env, { output: `${output}.lprof`, id: `${process.pid}-${Date.now()}`, settings: {} }, config);
  process.stderr.write(`mprof: Sampling memory every ${pyFloat(interval)}s\n`);
  const result = await mprofRun({
    args: [...command.nodeArgs, script, ...command.args],
    env,
    interval,
    includeChildren: values["include-children"] === true,
    multiprocess: values.multiprocess === true,
    heap: values.heap !== false,
    output,
    cmdline: commandLine([command.script, ...command.args]),
  });
  const rel = path.relative(process.cwd(), output);
  const shown = rel && !rel.startsWith("..") ? rel : output;
  process.stderr.write(`mprof: wrote ${shown} (${result.samples} samples, ${result.calls} profiled call${result.calls === 1 ? "" : "s"}); draw it with: tsprof mprof plot ${shown}\n`);
  return endAsProgram(result.code, result.signal);
}

/** The data files here, oldest first (their names sort by time). */
function profiles(): string[] {
  return fs.readdirSync(".").filter((f) => PROFILE_NAME.test(f)).sort();
}

/** Files named or numbered on the command line (mprof's rule: an index into `profiles()`, -1 the newest). */
function chosenFiles(args: string[], fallbackNewest: boolean): string[] {
  const all = profiles();
  if (args.length === 0) {
    if (!fallbackNewest) return [];
    if (all.length === 0) throw new MprofError("no data file given and no mprofile_*.dat here; run tsprof mprof run first, or pass a file");
    return [all[all.length - 1]];
  }
  const out: string[] = [];
  for (const a of args) {
    let file: string | undefined;
    if (fs.existsSync(a)) {
      if (fs.statSync(a).isDirectory()) throw new MprofError(`${a}: is a directory; pass a data file`);
      file = a;
    } else if (/^-?\d+$/.test(a)) {
      const i = Number(a);
      file = all[i < 0 ? all.length + i : i];
      if (file === undefined) throw new MprofError(`${a}: no such profile index (there are ${all.length}: see tsprof mprof list)`);
    } else {
      throw new MprofError(`${a}: no such file; pass a data file or an index from tsprof mprof list`);
    }
    if (!out.includes(file)) out.push(file);
  }
  return out;
}

/** mprof reads `-1` as an index, not a flag: everything from the first negative number on is positional. */
function withIndices(argv: string[]): string[] {
  const i = argv.findIndex((a) => /^-\d+$/.test(a));
  return i < 0 || argv.slice(0, i).includes("--") ? argv : [...argv.slice(0, i), "--", ...argv.slice(i)];
}

function readData(file: string): MprofData {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new MprofError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code}); pass another file`);
  }
  return parseMprof(text, file);
}

function parseWindow(text: string): [number, number] {
  const parts = text.split(",").map((s) => Number(s.trim()));
  if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n)) || parts[0] >= parts[1]) {
    throw new UsageError(`invalid window "${text}" for -w: give two increasing numbers of seconds separated by a comma (0,20.5)`);
  }
  return [parts[0], parts[1]];
}

async function plotAction(argv: string[]): Promise<number> {
  const { values, positionals, rest } = parseArgs(withIndices(argv), plotSpec);
  const files = chosenFiles([...positionals, ...rest], true);
  if (files.length > 1) throw new UsageError("one data file at a time; plot each to its own picture");
  const window = typeof values.window === "string" ? parseWindow(values.window) : undefined;
  const backend = values.backend as string | undefined;
  if (backend !== undefined && !["png", "svg", "html"].includes(backend)) throw new UsageError(`invalid --backend "${backend}": png, svg or html`);
  const out = typeof values.output === "string" ? values.output : files[0].replace(/\.dat$/, "") + `.${backend ?? "png"}`;
  const format = path.extname(out).slice(1).toLowerCase();
  if (!["png", "svg", "html", "htm"].includes(format)) throw new UsageError(`cannot draw ${out}: the name must end in .png, .svg or .html`);
  const data = readData(files[0]);
  const model = plotModel(data, { title: values.title as string | undefined, slope: values.slope === true, functions: values["no-function-ts"] !== true });
  let bytes: string | Buffer;
  if (format === "html" || format === "htm") {
    bytes = plotHtml(model, `tsprof ${(require("../../package.json") as { version: string }).version}`, window);
  } else {
    const { svg } = drawPlot(model, { width: 1100, height: 560, window });
    bytes = format === "svg" ? svg : (require("../report/svg-png") as typeof import("../report/svg-png")).svgToPng(svg, 1);
  }
  try {
    fs.writeFileSync(out, bytes);
  } catch (e) {
    throw new MprofError(`cannot write ${out} (${(e as NodeJS.ErrnoException).code}); pass another path with -o`);
  }
  process.stdout.write(`Wrote plot to '${out}'\n`);
  return 0;
}

function listAction(argv: string[]): number {
  parseArgs(argv, listSpec);
  profiles().forEach((f, n) => {
    const ts = f.slice(9, 23);
    process.stdout.write(`${n} ${f} ${ts.slice(8, 10)}:${ts.slice(10, 12)}:${ts.slice(12, 14)} ${ts.slice(6, 8)}/${ts.slice(4, 6)}/${ts.slice(0, 4)}\n`);
  });
  return 0;
}

function remove(files: string[], dry: boolean): number {
  if (dry) {
    process.stdout.write("Files to be removed: \n");
    for (const f of files) process.stdout.write(`${f}\n`);
    return 0;
  }
  for (const f of files) fs.rmSync(f);
  return 0;
}

function cleanAction(argv: string[]): number {
  const { values } = parseArgs(argv, cleanSpec);
  return remove(profiles(), values["dry-run"] === true);
}

function rmAction(argv: string[]): number {
  const { values, positionals, rest } = parseArgs(withIndices(argv), rmSpec);
  const args = [...positionals, ...rest];
  if (args.length === 0) throw new UsageError("a profile to remove must be given (an index or a file name; see tsprof mprof list)");
  return remove(chosenFiles(args, false), values["dry-run"] === true);
}

/** Not Math.max(...xs): an hour sampled every 0.01 s is more arguments than a call takes. */
const maxOf = (xs: number[]) => xs.reduce((a, b) => (b > a ? b : a), -Infinity);

function peakAction(argv: string[]): number {
  const { positionals, rest } = parseArgs(withIndices(argv), peakSpec);
  for (const file of chosenFiles([...positionals, ...rest], true)) {
    const d = readData(file);
    process.stdout.write(`${file}\t${pyFixed(peakOf(d).mem, 3)} MiB\n`);
    for (const [n, s] of d.children) process.stdout.write(`  Child ${n}\t\t\t${pyFixed(maxOf(s.mem), 3)} MiB\n`);
    if (d.heap.used.length) process.stdout.write(`  V8 heap used\t\t${pyFixed(maxOf(d.heap.used), 3)} MiB\n`);
    if (d.heapAll.used.length) process.stdout.write(`  V8 heaps used, all threads\t${pyFixed(maxOf(d.heapAll.used), 3)} MiB\n`);
  }
  return 0;
}
