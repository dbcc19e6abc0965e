import { asksForHelp, closest, failUsage, helpOption, parseArgs, printHelp, UsageError, type CommandSpec } from "./args";
import { LprofError } from "../report/read";

interface Command {
  spec: CommandSpec;
  run(argv: string[]): number | Promise<number>;
}

// Commands load only when chosen: `tsprof run` starts programs, and every millisecond of its own start counts.
const COMMANDS: Record<string, () => Command> = {
  view: () => {
    const m = require("./view") as typeof import("./view");
    return { spec: m.viewSpec, run: m.view };
  },
  run: () => {
    const m = require("./run") as typeof import("./run");
    return { spec: m.runSpec, run: m.runCommand };
  },
  prof: () => {
    const m = require("./prof") as typeof import("./prof");
    return { spec: m.profSpec, run: m.profCommand };
  },
  stats: () => {
    const m = require("./stats") as typeof import("./stats");
    return { spec: m.statsSpec, run: m.statsCommand };
  },
  timeit: () => {
    const m = require("./timeit") as typeof import("./timeit");
    return { spec: m.timeitSpec, run: m.timeitCommand };
  },
  html: () => {
    const m = require("./html") as typeof import("./html");
    return { spec: m.htmlSpec, run: m.htmlCommand };
  },
  export: () => {
    const m = require("./export") as typeof import("./export");
    return { spec: m.exportSpec, run: m.exportCommand };
  },
  heap: () => {
    const m = require("./heap") as typeof import("./heap");
    return { spec: m.heapSpec, run: m.heapCommand };
  },
  mprof: () => {
    const m = require("./mprof") as typeof import("./mprof");
    return { spec: m.mprofSpec, run: m.mprofCommand };
  },
  build: () => {
    const m = require("./build") as typeof import("./build");
    return { spec: m.buildSpec, run: m.buildCommand };
  },
};

const mainSpec: CommandSpec = {
  usage: "tsprof <command> [options]",
  summary: "Line-level profiler for TypeScript.",
  options: [
    helpOption("show this help (tsprof <command> --help for a command's)"),
    { name: "version", short: "V", type: "boolean", description: "print the version" },
  ],
  epilog: [
    "commands:",
    "  view     print the line-by-line report of .lprof files",
    "  run      run a .ts/.js program with line profiling, no build step (tsprof run -v app.ts)",
    "  prof     run a .ts/.js program with a function-level profile, as python -m cProfile (tsprof prof app.ts)",
    "  stats    read function profiles: sort, restrict, callers/callees, merge, browse, export (as python -m pstats)",
    "  timeit   time a statement, as python -m timeit (autorange, best of 5, JIT-aware warnings)",
    "  html     write a self-contained HTML report: heat-mapped source, sortable functions",
    "  export   convert .lprof files: kernprof pickle, speedscope, istanbul coverage, a JSON table",
    "  heap     object counts, growth and retainer chains of V8 heap snapshots, as objgraph",
    "  mprof    memory over time, as mprof: run, plot (PNG, SVG, HTML), list, clean, rm, peak",
    "  build    build with ts-patch's tspc and the plugin; on TypeScript 7, one line saying what works",
    "  help     this text; tsprof help COMMAND: that command's options",
    "",
    "Profile a program: mark functions with /** @profile */, add { \"transform\": \"tsprof/transformer\" }",
    "to compilerOptions.plugins, build with tspc and run it; then: tsprof view out.lprof",
  ].join("\n"),
};

/** Commands that run the user's program in this process: its stdout is the program's own. */
const RUNS_PROGRAMS = new Set(["run", "prof", "mprof", "timeit"]);

/**
 * A report piped into `head` or `less` that is closed early ends the command quietly, as
 * `python -m line_profiler … | head` and `git log | head` do, instead of an EPIPE stack trace.
 */
function quietOnClosedStdout(): void {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode ?? 0);
  });
}

function version(): string {
  return (require("../../package.json") as { version: string }).version;
}

/** Runs the CLI; resolves to the exit code. Errors are one line on stderr, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  // `tsprof help [COMMAND]`, as git and npm have it.
  if (argv[0] === "help") argv = argv.length > 1 ? [argv[1], "--help"] : ["--help"];
  const [name, ...rest] = argv;
  const known = name !== undefined && Object.hasOwn(COMMANDS, name);
  if (!known || !RUNS_PROGRAMS.has(name!)) quietOnClosedStdout();
  try {
    const command = known ? COMMANDS[name!]() : undefined;
    if (!command) {
      const { values } = parseArgs(name === undefined ? [] : [name], mainSpec);
      if (values.version) {
        process.stdout.write(`${version()}\n`);
        return 0;
      }
      if (values.help || name === undefined) return printHelp(mainSpec, name === undefined ? 2 : 0);
      const guess = closest(name, [...Object.keys(COMMANDS), "help"]);
      throw new UsageError(`unknown command "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}; commands: ${Object.keys(COMMANDS).join(", ")}`);
    }
    if (asksForHelp(rest) && safeParse(rest, command.spec).values?.help) return printHelp(command.spec);
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) return failUsage(known ? name : undefined, e.message);
    if (e instanceof LprofError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`tsprof: internal error: ${err?.message ?? String(e)} (set TSPROF_DEBUG=1 for details)\n`);
    if (process.env.TSPROF_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return 70;
  }
}

function safeParse(argv: string[], spec: CommandSpec): { values?: Record<string, unknown> } {
  try {
    return parseArgs(argv, spec, spec.usage.includes("SCRIPT"));
  } catch {
    return {};
  }
}
