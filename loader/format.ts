/**
 * Which files tsprof transpiles, and as what: Node's own rules for the module format (extension
 * first, then the nearest package.json "type"), applied to the TypeScript extensions too.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TSPROF_ROOT, typescriptDir } from "./config";

export type ModuleFormat = "module" | "commonjs";

export const TS_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts"] as const;
export const JS_EXTENSIONS = [".js", ".mjs", ".cjs"] as const;

export function isTypeScript(file: string): boolean {
  return file.endsWith(".ts") || file.endsWith(".tsx") || file.endsWith(".mts") || file.endsWith(".cts");
}

export function isJavaScript(file: string): boolean {
  return file.endsWith(".js") || file.endsWith(".mjs") || file.endsWith(".cjs");
}

const typeByDir = new Map<string, string | undefined>();

/** `"type"` of the package.json nearest to `dir` (undefined: none, or no field). */
export function packageType(dir: string): string | undefined {
  if (typeByDir.has(dir)) return typeByDir.get(dir);
  let type: string | undefined;
  let text: string | undefined;
  try {
    text = fs.readFileSync(path.join(dir, "package.json"), "utf8");
  } catch {
    const parent = path.dirname(dir);
    type = parent === dir ? undefined : packageType(parent);
  }
  if (text !== undefined) {
    try {
      const t = (JSON.parse(text) as { type?: unknown }).type;
      type = typeof t === "string" ? t : undefined;
    } catch {
      type = undefined; // Node reports a broken package.json itself, when it matters.
    }
  }
  typeByDir.set(dir, type);
  return type;
}

// Syntax only an ES module can have, at the start of a line: `import x from`, `export …`, `import.meta`.
const ESM_SYNTAX = /^[ \t]*(?:import(?:[ \t]+[\w$"'{*]|[ \t]*[{*"'])|import\.meta\b|export(?:[ \t]+[\w${*]|[ \t]*[{*]))/m;

/**
 * `.mts`/`.mjs` are ES modules and `.cts`/`.cjs` CommonJS whatever the package says; `.ts`/`.tsx`/`.js`
 * follow the package's "type", CommonJS by default. A `.ts` file written with `import`/`export`
 * in a CommonJS package is therefore compiled to CommonJS, as `tsc` does for such a project.
 * A `.js` file in a package without "type" is an ES module when its `source` has ES-module
 * syntax, as Node decides (measured: node 20.20 runs such a file as an ES module).
 */
export function moduleFormat(file: string, source?: string): ModuleFormat {
  if (file.endsWith(".mts") || file.endsWith(".mjs")) return "module";
  if (file.endsWith(".cts") || file.endsWith(".cjs")) return "commonjs";
  const type = packageType(path.dirname(file));
  if (type === "module") return "module";
  return type === undefined && source !== undefined && file.endsWith(".js") && ESM_SYNTAX.test(source) ? "module" : "commonjs";
}

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

export function inNodeModules(file: string): boolean {
  return file.includes(NODE_MODULES);
}

const OWN_DIST = path.join(TSPROF_ROOT, "dist") + path.sep;

let ownTypescript: string | undefined;

/**
 * tsprof's own compiled files (the runtime above all), and the TypeScript the loader compiles
 * with: loaded as they are, never instrumented (`-p typescript`, `-p '**'` included). A program
 * that shares that very copy of TypeScript sees it unprofiled too.
 */
export function isTsprofFile(file: string): boolean {
  if (file.startsWith(OWN_DIST)) return true;
  ownTypescript ??= path.join(typescriptDir(), "lib") + path.sep;
  return file.startsWith(ownTypescript);
}
