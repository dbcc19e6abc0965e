/*
 * `tsprof export --to istanbul`: hit counts as istanbul's coverage JSON (coverage-final.json),
 * so coverage viewers and editor gutters show them. Each line that ran becomes a statement
 * counted with its hits. A profile knows only the lines that ran, not which other lines are
 * statements, so lines that never ran are not listed (docs/export-formats.md).
 */
import type { FunctionProfile, Profile } from "./profile";

interface Position {
  line: number;
  column: number;
}
interface Range {
  start: Position;
  end: Position;
}
export interface IstanbulFunction {
  name: string;
  decl: Range;
  loc: Range;
  line: number;
}
export interface IstanbulFileCoverage {
  path: string;
  statementMap: Record<string, Range>;
  fnMap: Record<string, IstanbulFunction>;
  branchMap: Record<string, never>;
  s: Record<string, number>;
  f: Record<string, number>;
  b: Record<string, never>;
}
export type IstanbulCoverage = Record<string, IstanbulFileCoverage>;

/** A line's extent in the snapshot: its first non-blank column to its end. */
function lineRange(fn: FunctionProfile, line: number): Range {
  const text = fn.source[line - fn.line] ?? "";
  const start = text.length - text.trimStart().length;
  return { start: { line, column: start }, end: { line, column: Math.max(start, text.length) } };
}

export function exportIstanbul(profile: Profile): IstanbulCoverage {
  const out: IstanbulCoverage = {};
  const counts = new Map<string, { statements: number; functions: number }>();
  for (const fn of profile.functions) {
    const cov = (out[fn.file] ??= { path: fn.file, statementMap: {}, fnMap: {}, branchMap: {}, s: {}, f: {}, b: {} });
    let n = counts.get(fn.file);
    if (!n) counts.set(fn.file, (n = { statements: 0, functions: 0 }));
    const lines = [...fn.lines].sort(([a], [b]) => a - b);
    for (const [line, t] of lines) {
      const id = String(n.statements++);
      cov.statementMap[id] = lineRange(fn, line);
      cov.s[id] = t.hits;
    }
    const id = String(n.functions++);
    const last = fn.line + Math.max(0, fn.source.length - 1);
    const declLine = fn.source.findIndex((l, i) => i > 0 || !/^\s*(\/\*\*|@)/.test(l)) + fn.line;
    cov.fnMap[id] = {
      name: fn.name,
      decl: lineRange(fn, declLine),
      loc: { start: { line: fn.line, column: 0 }, end: { line: last, column: (fn.source[fn.source.length - 1] ?? "").length } },
      line: fn.line,
    };
    // Entries of the function's first line that ran: its calls, unless that line is a loop header.
    cov.f[id] = lines.length ? lines[0][1].hits : 0;
  }
  return out;
}
