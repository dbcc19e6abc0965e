/**
 * The code `tsprof run`'s loader handed to this thread's module loader, by file path: V8 mode
 * reads a profiled script's text from here instead of from V8's debugger, and skips the scripts
 * the loader ran without instrumentation (`null`). Opening the debugger reports every script of
 * the thread to it: on the bench's 241-module project that was most of the exit's work.
 * A script the loader never saw (a tspc build, a bundle) is still read from V8.
 */
const KEY = Symbol.for("tsprof.scripts");

interface Registry {
  /** path → the code run (it registers profiled functions), or null (it registers none). */
  scripts: Map<string, string | null>;
  /**
   * False once Node's off-thread ES-module hooks run (Node < 22.15): they may give a CommonJS
   * file an ES-module facade under the same URL, a second script this thread never sees.
   */
  trusted: boolean;
  /** Whether the loader has loaded TypeScript in this thread (to compile a file). */
  typescript?: boolean;
}

function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  let r = g[KEY];
  if (!r) {
    r = { scripts: new Map(), trusted: true };
    Object.defineProperty(g, KEY, { value: r, enumerable: false, writable: false, configurable: true });
  }
  return r;
}

/** What the loader ran for `file`: its code, null (nothing profiled in it), or undefined (not known: ask V8). */
export function loadedScript(file: string): string | null | undefined {
  const r = registry();
  return r.trusted ? r.scripts.get(file) : undefined;
}

/** Records what the loader gave Node to run for `file`: `code`, or the file as it is (undefined). */
export function noteLoadedScript(file: string, code: string | undefined): void {
  const r = registry();
  if (r.trusted) r.scripts.set(file, code !== undefined && code.includes(".register(") ? code : null);
}

/**
 * Whether this thread's modules load in this thread: false once Node's off-thread ES-module
 * hooks run (node < 22.15 under `tsprof run`), which then compile and read them in their own.
 */
export function modulesLoadInThread(): boolean {
  return registry().trusted;
}

/** Whether TypeScript was loaded in this thread to compile the program's files (a cold or edited start). */
export function typescriptLoadedHere(): boolean {
  return registry().typescript === true;
}

/** Notes that the loader loaded TypeScript in this thread. */
export function noteTypeScriptLoaded(): void {
  registry().typescript = true;
}

/** Stops using the record (see `trusted`). */
export function distrustLoadedScripts(): void {
  const r = registry();
  r.trusted = false;
  r.scripts.clear();
}
