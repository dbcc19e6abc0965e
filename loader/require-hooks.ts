/**
 * CommonJS on Node without `module.registerHooks` (20, and 22 before 22.15): `require.extensions`
 * for the TypeScript extensions and around `.js`, and a resolver fallback for `./util.js` meaning
 * `util.ts`. In-thread and synchronous, so `require` keeps its own cache, `require.main` and
 * `require.resolve`: measured on node 20.20, hooks registered with `module.register` only see
 * CommonJS through `import`, and a `require` inside a module they supply source for runs through
 * the ES loader with no `require.cache` — one module could then be loaded twice.
 */
import * as fs from "node:fs";
import { compileFile } from "./compile";
import { isTsprofFile, moduleFormat } from "./format";
import { localFile } from "./resolve";

interface CjsModule {
  filename: string;
  _compile(code: string, filename: string): unknown;
}

interface ModuleStatics {
  _extensions: Record<string, (m: CjsModule, filename: string) => void>;
  _resolveFilename(request: string, parent: CjsModule | undefined, ...rest: unknown[]): string;
}

const Module = require("node:module") as ModuleStatics;

function requireEsmError(filename: string): Error {
  const e = new Error(`require() of ES Module ${filename} not supported; use import() instead (with tsprof, on Node before 22.15)`);
  (e as NodeJS.ErrnoException).code = "ERR_REQUIRE_ESM";
  return e;
}

/**
 * Installs the hooks. `onDynamicImport` runs before a module whose code contains `import(` is
 * executed: the ES loader hooks are only started then (see preload.ts).
 */
export function installRequireHooks(onDynamicImport: () => void): void {
  const extensions = Module._extensions;
  const loadJs = extensions[".js"];

  const loadTs = (m: CjsModule, filename: string) => {
    if (moduleFormat(filename) === "module") {
      // Another compiler hooked in front of this one (ts-node, pirates, jest's config loader wrap
      // `require.extensions[".ts"]` and the module's `_compile`): it turns the file into CommonJS
      // itself. Node's own loader, which it would wrap without tsprof, hands it the file as it
      // is, whatever the package's "type" says; so does this one (the file is then not profiled).
      if (Object.prototype.hasOwnProperty.call(m, "_compile")) return m._compile(fs.readFileSync(filename, "utf8"), filename);
      throw requireEsmError(filename);
    }
    // Not read here: a warm start finds the compiled code by the file's identity alone.
    const code = compileFile(filename, undefined, "commonjs") ?? fs.readFileSync(filename, "utf8");
    if (code.includes("import(")) onDynamicImport();
    m._compile(code, filename);
  };
  // Registered, they also make `require("./util")` and `require("./dir")` find util.ts and dir/index.ts.
  for (const ext of [".ts", ".tsx", ".cts", ".mts"]) extensions[ext] = loadTs;

  extensions[".js"] = function (m: CjsModule, filename: string) {
    if (isTsprofFile(filename)) return loadJs.call(this, m, filename);
    const source = fs.readFileSync(filename, "utf8");
    // An ES module goes to Node's loader, which runs it (node 20.19+: `require(esm)`) or reports it.
    if (moduleFormat(filename, source) === "module") return loadJs.call(this, m, filename);
    const code = compileFile(filename, source, "commonjs");
    if ((code ?? source).includes("import(")) onDynamicImport();
    if (code === undefined) return loadJs.call(this, m, filename);
    m._compile(code, filename);
  };

  // No try/catch around Node's lookup: an error it throws keeps pointing at the program's `require`.
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    const local = localFile(request, parent?.filename, false);
    return resolveFilename.call(this, local ?? request, parent, ...rest);
  };
}
