import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type * as TS from "typescript";
import { describeThrown } from "./_describe";

/*
 * The user's own modules, for `--import` and for `import` lines in setup. Paths are relative to
 * the current directory, as `python -m timeit` puts `.` on sys.path. TypeScript files load through
 * a require hook that strips types (node 20 has no type stripping); ES modules, which node 20
 * cannot `require`, through `import()`.
 */

/** A module that could not be loaded; the message is the whole explanation. */
export class ModuleError extends Error {}

const TS_EXTENSIONS = [".ts", ".cts", ".mts"];

/** Lets `require` load TypeScript files (types stripped, as CommonJS), unless something else already does. */
export function registerTypeScript(ts: typeof TS): void {
  for (const ext of TS_EXTENSIONS) {
    if (require.extensions[ext]) continue;
    require.extensions[ext] = (module, filename) => {
      const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      (module as NodeJS.Module & { _compile(code: string, file: string): void })._compile(outputText, filename);
    };
  }
}

/** A `require` resolving from `cwd`. */
export function requireFrom(cwd: string): NodeJS.Require {
  return createRequire(path.join(cwd, "[tsprof timeit]"));
}

/** Loads `specifier` as `import` would from `cwd`; an ES module comes back as an interop namespace. */
export async function loadModule(specifier: string, cwd: string): Promise<unknown> {
  const req = requireFrom(cwd);
  let resolved: string;
  try {
    resolved = req.resolve(specifier);
  } catch {
    const hint = /^\.{0,2}\//.test(specifier) ? "relative paths start from the current directory" : "install it, or run from the project that has it";
    throw new ModuleError(`cannot import "${specifier}": not found from ${cwd} (${hint})`);
  }
  try {
    try {
      return req(resolved);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== "ERR_REQUIRE_ESM" && code !== "ERR_REQUIRE_ASYNC_MODULE") throw e;
    }
    const namespace = (await import(pathToFileURL(resolved).href)) as object;
    // The transpiled snippet reads `.default` through esModuleInterop, which trusts `__esModule`.
    return { __esModule: true, ...namespace };
  } catch (e) {
    throw new ModuleError(`importing "${specifier}" threw ${describeThrown(e)}`);
  }
}

/** Named exports usable as variables (`--import` binds them all, as Python's `from m import *`). */
export function exportedNames(module: unknown): string[] {
  if (module === null || (typeof module !== "object" && typeof module !== "function")) return [];
  return Object.keys(module).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== "default" && k !== "__esModule");
}
