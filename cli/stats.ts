import * as fs from "node:fs";
import { dumpStats, loadStats } from "../report/pstats-read";
import { ProfileBrowser } from "../report/pstats-browser";
import { parseRestriction, SORT_KEYS, type Restriction, type Stats } from "../report/pstats";
import { flameSvg, toCpuProfile, toSpeedscope } from "../report/pstats-export";
import { fail, helpOption, parseArgs, UsageError, type CommandSpec } from "./args";
import { sortOption } from "./sort-option";

export const statsSpec: CommandSpec = {
  usage: "tsprof stats [options] FILE...",
  summary: "Read function profiles written by tsprof prof -o (or Profile.dumpStats): what python -m pstats is to Python. "
    + "Several files are merged (pstats' add). Prints the report, or the callers/callees views; -i opens the interactive browser.",
  options: [
    { name: "sort", short: "s", type: "string", multiple: true, valueName: "KEY", description: `sort by KEY; repeatable, the first the most significant: ${Object.keys(SORT_KEYS).join(", ")} (unique prefixes accepted)` },
    { name: "reverse", type: "boolean", description: "reverse the order (pstats' reverse_order)" },
    { name: "restrict", short: "r", type: "string", multiple: true, valueName: "R", description: "show only: the first N rows (integer), that fraction of them (0.25), or rows whose filename:lineno(function) matches a regex; repeatable, applied in order" },
    { name: "callers", type: "boolean", description: "print who called each function (print_callers)" },
    { name: "callees", type: "boolean", description: "print what each function called (print_callees)" },
    { name: "strip-dirs", type: "boolean", description: "show file names without their directories (strip_dirs)" },
    { name: "dump", type: "string", valueName: "FILE", description: "write the merged profile to FILE (dump_stats)" },
    { name: "cpuprofile", type: "string", valueName: "FILE", description: "export a .cpuprofile (Chrome DevTools, VS Code)" },
    { name: "speedscope", type: "string", valueName: "FILE", description: "export speedscope JSON (https://www.speedscope.app)" },
    { name: "flame", type: "string", valueName: "FILE", description: "write a flame graph, an offline SVG a browser opens" },
    { name: "interactive", short: "i", type: "boolean", description: "the interactive browser (commands: sort stats callers callees strip add read reverse help quit), from a terminal or stdin" },
    helpOption(),
  ],
  epilog: [
    "Examples:",
    "  tsprof stats -s time app.prof                  sort_stats(\"time\").print_stats()",
    "  tsprof stats -s cumu -r 10 -r parse app.prof   the first 10 by cumulative time, then those matching parse",
    "  tsprof stats --callers -r fib app.prof         who calls fib",
    "  tsprof stats a.prof b.prof --dump all.prof     merge two runs",
    "  tsprof stats --flame app.svg app.prof          a flame graph",
    "  printf 'sort time\\nstats 5\\n' | tsprof stats -i app.prof",
  ].join("\n"),
};

function loadAll(files: string[]): Stats {
  const [first, ...rest] = files;
  const stats = loadStats(first);
  for (const f of rest) stats.add(loadStats(f));
  return stats;
}

/** `tsprof stats`: 0, or 1 with a one-line message on an unreadable file. */
export async function statsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs(argv, statsSpec);
  const sort = sortOption(values.sort as string[] | undefined) ?? [];
  const restrictions: Restriction[] = [];
  for (const w of (values.restrict as string[] | undefined) ?? []) {
    const r = parseRestriction(w);
    if (r instanceof Error) throw new UsageError(`invalid restriction "${w}" for -r: a fraction must be in [0, 1]`);
    restrictions.push(r);
  }
  if (values.interactive) return browse(positionals);
  if (positionals.length === 0) throw new UsageError("no profile given; for example: tsprof stats app.prof");
  const stats = loadAll(positionals);
  if (values["strip-dirs"]) stats.stripDirs();
  if (sort.length) stats.sort(...sort);
  if (values.reverse) stats.reverse();
  const writes: Array<[string, () => string]> = [];
  if (typeof values.dump === "string") writes.push([values.dump, () => { dumpStats(stats, values.dump as string); return ""; }]);
  if (typeof values.cpuprofile === "string") writes.push([values.cpuprofile, () => JSON.stringify(toCpuProfile(stats))]);
  if (typeof values.speedscope === "string") writes.push([values.speedscope, () => JSON.stringify(toSpeedscope(stats, positionals.join(" ")))]);
  if (typeof values.flame === "string") writes.push([values.flame, () => flameSvg(stats, positionals.join(" "))]);
  for (const [file, make] of writes) {
    try {
      const text = make();
      if (text) fs.writeFileSync(file, text);
    } catch (e) {
      return fail("stats", `cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a writable path`, 1);
    }
  }
  const printing = values.callers || values.callees || writes.length === 0;
  if (!printing) return 0;
  if (values.callers) process.stdout.write(stats.printCallers(...restrictions));
  if (values.callees) process.stdout.write(stats.printCallees(...restrictions));
  if (!values.callers && !values.callees) process.stdout.write(stats.printStats(...restrictions));
  return 0;
}

/** The interactive browser, on a terminal (with line editing) or reading commands from stdin. */
async function browse(files: string[]): Promise<number> {
  const browser = new ProfileBrowser((file) => loadStats(file));
  const say = (s: string) => process.stdout.write(s.endsWith("\n") ? s : `${s}\n`);
  if (files.length) {
    browser.read(files[0], say);
    for (const f of files.slice(1)) process.stdout.write(browser.exec(`add ${f}`).out);
  }
  process.stdout.write("Welcome to the profile statistics browser.\n");
  const readline = require("node:readline") as typeof import("node:readline");
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal });
  let stopped = false;
  let interrupted = false;
  await new Promise<void>((resolve) => {
    // Ctrl-C leaves the browser at once, as KeyboardInterrupt leaves pstats' (no "Goodbye.").
    rl.on("SIGINT", () => {
      interrupted = stopped = true;
      process.stdout.write("\n");
      rl.close();
    });
    rl.setPrompt(browser.prompt);
    rl.prompt();
    rl.on("line", (line) => {
      if (stopped) return;
      const { out, stop } = browser.exec(line);
      process.stdout.write(out);
      if (stop) {
        stopped = true;
        rl.close();
        return;
      }
      rl.setPrompt(browser.prompt);
      rl.prompt();
    });
    rl.on("close", () => {
      if (!stopped) process.stdout.write("\n");
      resolve();
    });
  });
  if (!interrupted) process.stdout.write("Goodbye.\n");
  return interrupted ? 130 : 0;
}
