/**
 * Import paths as TypeScript projects write them, which Node alone does not find:
 * `./util.js` for `util.ts` (what `tsc` wants under `module: nodenext`), and, in ES modules,
 * extensionless `./util` or `./dir` (what `moduleResolution: bundler` allows).
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { isTypeScript } from "./format";

const isPathLike = (s: string) => s.startsWith("./") || s.startsWith("../") || s === "." || s === ".." || s.startsWith("/") || s.startsWith("file:");

/** `x.js` → `x.ts`, `x.mjs` → `x.mts`, `x.cjs` → `x.cts`. */
export function tsForJs(specifier: string): string | undefined {
  if (!isPathLike(specifier)) return undefined;
  const m = /\.([mc]?)js$/.exec(specifier);
  return m ? `${specifier.slice(0, m.index)}.${m[1]}ts` : undefined;
}

const EXTENSIONLESS = [".ts", ".mts", ".cts", ".js", ".mjs", ".cjs", "/index.ts", "/index.js"];

/** What to try, in order, when `specifier` was not found (empty: nothing). */
export function alternatives(specifier: string): string[] {
  const ts = tsForJs(specifier);
  if (ts) return [ts];
  if (!isPathLike(specifier) || /\.[cm]?[jt]s$|\.json$|\.node$/.test(specifier)) return [];
  const base = specifier.replace(/\/+$/, "");
  return EXTENSIONLESS.map((e) => base + e);
}

export const isNotFound = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || code === "ERR_UNSUPPORTED_DIR_IMPORT";
};

const isFile = (f: string) => fs.statSync(f, { throwIfNoEntry: false })?.isFile() ?? false;

/**
 * The file a relative `specifier` in `parentFile` means, when TypeScript's rules and Node's differ:
 * - in a TypeScript file, `./util.js` is util.ts when there is one (TypeScript resolves it so,
 *   even with a compiled util.js beside it); elsewhere, when util.js does not exist;
 * - `./util` is util.ts before a util.js beside it, from TypeScript (`require`) and in ES modules
 *   (which Node would not resolve at all), and `./dir` is dir/index.ts in ES modules.
 * Checked with a stat or two before asking Node, also because Node's own failed lookup is slow
 * (it builds an error with CommonJS hints): measured 60 ms for 240 `.js`-suffixed ES imports.
 */
export function localFile(specifier: string, parentFile: string | undefined, esm: boolean): string | undefined {
  if (!parentFile || !(specifier.startsWith("./") || specifier.startsWith("../"))) return undefined;
  const abs = path.resolve(path.dirname(parentFile), specifier);
  const fromTs = isTypeScript(parentFile);
  const ts = tsForJs(abs);
  if (ts) return (fromTs || !isFile(abs)) && isFile(ts) ? ts : undefined;
  if (esm) return isFile(abs) ? undefined : alternatives(abs).find(isFile);
  if (!fromTs || /\.[cm]?[jt]s$|\.json$|\.node$/.test(abs)) return undefined;
  return [`${abs}.ts`, `${abs}.cts`].find(isFile);
}

/** A file path for `specifier` imported from `fromDir`, by the rules above plus CommonJS lookup (for re-exports). */
export function resolveFile(specifier: string, fromDir: string): string | undefined {
  if (isPathLike(specifier) && !specifier.startsWith("file:")) {
    const abs = path.resolve(fromDir, specifier);
    for (const candidate of [abs, ...alternatives(abs), `${abs}.json`]) if (isFile(candidate)) return candidate;
    return undefined;
  }
  try {
    return createRequire(path.join(fromDir, "noop.js")).resolve(specifier);
  } catch {
    return undefined;
  }
}
