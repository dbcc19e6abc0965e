/*
 * The command line of a program tsprof runs (`tsprof run`, `tsprof prof`, `tsprof mprof run`):
 * tsprof's options, then `SCRIPT args…`, or `-- [node-options] SCRIPT args…`. Each command reports
 * a mistake in its own words, so each check takes the error it throws.
 */
import * as fs from "node:fs";
import { constants } from "node:os";
import * as path from "node:path";
import { splitNodeCommand, type NodeCommand } from "../loader/launch";
import { parseArgs, type CommandSpec, type Parsed } from "./args";

/** What tsprof runs: TypeScript and JavaScript, in every module flavour. */
export const ENTRY_EXTENSIONS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"];

/** The error a command throws for `message`. */
export type Failure = (message: string) => Error;

/**
 * Parses tsprof's options up to the script. A node option given among them is an unknown option
 * that says where node options go: `usage` is the command's (`tsprof mprof run`).
 */
export function parseProgramArgs(argv: string[], spec: CommandSpec, usage: string, fail: Failure): Parsed {
  try {
    return parseArgs(argv, spec, true);
  } catch (e) {
    const flag = /^unknown option (--?[\w-]+)/.exec((e as Error).message)?.[1];
    if (flag && process.allowedNodeEnvironmentFlags.has(flag)) {
      throw fail(`${flag} is a node option; put node options after --: ${usage} [options] -- ${flag} SCRIPT`);
    }
    throw e;
  }
}

/** The program to run: the first positional and what follows it, or `[node-options] SCRIPT args…` after `--`. */
export function programCommand(parsed: Parsed, fail: Failure): NodeCommand {
  try {
    return parsed.positionals.length ? { nodeArgs: [], script: parsed.positionals[0], args: parsed.rest } : splitNodeCommand(parsed.rest);
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/** The script's absolute path, once it exists and is not a file of another language (a directory is the caller's to judge). */
export function checkScript(given: string, fail: Failure): string {
  const script = path.resolve(given);
  if (!fs.existsSync(script)) throw fail(`${given}: no such file (looked in ${process.cwd()}); check the script's path`);
  const ext = path.extname(script);
  if (ext && !ENTRY_EXTENSIONS.includes(ext) && fs.statSync(script).isFile()) {
    throw fail(`${given}: cannot run ${ext} files; the script must be one of ${ENTRY_EXTENSIONS.join(" ")}`);
  }
  return script;
}

/** Creates the directory an output file goes in. */
export function makeOutputDir(output: string, fail: Failure): void {
  try {
    fs.mkdirSync(path.dirname(output), { recursive: true });
  } catch (e) {
    throw fail(`cannot create the directory of ${output} (${(e as NodeJS.ErrnoException).code}); pass another path with -o`);
  }
}

/** Makes `env` this process's environment, for a program run in it. */
export function adoptEnv(env: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
}

/** Ends the way the program in a child ended, so shells and supervisors see the same thing: its code, or its signal raised again. */
export async function endAsProgram(code: number | null, signal: NodeJS.Signals | null | undefined): Promise<number> {
  if (signal) {
    await new Promise((flushed) => process.stdout.write("", flushed));
    process.kill(process.pid, signal);
    return 128 + (constants.signals[signal] ?? 0);
  }
  return code ?? 1;
}
