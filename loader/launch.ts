/**
 * What `tsprof run` gives the program: an environment that carries the preload and the
 * profiling session to every node process of it, and — only when node options are given, which
 * need a node process of their own — a child process started with them, signals relayed.
 */
import type { ChildProcess } from "node:child_process";
import * as path from "node:path";
import { LOADER_ENV, type LoaderConfig } from "./config";

/** Path of the preload (`dist/loader/preload.js`). */
export const PRELOAD = path.join(__dirname, "preload.js");

// Node options that take a value as the next word (`--require x`); `--flag=value` needs no list.
const TAKES_VALUE = new Set([
  "-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions", "--input-type",
  "--title", "--env-file", "--inspect-port", "--debug-port", "--diagnostic-dir", "--redirect-warnings",
  "--icu-data-dir", "--openssl-config", "--disable-warning", "--watch-path", "--heapsnapshot-signal",
  "--report-signal", "--report-dir", "--report-directory", "--report-filename", "--secure-heap", "--secure-heap-min",
]);

/** Not a script to profile: tsprof runs a file. */
const NO_SCRIPT = new Set(["-e", "--eval", "-p", "--print", "-i", "--interactive", "-c", "--check", "-v", "--version", "-h", "--help"]);

export interface NodeCommand {
  nodeArgs: string[];
  /** `node --test [files…]`: the script and args are test files (or none: node finds them). */
  test?: boolean;
  script: string | undefined;
  args: string[];
}

/** Splits `[node-options] SCRIPT args…` (what follows `--` on the tsprof command line). */
export function splitNodeCommand(words: string[]): NodeCommand {
  const nodeArgs: string[] = [];
  let i = 0;
  for (; i < words.length && words[i].startsWith("-") && words[i] !== "-"; i++) {
    const w = words[i];
    if (NO_SCRIPT.has(w.split("=")[0])) {
      throw new Error(`node option ${w} does not run a script file; tsprof run needs one (tsprof run [options] -- [node-options] SCRIPT [args...])`);
    }
    nodeArgs.push(w);
    if (!w.includes("=") && TAKES_VALUE.has(w) && i + 1 < words.length) nodeArgs.push(words[++i]);
  }
  const test = nodeArgs.includes("--test");
  return { nodeArgs, script: words[i], args: words.slice(i + 1), ...(test ? { test } : {}) };
}

/** NODE_OPTIONS quoting: double quotes, with `"` and `\` escaped. */
const quote = (s: string) => `"${s.replace(/[\\"]/g, "\\$&")}"`;

/** NODE_OPTIONS with the preload added once (a program run under tsprof may start tsprof run itself). */
export function withPreload(nodeOptions: string | undefined): string {
  const current = nodeOptions?.trim() ?? "";
  if (current.includes(PRELOAD)) return current;
  return `${current} --require ${quote(PRELOAD)}`.trim();
}

export interface Session {
  /** Absolute path of the .lprof file. */
  output: string;
  /** Shared by every process and thread of this run. */
  id: string;
  /** Runtime settings: `TSPROF_INTERVAL` (`-i`), `TSPROF_TIMING`, `TSPROF_RATE`, `TSPROF_MEMORY`. */
  settings: Record<string, string>;
}

const SETTINGS = ["TSPROF_INTERVAL", "TSPROF_TIMING", "TSPROF_RATE", "TSPROF_MEMORY", "TSPROF_MPROF_DIR", "TSPROF_MPROF_HEAP", "TSPROF_MPROF_INTERVAL"];

/** The program's environment: the caller's, plus the preload, the session and the loader's configuration. */
export function programEnv(base: NodeJS.ProcessEnv, session: Session, config: LoaderConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    NODE_OPTIONS: withPreload(base.NODE_OPTIONS),
    TSPROF_OUTPUT: session.output,
    TSPROF_SESSION: session.id,
    [LOADER_ENV]: JSON.stringify(config),
  };
  // Settings come from this command line only, not from an enclosing run's environment.
  for (const k of SETTINGS) delete env[k];
  return { ...env, ...session.settings };
}

// Relayed to the program. SIGINT and SIGQUIT come from the keyboard to the terminal's whole
// foreground process group, the program included: relaying them too would deliver each twice
// (and a second Ctrl-C means "force quit" to many servers), so on a terminal they are not.
const RELAYED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"];
const KEYBOARD = new Set<NodeJS.Signals>(["SIGINT", "SIGQUIT"]);

/** Runs `node ARGS` with the terminal's stdin, stdout and stderr; resolves to how it ended. `onSpawn` sees the child start. */
export async function runChild(args: string[], env: NodeJS.ProcessEnv, onSpawn?: (child: ChildProcess) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  // Loaded here: child_process costs ~3.5 ms to load, which the usual (in-process) run does not need.
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  const child: ChildProcess = spawn(process.execPath, args, { stdio: "inherit", env });
  onSpawn?.(child);
  // Loaded here too: node:tty brings node:net and the streams (11 of Node's modules, 1.3 ms).
  const { isatty } = require("node:tty") as typeof import("node:tty");
  const onTerminal = isatty(0) || isatty(1) || isatty(2);
  const relay = (signal: NodeJS.Signals) => {
    if (!(onTerminal && KEYBOARD.has(signal))) child.kill(signal);
  };
  for (const s of RELAYED) process.on(s, relay);
  try {
    return await new Promise((resolve) => {
      child.on("error", (e) => {
        process.stderr.write(`tsprof run: could not start ${process.execPath}: ${e.message}\n`);
        resolve({ code: 127, signal: null });
      });
      child.on("exit", (code, signal) => resolve({ code, signal }));
    });
  } finally {
    for (const s of RELAYED) process.removeListener(s, relay);
  }
}
