/**
 * The TypeScript the loader compiles with, loaded once. On node without
 * `module.enableCompileCache` (node 20, 22.0), with a V8 code cache of it kept in the compile
 * cache: loading TypeScript's 9 MB takes ~185 ms idle (458–541 ms under a load average of ~25
 * here), 85–124 ms from the code cache at the same load. On newer node, Node's own compile cache
 * (preload.ts) does this for every module, TypeScript included.
 *
 * It is the very module `require("typescript")` gives (same file, registered in `require.cache`):
 * a program sharing that copy of TypeScript shares its instance, as it did before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as TS from "typescript";
import { cacheKey, cacheGetBytes, cachePutBytes, trustCacheDir } from "./cache";
import { loaderConfig } from "./config";
import { noteTypeScriptLoaded } from "../runtime/scripts";

interface CjsModule { exports: unknown; filename: string; paths: string[]; loaded: boolean; require(id: string): unknown }
interface ModuleStatics {
  new (id: string, parent?: unknown): CjsModule;
  _cache: Record<string, CjsModule | undefined>;
  _extensions: Record<string, unknown>;
  _nodeModulePaths(dir: string): string[];
  _resolveFilename(request: string, parent: CjsModule, isMain: boolean, options?: unknown): string;
  wrap(code: string): string;
  enableCompileCache?: unknown;
}

let loaded: typeof TS | undefined;
let produce: (() => void) | undefined;

export function loadTypeScript(): typeof TS {
  if (loaded) return loaded;
  noteTypeScriptLoaded();
  const file = require.resolve("typescript");
  const Module = require("node:module") as ModuleStatics;
  const dir = loaderConfig().cacheDir;
  if (Module._cache[file] || Module.enableCompileCache || !dir || !trustCacheDir(dir)) return (loaded = require(file) as typeof TS);
  const vm = require("node:vm") as typeof import("node:vm");
  const source = fs.readFileSync(file, "utf8");
  const key = cacheKey(source, ["v8 code cache", file, process.version, process.arch]);
  const cachedData = cacheGetBytes(dir, key);
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER as never,
  });
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  const req = Object.assign((id: string) => m.require(id), {
    resolve: (request: string, options?: unknown) => Module._resolveFilename(request, m, false, options),
    main: require.main,
    cache: Module._cache,
    extensions: Module._extensions,
  });
  Module._cache[file] = m;
  try {
    (script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => void).call(m.exports, m.exports, req, m, file, path.dirname(file));
  } catch (e) {
    delete Module._cache[file];
    throw e;
  }
  m.loaded = true;
  // Written after the first compile, so that the functions compiling needs are in it too.
  if (cachedData === undefined || script.cachedDataRejected) produce = () => cachePutBytes(dir, key, script.createCachedData());
  return (loaded = m.exports as typeof TS);
}

/** After a file was compiled: writes the code cache, once, when it was missing. */
export function typescriptUsed(): void {
  produce?.();
  produce = undefined;
}
