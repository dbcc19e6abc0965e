/**
 * Import paths as TypeScript projects write them, which Node alone does not find:
 * `./util.js` for `util.ts` (what `tsc` wants under `module: nodenext`), and, in ES modules,
 * extensionless `./util` or `./dir` (what `moduleResolution: bundler` allows).
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { loaderConfig } from "./config";
import { inNodeModules, isTypeScript } from "./format";

const isPathLike = (s: string) => s.startsWith("./") || s.startsWith("../") || s === "." || s === ".." || s.startsWith("/") || s.startsWith("file:");

/** `x.js` → `x.ts`, `x.mjs` → `x.mts`, `x.cjs` → `x.cts`. */
export function tsForJs(specifier: string): string | undefined {
  if (!isPathLike(specifier)) return undefined;
  const m = /\.([mc]?)js$/.exec(specifier);
  return m ? `${specifier.slice(0, m.index)}.${m[1]}ts` : undefined;
}

/** `x.js` may also be `x.tsx`, as TypeScript resolves it. */
const tsFilesForJs = (ts: string) => (ts.endsWith(".ts") && !ts.endsWith(".d.ts") ? [ts, `${ts}x`] : [ts]);

const EXTENSIONLESS = [".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", "/index.ts", "/index.tsx", "/index.js"];

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
  if (!parentFile) return undefined;
  if (!(specifier.startsWith("./") || specifier.startsWith("../"))) return aliasFile(specifier, parentFile);
  const abs = path.resolve(path.dirname(parentFile), specifier);
  const fromTs = isTypeScript(parentFile);
  const ts = tsForJs(abs);
  if (ts) {
    if (!fromTs && isFile(abs)) return undefined;
    return tsFilesForJs(ts).find(isFile) ?? (fromTs && !isFile(abs) ? declarationFile(abs.replace(/\.[cm]?js$/, "")) : undefined);
  }
  if (esm) return isFile(abs) ? undefined : alternatives(abs).find(isFile) ?? (fromTs ? declarationFile(abs) : undefined);
  if (!fromTs || /\.[cm]?[jt]sx?$|\.json$|\.node$/.test(abs)) return undefined;
  const found = [`${abs}.ts`, `${abs}.tsx`, `${abs}.cts`].find(isFile);
  if (found || isFile(abs) || alternatives(abs).some(isFile)) return found;
  return declarationFile(abs);
}

/**
 * A declaration file standing for a module that has no code: what a TypeScript file importing
 * a `declare const enum` from `types.d.ts` needs at run time (compiled one file at a time, the
 * import stays, as under isolatedModules); compile.ts turns its enums into code.
 */
function declarationFile(base: string): string | undefined {
  return [`${base}.d.ts`, `${base}/index.d.ts`].find(isFile);
}

/** True for `lodash`, `@core/cart`; false for paths, URLs and `node:` builtins. */
const isBare = (s: string) => !isPathLike(s) && !/^[A-Za-z][A-Za-z\d+.-]*:/.test(s) && !path.isAbsolute(s);

/**
 * The targets of the tsconfig `paths` pattern TypeScript picks for `specifier`: the exact
 * pattern, else the wildcard pattern with the longest prefix.
 */
export function aliasTargets(specifier: string, paths: Record<string, string[]>): string[] {
  if (Object.hasOwn(paths, specifier) && !specifier.includes("*")) return paths[specifier];
  let best: string[] = [];
  let bestPrefix = -1;
  for (const [pattern, targets] of Object.entries(paths)) {
    const star = pattern.indexOf("*");
    if (star < 0) continue;
    const prefix = pattern.slice(0, star), suffix = pattern.slice(star + 1);
    if (prefix.length <= bestPrefix || specifier.length < prefix.length + suffix.length) continue;
    if (!specifier.startsWith(prefix) || !specifier.endsWith(suffix)) continue;
    const capture = specifier.slice(prefix.length, specifier.length - suffix.length);
    best = targets.map((t) => t.replace("*", capture));
    bestPrefix = prefix.length;
  }
  return best;
}

/** The file a tsconfig `paths` alias leads to, from the user's own files (tsx's rule too). */
function aliasFile(specifier: string, parentFile: string): string | undefined {
  const { paths } = loaderConfig();
  if (!paths || !isBare(specifier) || inNodeModules(parentFile)) return undefined;
  for (const target of aliasTargets(specifier, paths)) {
    const ts = tsForJs(target);
    const found = [target, ...(ts ? tsFilesForJs(ts) : []), ...EXTENSIONLESS.map((e) => target + e)].find(isFile);
    if (found) return found;
  }
  return undefined;
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
