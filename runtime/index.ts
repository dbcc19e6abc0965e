/**
 * The runtime instrumented code loads (`tsprof/runtime`). Tiny and dependency-free: instrumented
 * modules call `register` once, then talk to their `FunctionStats` and `Invocation` objects.
 */
import { installHooks } from "./hooks";
import { registerFunctions, session, type FunctionMeta, type RegisterOptions } from "./session";
import type { FunctionStats } from "./stats";

export type { FunctionMeta, RegisterOptions } from "./session";
export { FunctionStats, Invocation } from "./stats";
export type * from "./lprof";

/** Called by each instrumented module on load: its functions' metadata in, their counters out. */
export function register(file: string, metas: FunctionMeta[], options?: RegisterOptions): FunctionStats[] {
  const stats = registerFunctions(file, metas, options);
  installHooks(session());
  return stats;
}
