import { describeThrown } from "../timeit/_describe";
import { formatTime, isTimeUnit, UNITS, type TimeUnit } from "../timeit/format";
import { emptyHarness } from "../timeit/harness";
import { measure } from "../timeit/measure";
import { formatJson, formatReport, formatStep } from "../timeit/report";
import { compileSnippets, SnippetError, type Snippets } from "../timeit/snippet";
import { LoopTimer, TimedCodeError } from "../timeit/timer";
import { fail, helpOption, parseArgs, UsageError, type CommandSpec } from "./args";

/** Options of `tsprof timeit`: `python -m timeit`'s, plus `--json` and `--import`. */
export const timeitSpec: CommandSpec = {
  usage: "tsprof timeit [-n N] [-r R] [-s SETUP]... [-u UNIT] [-v] [--json] [--import MODULE]... [--] [STMT...]",
  summary: "Time a TypeScript or JavaScript statement, as python -m timeit does (several STMT arguments are joined by newlines).",
  options: [
    { name: "number", short: "n", type: "string", valueName: "N", description: "loops per run (default: 1, 2, 5, 10, 20, 50, … until a run takes ≥ 0.2 s)" },
    { name: "repeat", short: "r", type: "string", valueName: "R", description: "runs; the best is reported (default 5)" },
    { name: "setup", short: "s", type: "string", multiple: true, valueName: "SETUP", description: "code run before each run, untimed; repeat for more lines (import lines allowed)" },
    { name: "unit", short: "u", type: "string", valueName: "UNIT", description: "time unit of the output: nsec, usec, msec or sec (default: per value)" },
    { name: "verbose", short: "v", type: "boolean", multiple: true, description: "show autorange steps, raw times, p75/p99, empty loop and GC; -vv one more digit" },
    { name: "json", type: "boolean", description: "print every figure as JSON (seconds) instead" },
    { name: "import", type: "string", multiple: true, valueName: "MODULE", description: "load a module (path relative to the current directory) and bind its named exports as variables" },
    helpOption(),
  ],
  epilog: [
    "Examples:",
    '  tsprof timeit "[...Array(1000).keys()].map(x => x ** 2)"',
    '  tsprof timeit -s "const xs: number[] = Array.from({ length: 1000 }, (_, i) => i)" "xs.reduce((a, b) => a + b, 0)"',
    '  tsprof timeit --import ./src/fib.ts "fib(20)"',
    "",
    "Warnings (stderr): worst run ≥ 4x the best (Python's), within 1.5x of an empty loop (likely",
    "optimized away by V8), garbage collection ≥ 20% of the timed runs. Guide: docs/timeit.md",
  ].join("\n"),
};

/** `tsprof timeit`: prints the timing; 1 when the snippets fail to compile, import or run. */
export async function timeitCommand(argv: string[]): Promise<number> {
  const { values, positionals, rest } = parseArgs(argv, timeitSpec);
  const number = values.number === undefined ? undefined : wholeNumber(values.number as string, "-n");
  const repeat = values.repeat === undefined ? undefined : wholeNumber(values.repeat as string, "-r");
  const unit = values.unit as string | undefined;
  if (unit !== undefined && !isTimeUnit(unit)) {
    throw new UsageError(`unrecognized unit "${unit}"; select ${Object.keys(UNITS).reverse().join(", ")}`);
  }
  const verbose = (values.verbose as string[] | undefined)?.length ?? 0;
  const json = values.json === true;
  const format = { unit: unit as TimeUnit | undefined, precision: 3 + Math.max(0, verbose - 1) };
  const snippets: Snippets = {
    stmt: [...positionals, ...rest].join("\n"),
    setup: ((values.setup as string[] | undefined) ?? []).join("\n"),
    imports: (values.import as string[] | undefined) ?? [],
  };
  try {
    const harness = await compileSnippets(snippets);
    // An empty STMT is Python's way to see the loop's own cost: no floor to compare it with.
    const floor = snippets.stmt.trim() === "" ? undefined : new LoopTimer(emptyHarness());
    const measurement = measure(new LoopTimer(harness), {
      number,
      repeat,
      onStep: verbose && !json ? (n, s) => process.stdout.write(`${formatStep(n, s, format.precision)}\n`) : undefined,
      formatTime: (s) => formatTime(s, format.unit, format.precision),
    }, floor);
    if (verbose && !json) process.stdout.write("\n");
    process.stdout.write(json ? formatJson(measurement, snippets) : formatReport(measurement, format, verbose > 0));
    for (const w of measurement.warnings) process.stderr.write(`tsprof timeit: warning: ${w.message}\n`);
    return 0;
  } catch (e) {
    if (e instanceof SnippetError) return fail("timeit", e.message, 1);
    if (e instanceof TimedCodeError) {
      return fail("timeit", e.inSetup
        ? `setup threw ${describeThrown(e.thrown)}; fix the -s code (it runs before every run)`
        : `STMT threw ${describeThrown(e.thrown)}; fix the statement (setup ran without error)`, 1);
    }
    throw e;
  }
}

/** `-n`/`-r`: a positive whole number; underscores allowed, as Python's int() takes `1_000_000`. */
function wholeNumber(text: string, flag: string): number {
  const n = /^\d+(_\d+)*$/.test(text) ? Number(text.replace(/_/g, "")) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`invalid ${flag} value "${text}": give a positive whole number`);
  return n;
}
