/*
 * The timing loop, as source text compiled with `new Function` once per Timer. A fresh function
 * per statement keeps V8's feedback about the statement's call site to itself: one shared loop
 * calling every timed function would turn megamorphic and stop inlining, and the numbers would
 * depend on what was timed before. The clock is read twice per run, around the whole loop, never
 * per iteration (a clock read costs ≈ 40–90 ns; an optimized empty iteration ≈ 0.4–0.6 ns).
 */

/** The loop's result variable; all the loop's own names start with `__tsprof_`, free for snippets. */
export const SINK = "__tsprof_sink";

/** What a run leaves behind: the last result (kept alive, see SINK) and whether setup finished. */
export interface LoopState {
  result: unknown;
  timing: boolean;
}

/** A compiled timing loop: runs setup, then the statement `loops` times; returns the seconds between two timer reads. */
export type Harness = (loops: number, timer: () => number, state: LoopState) => number;

/**
 * The loop's source. The statement's value goes to a local sink that escapes after the loop:
 * measured on node 20, without it V8 deletes `a.indexOf(7)` (0.55 ns per loop, the empty loop's
 * cost) and `new Array(10)` (0.41 ns); with it they cost 6.9 ns and 7.6 ns. Storing to a heap
 * object every iteration instead adds a write barrier (`({a: 1})`: 5.4 ns against 1.6 ns).
 * Python runs setup inside its `inner()` too: fresh setup state on every run.
 */
export function loopSource(setup: string, body: string): string {
  return [
    "function __tsprof_loop(__tsprof_loops, __tsprof_timer, __tsprof_state) {",
    setup,
    `let ${SINK};`,
    "__tsprof_state.timing = true;",
    "const __tsprof_t0 = __tsprof_timer();",
    "for (let __tsprof_i = 0; __tsprof_i < __tsprof_loops; __tsprof_i++) {",
    body,
    "}",
    "const __tsprof_t1 = __tsprof_timer();",
    `__tsprof_state.result = ${SINK};`,
    "return __tsprof_t1 - __tsprof_t0;",
    "}",
  ].join("\n");
}

/** A loop around a function (the API): its return value is the statement's result. */
export function functionHarness(stmt: () => unknown, setup?: () => unknown): Harness {
  const source = loopSource(setup ? "__tsprof_setup();" : "", `${SINK} = __tsprof_stmt();`);
  return new Function("__tsprof_stmt", "__tsprof_setup", `return ${source}`)(stmt, setup) as Harness;
}

/** The same loop with nothing to do: its time per loop is the floor below which nothing is measured. */
export function emptyHarness(): Harness {
  return new Function(`return ${loopSource("", `${SINK} = undefined;`)}`)() as Harness;
}
