/**
 * The code `tsprof run`'s loader handed to this thread's module loader, by file path: V8 mode
 * reads a profiled script's text from here instead of from V8's debugger, and skips the scripts
 * the loader ran without instrumentation (`null`). Opening the debugger reports every script of
 * the thread to it: on the bench's 241-module project that was most of the exit's work.
 * A script the loader never saw (a tspc build, a bundle) is still read from V8.
 */
const KEY = Symbol.for("tsprof.scripts");

/** This thread's registry: path → the code run (it registers profiled functions), or null (it registers none). */
export function loadedScripts(): Map<string, string | null> {
  const g = globalThis as unknown as Record<symbol, Map<string, string | null> | undefined>;
  let m = g[KEY];
  if (!m) {
    m = new Map();
    Object.defineProperty(g, KEY, { value: m, enumerable: false, writable: false, configurable: true });
  }
  return m;
}

/** Records what the loader gave Node to run for `file`: `code`, or the file as it is (undefined). */
export function noteLoadedScript(file: string, code: string | undefined): void {
  loadedScripts().set(file, code !== undefined && code.includes(".register(") ? code : null);
}
