/**
 * The runtime instrumented code loads (`tsprof/runtime`). Tiny and dependency-free: instrumented
 * modules call `register` once, then talk to their `FunctionStats` and `Invocation` objects.
 */
import { installHooks, writeProfile } from "./hooks";
import { outputPath, registerFunctions, session, type FunctionMeta, type RegisterOptions } from "./session";
import { share } from "./watchdog";
import { registerTexts } from "./source-text";
import { capturePristine, withPristineBuiltins } from "./pristine";
import type { FunctionStats } from "./stats";

// Before the program's own code can change them (it runs after its imports have loaded).
capturePristine();

export type { FunctionMeta, RegisterOptions } from "./session";
export { FunctionStats, Invocation } from "./stats";
export type * from "./lprof";
/** For code run in other realms (`vm` contexts): their `Function.prototype.toString` shows plain texts too. */
export { patchRealm } from "./source-text";

/** Called by each instrumented module on load: its functions' metadata in, their counters out. */
export function register(file: string, metas: FunctionMeta[], options?: RegisterOptions, texts?: string[]): FunctionStats[] {
  const stats = registerFunctions(file, metas, options);
  // What toString() returns for these functions in the build without tsprof.
  if (texts) registerTexts(texts);
  installHooks(session());
  return stats;
}

/**
 * Writes this thread's profile now, for test runners whose sandbox never emits `exit` (jest runs
 * each test file in its own global object: `tsprof/jest-setup` calls this after each file).
 */
export function flush(): void {
  const s = session();
  if (!s.enabled || s.functions.length === 0) return;
  if (s.part === undefined) {
    s.part = Math.random().toString(36).slice(2, 10);
    // The watchdog writes this run too (on a signal, as pools end their workers): under the same id.
    share(s, outputPath(s));
  }
  withPristineBuiltins(() => writeProfile(s, true));
}
