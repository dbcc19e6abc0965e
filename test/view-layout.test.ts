/*
 * The report's layout, fast path against the layout as it was (kept here verbatim as the
 * reference; the extra columns' cells are the report's own), on generated profiles with every column option, colors, wide cells and lines
 * outside the source; and the escape pass skipped only where it would change nothing.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { formatF, formatG, formatWG } from "../report/printf";
import { displayPath, extraColumns, formatFunction, formatReport, untimedReason, type ReportOptions } from "../report/line-report";
import { mergeProfiles, totalTime, totalWait, type FunctionProfile, type Profile } from "../report/profile";
import { parseLprof } from "../report/read";
import { bigProfile } from "../bench/big-profile";
import { LPROF_FORMAT, LPROF_VERSION, type LprofFile } from "../runtime/lprof";

const MIN_WIDTHS = { line: 6, hits: 9, time: 12, perhit: 8, percent: 8 };

const ansi = (on: boolean) => {
  const wrap = (code: string) => (s: string) => (on && s.trim() ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { bold: wrap("1"), dim: wrap("2"), red: wrap("31"), yellow: wrap("33"), cyan: wrap("36") };
};

/** One function's block, exactly as line_profiler's `show_func` lays it out (plus requested extra columns). */
function referenceFormatFunction(fn: FunctionProfile, profile: Profile, options: ReportOptions = {}): string {
  const c = ansi(!!options.color);
  const outputUnit = options.outputUnit ?? 1e-6;
  const unit = profile.unit;
  const scalar = unit / outputUnit;
  const total = totalTime(fn);
  const wait = totalWait(fn);
  const extras = extraColumns(options);
  const out: string[] = [];
  out.push(c.bold(`Total time: ${formatG(total * unit)} s`));
  out.push(`File: ${displayPath(fn.file, options.cwd)}`);
  out.push(c.bold(`Function: ${fn.name} at line ${fn.line}`));
  if (wait > 0) out.push(`Wait time: ${formatG(wait * unit)} s (suspended at await/yield; not in Total time)`);
  // The note is its own feature (tested in view.test.ts); the layout around it is what is compared.
  const untimed = untimedReason(fn, profile);
  if (untimed) out.push(untimed);

  type Cells = { hits: string; time: string; perhit: string; percent: string; extra: string[]; share: number };
  const display = new Map<number, Cells>();
  for (const [line, t] of fn.lines) {
    // The same arithmetic, in the same order, as kernprof: identical doubles, identical text.
    let time = formatF(t.time * scalar, 5, 1);
    if (time.length > MIN_WIDTHS.time) time = formatWG(t.time * scalar, 5, 3);
    let perhit = t.hits > 0 ? formatF((t.time * scalar) / t.hits, 5, 1) : "";
    if (perhit.length > MIN_WIDTHS.perhit) perhit = formatWG((t.time * scalar) / t.hits, 5, 3);
    let hits = String(t.hits);
    if (hits.length > MIN_WIDTHS.hits) hits = formatG(t.hits);
    const percent = total === 0 ? "" : formatF((100 * t.time) / total, 5, 1);
    const extra = extras.map((x) => x.cell(t, scalar));
    display.set(line, { hits, time, perhit, percent, extra, share: total === 0 ? 0 : t.time / total });
  }
  const widths = { ...MIN_WIDTHS };
  const extraWidths = extras.map((x) => Math.max(x.minWidth, x.header.length));
  for (const d of display.values()) {
    widths.hits = Math.max(widths.hits, d.hits.length);
    widths.time = Math.max(widths.time, d.time.length);
    widths.perhit = Math.max(widths.perhit, d.perhit.length);
    d.extra.forEach((cell, i) => (extraWidths[i] = Math.max(extraWidths[i], cell.length)));
  }
  // Cells are padded before coloring, so ANSI codes never move a column.
  const row = (line: string, hits: string, time: string, perhit: string, percent: string, extra: string[], paint = (x: string) => x) =>
    [line.padStart(widths.line), hits.padStart(widths.hits), time.padStart(widths.time), perhit.padStart(widths.perhit),
      paint(percent.padStart(widths.percent)), ...extra.map((cell, i) => cell.padStart(extraWidths[i]))].join(" ");
  const header = `${row("Line #", "Hits", "Time", "Per Hit", "% Time", extras.map((x) => x.header))}  Line Contents`;
  out.push("", header, "=".repeat(header.length));
  const blank = extras.map(() => "");
  fn.source.forEach((text, i) => {
    const line = fn.line + i;
    const d = display.get(line);
    if (!d) {
      out.push(`${row(String(line), "", "", "", "", blank)}  ${text}`);
      return;
    }
    const paint = d.share >= 0.25 ? c.red : d.share >= 0.1 ? c.yellow : (x: string) => x;
    out.push(`${row(String(line), d.hits, d.time, d.perhit, d.percent, d.extra, paint)}  ${text}`);
  });
  out.push("");
  return out.join("\n") + "\n";
}

/** Functions the generator does not make: wide cells, lines outside the source, nothing timed. */
function oddFunctions(): LprofFile {
  const run = bigProfile({ functions: 1 }).runs[0];
  const source = ["/** @profile */", "function odd() {", "  a();", "  b();", "}"];
  const fn = (name: string, line: number, lines: number[][]) => ({ file: "/w/odd.ts", name, line, kind: "sync", source, lines });
  run.functions = [
    // Hits past 9 digits (%g), times past 12 (%5.3g), per-hit past 8.
    fn("wide", 1, [[3, 12_345_678_901, 9e17, 0, 0, 0], [4, 1, 4.4e15, 0, 0, 0]]),
    // A line after the source and one before it: they widen columns but print no row.
    fn("outside", 10, [[8, 2_000_000_000, 5, 0, 0, 0], [99, 12_345_678_901, 1e16, 0, 0, 0], [11, 1, 100, 0, 0, 0]]),
    // Nothing timed: no % Time; no hits: no Per Hit.
    fn("untimed", 20, [[21, 5, 0, 0, 0, 0], [22, 0, 0, 30, 0, 0]]),
    // Line numbers past six digits.
    fn("far", 9_999_998, [[9_999_999, 1, 10, 0, 0, 0], [10_000_001, 1, 7, 0, 0, 0]]),
    // Ties at the rounding digit: 0.25 and 0.35 us, 12.5 %.
    fn("ties", 40, [[41, 1, 250, 0, 0, 0], [42, 2, 700, 0, 0, 0], [43, 1, 50, 0, 0, 0]]),
  ];
  run.calibration = { probe: 0, call: 0 };
  return { format: LPROF_FORMAT, version: LPROF_VERSION, unit: 1e-9, runs: [run] };
}

const OPTIONS: ReportOptions[] = [
  {}, { color: true }, { outputUnit: 1e-9 }, { outputUnit: 1 }, { outputUnit: 1e-3, wait: true }, { samples: true, memory: true, color: true },
  { wait: true, samples: true, memory: true, outputUnit: 1e-15 }, { cwd: "/home/dev/app" },
];

test("the report's layout is the reference's, to the byte, in every option", () => {
  const profiles: Profile[] = [
    mergeProfiles([bigProfile({ functions: 300, memory: true })]),
    mergeProfiles([bigProfile({ functions: 200, runs: 2, seed: 3 })]),
    mergeProfiles([bigProfile({ functions: 200, seed: 4 })], { raw: true }),
    mergeProfiles([oddFunctions()]),
  ];
  let blocks = 0;
  for (const profile of profiles) {
    for (const options of OPTIONS) {
      for (const fn of profile.functions) {
        assert.equal(formatFunction(fn, profile, options), referenceFormatFunction(fn, profile, options), `${fn.name} ${JSON.stringify(options)}`);
        blocks++;
      }
    }
  }
  assert.ok(blocks > 5000);
  // The odd functions do reach the wide layouts.
  const odd = profiles[3];
  const text = formatReport(odd, {});
  assert.match(text, /1\.23457e\+10/);
  assert.match(text, / 9e\+14 /);
  assert.match(text, /^10000001 /m);
  // Line 99 is outside the source of "outside", yet its hits widen the column.
  assert.match(formatFunction(odd.functions[1], odd), /^Line # {8}Hits/m);
});

function fileWith(name: string, source: string[]): Buffer {
  const data = bigProfile({ functions: 1 });
  const fn = data.runs[0].functions[0];
  fn.name = name;
  fn.source = source;
  return Buffer.from(JSON.stringify(data));
}

test("names and source lines are written out wherever a control character can be, and tabs in source kept", () => {
  // Only tabs in the text: the names are still escaped (a tab there is written out), the source keeps its tabs.
  let fn = parseLprof("x.lprof", fileWith("a\tb", ["\tx = 1;", "y"])).runs[0].functions[0];
  assert.equal(fn.name, "a\\x09b");
  assert.deepEqual(fn.source, ["\tx = 1;", "y"]);
  // An escape sequence, a raw C1 control, a bidirectional mark, a newline: all written out in source lines too.
  for (const [raw, shown] of [["\u001b[2J", "\\x1b[2J"], ["\u009b31m", "\\x9b31m"], ["\u202e", "\\u202e"], ["a\nb", "a\\x0ab"], ["\u0007", "\\x07"]]) {
    fn = parseLprof("x.lprof", fileWith("f", ["\tok", raw])).runs[0].functions[0];
    assert.deepEqual(fn.source, ["\tok", shown], JSON.stringify(raw));
  }
  // A text with nothing to write out comes back unchanged.
  fn = parseLprof("x.lprof", fileWith("Cart.total", ["let s = \"\\\\\";", "é ü — ok"])).runs[0].functions[0];
  assert.deepEqual([fn.name, fn.source], ["Cart.total", ["let s = \"\\\\\";", "é ü — ok"]]);
});
