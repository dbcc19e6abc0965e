/**
 * Node ≥ 22.15: `module.registerHooks`, synchronous and in the program's own thread, for
 * `require` and `import` alike. Checked on node 22.23 and 24.21: CommonJS source returned from
 * `load` keeps `require.cache`, `require.main` and one instance per file, named imports of
 * CommonJS work (Node lexes the source we return), and stack traces follow the inline source map.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileFile } from "./compile";
import { isJavaScript, isTsprofFile, isTypeScript, moduleFormat } from "./format";
import { alternatives, isNotFound, localFile } from "./resolve";

interface Resolved { url: string; format?: string | null; shortCircuit?: boolean }
interface Loaded { format?: string | null; source?: string | Uint8Array | null; shortCircuit?: boolean }
type Context = Record<string, unknown>;

interface SyncHooks {
  resolve(specifier: string, context: Context, next: (s: string, c?: Context) => Resolved): Resolved;
  load(url: string, context: Context, next: (u: string, c?: Context) => Loaded): Loaded;
}

export function installSyncHooks(registerHooks: (hooks: SyncHooks) => unknown): void {
  registerHooks({
    resolve(specifier, context, next) {
      const parentURL = context.parentURL as string | undefined;
      const parent = parentURL?.startsWith("file:") ? fileURLToPath(parentURL) : undefined;
      const esm = !(context.conditions as string[] | undefined)?.includes("require");
      const local = localFile(specifier, parent, esm);
      // `require` resolves paths, `import` URLs.
      if (local) return next(esm ? pathToFileURL(local).href : local, context);
      // Relative specifiers are settled above, bare ones are Node's: an error it throws then keeps
      // pointing at the program's import. Absolute paths and URLs get TypeScript's alternatives.
      const alts = specifier.startsWith(".") ? [] : alternatives(specifier);
      if (alts.length === 0) return next(specifier, context);
      try {
        return next(specifier, context);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        for (const alt of alts) {
          try {
            return next(alt, context);
          } catch (e2) {
            if (!isNotFound(e2)) throw e2;
          }
        }
        throw e;
      }
    },
    load(url, context, next) {
      if (!url.startsWith("file:")) return next(url, context);
      const file = fileURLToPath(url);
      if ((!isTypeScript(file) && !isJavaScript(file)) || isTsprofFile(file)) return next(url, context);
      // A TypeScript file's format does not depend on its text, and a warm start need not read it.
      const source = isTypeScript(file) ? undefined : readFileSync(file, "utf8");
      const format = moduleFormat(file, source);
      const code = compileFile(file, source, format);
      if (code === undefined) return next(url, context);
      return { format, source: code, shortCircuit: true };
    },
  });
}
