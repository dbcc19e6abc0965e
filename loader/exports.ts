/**
 * Named exports of a CommonJS module, read from its code the way Node's cjs-module-lexer reads
 * them (for the shapes TypeScript emits and hand-written `exports.x = …`). Only needed on Node
 * without `module.registerHooks`: there, `import { x } from "./util.js"` of a CommonJS `.ts` file
 * is served by a small ES module that `require`s it (see esm-hooks.ts), and that module must
 * name its exports up front.
 */
import * as path from "node:path";

const ID = "[A-Za-z_$][\\w$]*";
const ASSIGN = new RegExp(`(?:^|[^.\\w$])(?:module\\.)?exports\\.(${ID})\\s*=(?!=)`, "g");
const ASSIGN_KEY = /(?:^|[^.\w$])(?:module\.)?exports\[\s*(["'])([^"'\\]+)\1\s*\]\s*=(?!=)/g;
const DEFINE = /Object\.defineProperty\(\s*(?:module\.)?exports\s*,\s*(["'])([^"'\\]+)\1/g;
const STAR = /__exportStar\(\s*require\(\s*(["'])([^"'\\]+)\1\s*\)|__export\(\s*require\(\s*(["'])([^"'\\]+)\3\s*\)\s*\)|module\.exports\s*=\s*require\(\s*(["'])([^"'\\]+)\5\s*\)/g;
const OBJECT = /module\.exports\s*=\s*\{/g;

/** Keys of an object literal starting at `open` (the `{`): `a`, `b: …`, `"c": …`; nested values skipped. */
function objectKeys(code: string, open: number, reexports: string[]): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = true;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === "{" || c === "(" || c === "[") depth++;
    else if (c === "}" || c === ")" || c === "]") {
      if (--depth === 0) break;
    } else if (depth === 1 && c === ",") expectKey = true;
    else if (depth === 1 && expectKey && !/\s/.test(c)) {
      expectKey = false;
      const rest = code.slice(i, i + 300);
      const m = new RegExp(`^(?:(${ID})|(["'])([^"'\\\\]+)\\2)\\s*(?=[,:}(])`).exec(rest);
      if (m) keys.push(m[1] ?? m[3]);
      const spread = /^\.\.\.\s*require\(\s*(["'])([^"'\\]+)\1\s*\)/.exec(rest);
      if (spread) reexports.push(spread[2]);
    }
  }
  return keys;
}

/** Names assigned to `exports` and specifiers re-exported wholesale (`export * from`). */
export function scanExports(code: string): { names: string[]; reexports: string[] } {
  const names = new Set<string>();
  const reexports: string[] = [];
  for (const m of code.matchAll(ASSIGN)) names.add(m[1]);
  for (const m of code.matchAll(ASSIGN_KEY)) names.add(m[2]);
  for (const m of code.matchAll(DEFINE)) names.add(m[2]);
  for (const m of code.matchAll(STAR)) reexports.push(m[2] ?? m[4] ?? m[6]);
  for (const m of code.matchAll(OBJECT)) for (const k of objectKeys(code, m.index! + m[0].length - 1, reexports)) names.add(k);
  return { names: [...names], reexports };
}

/**
 * All named exports of the CommonJS module `file`, following re-exports. `codeOf` gives the code
 * Node will run for a file (compiled, for TypeScript); `resolve` finds a specifier from a file.
 */
export function exportNames(
  file: string,
  codeOf: (file: string) => string,
  resolve: (specifier: string, from: string) => string | undefined,
  seen = new Set<string>(),
): Set<string> {
  const out = new Set<string>();
  if (seen.has(file) || seen.size > 50) return out;
  seen.add(file);
  const { names, reexports } = scanExports(codeOf(file));
  for (const n of names) out.add(n);
  for (const spec of reexports) {
    const target = resolve(spec, path.dirname(file));
    if (!target) continue;
    for (const n of exportNames(target, codeOf, resolve, seen)) if (n !== "default") out.add(n);
  }
  return out;
}
