/**
 * The profile statistics browser of `python -m pstats FILE`, command for command: one line in,
 * its text out. The CLI feeds it a terminal or stdin.
 */
import { parseRestriction, SORT_KEYS, sortKeyTable, type Restriction, type Stats } from "./pstats";

const HELP: Record<string, string[]> = {
  add: ["Add profile info from given file to current statistics object."],
  callees: ["Print callees statistics from the current stat object."],
  callers: ["Print callers statistics from the current stat object."],
  EOF: ["Leave the profile browser."],
  quit: ["Leave the profile browser."],
  read: ["Read in profile data from a specified file.", "Without argument, reload the current file."],
  reverse: ["Reverse the sort order of the profiling report."],
  sort: ["Sort profile data according to specified keys.", "(Typing `sort' without arguments lists valid keys.)"],
  stats: ["Print statistics from the current stat object."],
  strip: ["Strip leading path information from filenames in the report."],
  help: ["Show help for a given command."],
};
const RESTRICTION_HELP = [
  "Arguments may be:",
  "* An integer maximum number of entries to print.",
  "* A decimal fractional number between 0 and 1, controlling",
  "  what fraction of selected entries to print.",
  "* A regular expression; only entries with function names",
  "  that match it are printed.",
];
const WITH_RESTRICTIONS = new Set(["callees", "callers", "stats"]);

export class ProfileBrowser {
  prompt = "% ";
  stats: Stats | undefined;
  private lastCommand = "";

  /** `load(file)` reads a profile; it throws an Error whose message is shown. */
  constructor(private readonly load: (file: string) => Stats) {}

  /** Runs one command line; `stop` ends the browser. */
  exec(line: string): { out: string; stop: boolean } {
    // An empty line repeats the last command, as in Python's cmd module.
    const trimmed = line.trim() || this.lastCommand;
    if (!trimmed) return { out: "", stop: false };
    this.lastCommand = trimmed;
    const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
    let [, cmd, arg] = m;
    if (cmd === "?") cmd = "help";
    const out: string[] = [];
    const say = (s: string) => out.push(s.endsWith("\n") ? s : `${s}\n`);
    const needStats = (): Stats | undefined => {
      if (!this.stats) say("No statistics object is loaded.");
      return this.stats;
    };
    switch (cmd) {
      case "quit":
      case "exit":
      case "q":
        return { out: "", stop: true };
      case "EOF":
        return { out: "\n", stop: true };
      case "read":
        this.read(arg, say);
        break;
      case "add": {
        const s = needStats();
        if (s) {
          try {
            s.add(this.load(arg));
          } catch (e) {
            say(`Failed to load statistics for ${arg}: ${(e as Error).message}`);
          }
        }
        break;
      }
      case "sort": {
        const s = needStats();
        if (!s) break;
        const words = arg.split(/\s+/).filter(Boolean);
        const table = sortKeyTable();
        if (words.length && words.every((w) => table.has(w))) {
          s.sort(...words);
        } else {
          say("Valid sort keys (unique prefixes are accepted):");
          for (const [key, [, desc]] of Object.entries(SORT_KEYS)) say(`${key} -- ${desc}`);
        }
        break;
      }
      case "reverse":
        needStats()?.reverse();
        break;
      case "strip":
        needStats()?.stripDirs();
        break;
      case "stats":
      case "callers":
      case "callees": {
        const restrictions: Restriction[] = [];
        for (const w of arg.split(/\s+/).filter(Boolean)) {
          const r = parseRestriction(w);
          if (r instanceof Error) say(r.message);
          else restrictions.push(r);
        }
        const s = needStats();
        if (!s) break;
        out.push(cmd === "stats" ? s.printStats(...restrictions) : cmd === "callers" ? s.printCallers(...restrictions) : s.printCallees(...restrictions));
        break;
      }
      case "help":
        if (!arg) {
          say("");
          say("Documented commands (type help <topic>):");
          say("========================================");
          say(Object.keys(HELP).sort().join("  "));
          say("");
        } else if (HELP[arg]) {
          for (const l of HELP[arg]) say(l);
          if (WITH_RESTRICTIONS.has(arg)) for (const l of RESTRICTION_HELP) say(l);
        } else {
          say(`*** No help on ${arg}`);
        }
        break;
      default:
        say(`*** Unknown syntax: ${trimmed}`);
    }
    return { out: out.join(""), stop: false };
  }

  read(file: string, say: (s: string) => void): void {
    if (file) {
      try {
        this.stats = this.load(file);
      } catch (e) {
        say((e as Error).message);
        return;
      }
      this.prompt = `${file}% `;
    } else if (this.prompt.length > 2) {
      this.read(this.prompt.slice(0, -2), say);
    } else {
      say("No statistics object is current -- cannot reload.");
    }
  }
}
