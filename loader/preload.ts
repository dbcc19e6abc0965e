/**
 * The loader, installed in each process and thread of the program: required by `tsprof run`
 * itself (in-process.ts), by every node child process the program starts through NODE_OPTIONS
 * (`fork`, `spawn(process.execPath, …)` inherit the environment), and by every worker thread
 * (through its `execArgv`; in a child, NODE_OPTIONS already does it — measured on node 20.20: a
 * NODE_OPTIONS preload runs in each worker, even one created with `execArgv: []`).
 *
 * Node ≥ 22.15: `module.registerHooks` covers require and import in this thread. Before that:
 * require hooks here, and ES-module hooks through `module.register`, started only when needed —
 * they run in an extra thread that costs ~75 ms at start-up (node 20.20 here: 63 → 142 ms for an
 * empty CommonJS program), which a CommonJS program never needs unless it calls `import()`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as threads from "node:worker_threads";
import { loaderConfig, TSPROF_ROOT } from "./config";
import { hideListeners } from "../runtime/watchdog";
import { distrustLoadedScripts } from "../runtime/scripts";
import { HEAP_WORKER_MARK, startHeapSampler } from "./mprof-heap";
import { moduleFormat, packageType } from "./format";
import type { installRequireHooks } from "./require-hooks";
import type { installSyncHooks } from "./sync-hooks";

interface ModuleStatics {
  enableCompileCache?: (dir: string) => unknown;
  registerHooks?: Parameters<typeof installSyncHooks>[0];
  register?: (specifier: string) => void;
  runMain(main?: string): unknown;
  _findPath(request: string, paths: string[] | null, isMain: boolean): string | false;
}

const Module = require("node:module") as ModuleStatics;

let esmHooksStarted = false;

/** Starts the ES-module hooks (Node < 22.15), once per thread. */
function startEsmHooks(): void {
  if (esmHooksStarted || !Module.register) return;
  esmHooksStarted = true;
  distrustLoadedScripts();
  Module.register(pathToFileURL(path.join(__dirname, "esm-hooks.js")).href);
}

/** Whether Node itself runs `file` through its ES loader (its own rule, node 20–22). */
function nodeUsesEsmLoader(file: string): boolean {
  if (file.endsWith(".mjs")) return true;
  if (file.endsWith(".cjs")) return false;
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  return /--(import|loader|experimental-loader)\b|--experimental-default-type=module/.test(flags) || packageType(path.dirname(file)) === "module";
}

/**
 * Wraps `Module.runMain`, which Node calls for the main script and for each worker's script
 * (it is there to be wrapped: node's worker bootstrap says so). The entry decides whether the ES
 * hooks are needed; an `.mts` entry, which Node would hand to `require`, is imported instead.
 */
function wrapRunMain(): void {
  const runMain = Module.runMain;
  Module.runMain = function (main = process.argv[1]) {
    const file = (main && Module._findPath(path.resolve(main), null, true)) || undefined;
    if (!file) return runMain.call(this, main);
    // Only a `.js` file's format depends on its text (moduleFormat).
    let source: string | undefined;
    try {
      if (file.endsWith(".js")) source = fs.readFileSync(file, "utf8");
    } catch {
      // Node reports it.
    }
    const esm = moduleFormat(file, source) === "module";
    if (esm || nodeUsesEsmLoader(file)) startEsmHooks();
    if (!esm || nodeUsesEsmLoader(file) || !Module.register) return runMain.call(this, main);
    // Left unhandled, as Node leaves its own entry's: the error is reported where it was thrown.
    void import(pathToFileURL(file).href);
  };
}

/** tsprof's own code, in a stack line (its compiled files, or their sources through source maps). */
const OWN_FRAME = new RegExp(`^\\s+at (?:.*\\()?(?:file://)?${escapeRegExp(TSPROF_ROOT)}[\\\\/](?:dist|loader|runtime|cli|bin|transformer)[\\\\/]`);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Errors nobody caught, before Node prints them: a TypeScript syntax error is said in one line
 * (no stack, no Node banner); any other loses the stack lines of tsprof's loader (its require
 * hook, its start of the main module), which it would not have without tsprof. The listener is
 * hidden from `process.listenerCount` and friends, as tsprof's others are.
 */
function reportUncaughtErrors(): void {
  const monitor = (e: unknown) => {
    const err = e as Error | undefined;
    if (err?.name === "SyntaxError" && typeof err.message === "string" && err.message.startsWith("tsprof run: ")) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    try {
      const stack = err instanceof Error ? err.stack : undefined;
      if (typeof stack !== "string") return;
      const lines = stack.split("\n");
      const kept = lines.filter((l) => !OWN_FRAME.test(l));
      if (kept.length !== lines.length) err!.stack = kept.join("\n");
    } catch {
      // A frozen error, a throwing getter: printed as it is.
    }
  };
  process.on("uncaughtExceptionMonitor", monitor);
  hideListeners(monitor);
}

function install(): void {
  // Node ≥ 22.1 can keep V8's compiled code between runs too: on node 24.21, a warm start of the
  // 241-module bench project went from 1.86x to 1.58x plain node with it (CommonJS).
  const { cacheDir } = loaderConfig();
  if (cacheDir && Module.enableCompileCache && !process.env.NODE_COMPILE_CACHE) Module.enableCompileCache(path.join(cacheDir, "v8"));
  // Only the hooks this Node uses are loaded.
  if (Module.registerHooks) {
    (require("./sync-hooks") as { installSyncHooks: typeof installSyncHooks }).installSyncHooks(Module.registerHooks);
  } else {
    (require("./require-hooks") as { installRequireHooks: typeof installRequireHooks }).installRequireHooks(startEsmHooks);
    wrapRunMain();
  }
  if (threads.isMainThread) reportUncaughtErrors();
  if (loaderConfig().calls) (require("../runtime/calls-writer") as typeof import("../runtime/calls-writer")).installProf();
  // Last: the program's modules need their source maps, tsprof's own just loaded do not (Node
  // reads and parses a module's map as it compiles it once maps are on: 8 files of tsprof's on
  // a warm start, 13 on a cold one).
  process.setSourceMapsEnabled(true);
}

// Node's hooks thread (node 20–22.14) runs preloads too; it only needs the hooks module itself.
// There `parentPort` is null, unlike in any worker the program creates; node 22+ says so directly.
const isHooksThread = !threads.isMainThread &&
  ((threads as { isInternalThread?: boolean }).isInternalThread ?? threads.parentPort === null);
// `tsprof mprof run`'s heap sampler is a worker of its own: no hooks there.
const isHeapSampler = !threads.isMainThread && (threads.workerData as Record<string, unknown> | null)?.[HEAP_WORKER_MARK] === true;
if (!isHooksThread && !isHeapSampler) install();
if (threads.isMainThread && process.env.TSPROF_MPROF_DIR) startHeapSampler();
