/** A command-line option: `--name`, optionally `-s`, taking a value unless boolean. */
export interface OptionSpec {
  name: string;
  short?: string;
  type: "boolean" | "string";
  /** May be given several times (values are collected in order). */
  multiple?: boolean;
  /** `--no-NAME` sets a boolean option to false. */
  negatable?: boolean;
  /** Shown in help for options taking a value: `-u UNIT`. */
  valueName?: string;
  description: string;
}

export interface CommandSpec {
  /** `tsprof view` */
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Lines after the option list (examples, notes). */
  epilog?: string;
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

export interface Parsed {
  values: ParsedValues;
  positionals: string[];
  /** Arguments after `--` (or after the first positional, with `stopAtPositional`). */
  rest: string[];
}

/** A mistake on the command line: the message is shown with a pointer to `--help`; exit 2. */
export class UsageError extends Error {}

/**
 * Parses `argv` against `spec`. Unknown options and missing values are errors, never ignored.
 * `stopAtPositional`: everything from the first positional on is the program's (`tsprof run app.ts -x`).
 */
export function parseArgs(argv: string[], spec: CommandSpec, stopAtPositional = false): Parsed {
  const byLong = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short!, o]));
  const values: ParsedValues = {};
  const positionals: string[] = [];
  const set = (o: OptionSpec, v: string | boolean) => {
    if (o.multiple) ((values[o.name] ??= []) as string[]).push(String(v));
    else values[o.name] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") return { values, positionals, rest: argv.slice(i + 1) };
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      let o = byLong.get(name);
      if (!o && name.startsWith("no-") && byLong.get(name.slice(3))?.negatable) {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        values[name.slice(3)] = false;
        continue;
      }
      if (!o) throw new UsageError(`unknown option --${name}${suggest(name, [...byLong.keys()])}`);
      if (o.type === "boolean") {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        set(o, true);
      } else {
        const v = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`option --${name} needs a value (${o.valueName ?? "VALUE"})`);
        set(o, v);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // Short flags group (`-zt`); a value may follow attached (`-u1e-3`) or as the next word.
      for (let j = 1; j < arg.length; j++) {
        const o = byShort.get(arg[j]);
        if (!o) throw new UsageError(`unknown option -${arg[j]}`);
        if (o.type === "boolean") {
          set(o, true);
          continue;
        }
        const v = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`option -${o.short} needs a value (${o.valueName ?? "VALUE"})`);
        set(o, v);
        break;
      }
      continue;
    }
    if (stopAtPositional) return { values, positionals: [arg], rest: argv.slice(i + 1) };
    positionals.push(arg);
  }
  return { values, positionals, rest: [] };
}

function suggest(name: string, known: string[]): string {
  const close = closest(name, known);
  return close ? ` (did you mean --${close}?)` : "";
}

/** The known word `name` most likely mistypes (a prefix, or two edits away), if any. */
export function closest(name: string, known: string[]): string | undefined {
  const prefix = known.find((k) => k.startsWith(name) || name.startsWith(k));
  if (prefix) return prefix;
  const near = known.map((k) => [k, distance(k, name)] as const).filter(([, d]) => d <= 2);
  return near.sort((x, y) => x[1] - y[1])[0]?.[0];
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      // Two letters swapped are one slip (hlep: help, not heap).
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The `--help` text of a command. */
export function formatHelp(spec: CommandSpec): string {
  const rows = spec.options.map((o) => {
    const value = o.type === "string" ? ` ${o.valueName ?? "VALUE"}` : "";
    const flags = (o.short ? `-${o.short}, ` : "    ") + `--${o.name}${value}` + (o.negatable ? ` / --no-${o.name}` : "");
    return [flags, o.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length), 10);
  const lines = [`usage: ${spec.usage}`, "", spec.summary, "", "options:"];
  for (const [flags, desc] of rows) lines.push(`  ${flags.padEnd(width)}  ${desc}`);
  if (spec.epilog) lines.push("", spec.epilog);
  return lines.join("\n") + "\n";
}

/** `-h, --help`, which every command has; a command with subcommands says where theirs are. */
export function helpOption(description = "show this help"): OptionSpec {
  return { name: "help", short: "h", type: "boolean", description };
}

/** Whether `-h` or `--help` is among the words, before any parsing (a command with subcommands reads no further). */
export function asksForHelp(argv: string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

/** Prints the `--help` text of a command on stdout; returns `code` (0 for `--help`; 2 where the text stands in for a missing command). */
export function printHelp(spec: CommandSpec, code = 0): number {
  process.stdout.write(formatHelp(spec));
  return code;
}

/** A one-line error of `tsprof COMMAND` on stderr (`tsprof mprof plot: …`); returns `code`, for `return fail(…)`. */
export function fail(command: string, message: string, code: number): number {
  process.stderr.write(`tsprof ${command}: ${message}\n`);
  return code;
}

/** A usage error as every command prints it: the problem, then where the options are explained; exit code 2. */
export function failUsage(command: string | undefined, message: string): number {
  const name = command === undefined ? "tsprof" : `tsprof ${command}`;
  process.stderr.write(`${name}: ${message}\nTry '${name} --help' for more information.\n`);
  return 2;
}
