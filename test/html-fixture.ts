/* Profiles made up for the HTML and export tests: known numbers, known hottest lines. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LPROF_FORMAT, LPROF_VERSION, type LprofColumn, type LprofFile, type LprofFunction, type LprofRun } from "../runtime/lprof";

export function run(functions: LprofFunction[], extra: Partial<LprofRun> = {}): LprofRun {
  return {
    id: `1-0-${Math.random()}`, session: "s", pid: 4242, threadId: 0, argv: ["/usr/bin/node", "/work/app/main.ts", "--fast"], cwd: "/work/app", node: "v20.20.2",
    start: "2026-01-01T00:00:00.000Z", end: "2026-01-01T00:00:02.000Z", duration: 2.5, mode: "exact", complete: true,
    columns: ["line", "hits", "time", "wait", "nested", "calls"] as LprofColumn[], calibration: { probe: 0, call: 0 }, functions, ...extra,
  };
}

export function lprof(runs: LprofRun[]): LprofFile {
  return { format: LPROF_FORMAT, version: LPROF_VERSION, unit: 1e-9, runs };
}

const FOO = ["/** @profile */", "function foo(n: number) {", "  let s = 0;", "  for (let i = 0; i < n; i++) {", "    s += i;", "  }", "  return s;", "}"];
const BAR = ["  /** @profile */", "  bar(items: string[]) {", "    const seen = new Set<string>();", "    for (const item of items) seen.add(item);", "    return seen.size;", "  }"];
const WAIT = ["/** @profile */", "async function fetchAll(urls: string[]) {", "  const out = [];", "  for (const u of urls) out.push(await get(u));", "  return out;", "}"];

/** foo: hottest line 5 (74.9%); Cart.bar: most hits; fetchAll: waits at line 22; never: not called. */
export function sampleProfile(): LprofFile {
  return lprof([run([
    { file: "/work/app/src/a.ts", name: "foo", line: 1, kind: "sync", source: FOO, lines: [[3, 1, 500, 0, 0, 0], [4, 1001, 250000, 0, 0, 0], [5, 1000, 749000, 0, 0, 0], [7, 1, 500, 0, 0, 0]] },
    { file: "/work/app/src/cart.ts", name: "Cart.bar", line: 10, kind: "sync", source: BAR, lines: [[12, 3, 3000, 0, 0, 0], [13, 60003, 150000, 0, 0, 0], [14, 3, 600, 0, 0, 0]] },
    { file: "/work/app/src/net.ts", name: "fetchAll", line: 20, kind: "async", source: WAIT, lines: [[22, 1, 100, 0, 0, 0], [23, 4, 8000, 5_000_000, 0, 0], [24, 1, 50, 0, 0, 0]] },
    { file: "/work/app/src/a.ts", name: "never", line: 30, kind: "sync", source: ["/** @profile */", "function never() {", "  return 1;", "}"], lines: [] },
  ])]);
}

/** A sampled run of one function, with its Samples column. */
export function sampledProfile(): LprofFile {
  return lprof([run([
    { file: "/work/app/src/s.ts", name: "sampledFn", line: 1, kind: "sync", source: ["/** @profile */", "function sampledFn() {", "  work();", "  more();", "}"], lines: [[3, 10, 2_000_000, 0, 40], [4, 10, 6_000_000, 0, 120]] },
  ], { mode: "sampled", rate: 4000, columns: ["line", "hits", "time", "wait", "samples"] as LprofColumn[] })]);
}

/** `count` functions of `lines` lines each, with deterministic, varied numbers. */
export function bigProfile(count: number, lines = 12): LprofFile {
  const functions: LprofFunction[] = [];
  for (let f = 0; f < count; f++) {
    const first = 1 + f * (lines + 3);
    const source = ["/** @profile */", `function fn${f}(x: number) {`, ...Array.from({ length: lines }, (_, i) => `  x = x * ${i + 1} + ${f % 97}; // step ${i}`), "}"];
    const rows = Array.from({ length: lines }, (_, i) => [first + 2 + i, 1 + ((f * 31 + i * 7) % 500), 1000 + ((f * 7919 + i * 104729) % 1_000_000), 0, 0, 0]);
    functions.push({ file: `/work/app/src/m${f % 50}.ts`, name: `fn${f}`, line: first, kind: "sync", source, lines: rows });
  }
  return lprof([run(functions)]);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeJson(file: string, data: unknown): string {
  fs.writeFileSync(file, JSON.stringify(data));
  return file;
}
