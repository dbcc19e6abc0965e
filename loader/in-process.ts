/**
 * `tsprof run` without node options: tsprof's own process becomes the program, as kernprof runs
 * the script in its own interpreter. A second node process would cost 76 ms before the program
 * starts (measured here: node's own start 62 ms, the CLI 14 ms) — about half of what plain node
 * takes to load a 240-module program, which alone would break the 1.5x start-up target.
 *
 * The program sees what it would under `node SCRIPT ARGS`: `process.argv`, `require.main`, its own
 * exit code, and its own signal behaviour (nothing is relayed, nothing delivered twice).
 */
import { syncBuiltinESMExports } from "node:module";
import * as path from "node:path";
import type * as WorkerThreads from "node:worker_threads";
import type { EndHooks } from "../runtime/hooks";
import { loaderConfig } from "./config";
import { PRELOAD } from "./launch";

const Module = require("node:module") as { runMain(main?: string): unknown; enableCompileCache?: (dir: string) => unknown };

/**
 * Node's compile cache (node ≥ 22.1) on before tsprof's own runtime and loader load, not only
 * for the program's modules (preload.ts turns it on too, in the same directory, for child
 * processes): the ~30 modules loaded from here on then come from V8's code cache. Measured on
 * node 24.22, the bench's 241-module CommonJS project, warm: CPU time to the program's first
 * output 275 ms against 306 ms (medians of 9 interleaved runs; plain node 151 ms).
 */
function enableCompileCacheEarly(): void {
  const { cacheDir } = loaderConfig();
  if (cacheDir && Module.enableCompileCache && !process.env.NODE_COMPILE_CACHE) Module.enableCompileCache(path.join(cacheDir, "v8"));
}

/**
 * Workers run NODE_OPTIONS preloads only when the process started with them; this one did not,
 * so each worker gets the preload in its `execArgv` (which accepts `--require`: checked on node
 * 20.20 and 24.21).
 */
function preloadInWorkers(): void {
  // The module's own exports object (an `import * as` copy would only have getters).
  const threads = require("node:worker_threads") as typeof WorkerThreads;
  const Base = threads.Worker;
  class Worker extends Base {
    constructor(filename: string | URL, options: WorkerThreads.WorkerOptions = {}) {
      const execArgv = options.execArgv ?? process.execArgv;
      super(filename, { ...options, execArgv: execArgv.includes(PRELOAD) ? execArgv : [...execArgv, "--require", PRELOAD] });
    }
  }
  (threads as { Worker: typeof Base }).Worker = Worker;
  syncBuiltinESMExports(); // `import { Worker } from "node:worker_threads"` sees it too
}

/**
 * Runs `script` here. `end.onExit(code)` runs once the profile is final at exit (normal end,
 * `process.exit`, uncaught error); `end.onSignal`, a module's export, runs in the watchdog thread
 * when a signal the program does not handle ends it (then the process dies by that same signal).
 * tsprof adds no listener the program can count: its own signal listeners decide, as under node.
 * The environment must already be set.
 */
export function runInProcess(script: string, args: string[], end: EndHooks): void {
  enableCompileCacheEarly();
  // Loaded only now, with the compile cache on.
  const { installHooks, setEndHooks } = require("../runtime/hooks") as typeof import("../runtime/hooks");
  const { session } = require("../runtime/session") as typeof import("../runtime/session");
  require(PRELOAD);
  setEndHooks(end);
  // Hooked before the Worker wrapper below: the watchdog thread is tsprof's, not the program's.
  const s = session();
  installHooks(s);
  // With probes off (TSPROF=0: `tsprof prof`), the runtime writes nothing and calls no end hook.
  if (!s.hooked) process.on("exit", (code) => end.onExit(code));
  preloadInWorkers();
  process.argv.splice(1, process.argv.length, script, ...args);
  // Outside the CLI's call stack: what the program throws is the program's uncaught error.
  process.nextTick(() => Module.runMain(script));
}
