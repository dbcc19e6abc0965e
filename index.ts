/**
 * `import { profile } from "tsprof"`: the `@profile` decorator. The tsprof transformer removes it
 * at compile time and instruments the method (or, on a class, every method). Without the
 * transformer it is a valid decorator that does nothing, so code builds and runs either way.
 */
export function profile(): typeof profile;
export function profile(...decoratorArgs: unknown[]): void;
export function profile(...args: unknown[]): typeof profile | void {
  // `@profile()` asks for a decorator; `@profile` (legacy or standard decorators) is one.
  if (args.length === 0) return profile;
}

/** `timeit`, `repeat`, `autorange` and `Timer`: Python's timeit API, on functions. */
export { timeit, repeat, autorange, Timer } from "./timeit";
export type { Autorange, AutorangeCallback, AutorangeOptions, RepeatOptions, TimeitOptions, TimerOptions } from "./timeit";
