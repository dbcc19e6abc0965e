/**
 * Compiled positions back to the original source, through the source map Node keeps for each
 * module it loaded with one (the loader's inline maps; `process.setSourceMapsEnabled(true)`).
 * Mappings are decoded once per file into segments per generated line.
 */
import { fileURLToPath } from "node:url";
import { decodeMappings as decodeAll } from "./mappings";

/** `[generated column, original line, original column]`, 0-based, by generated column. */
type Segment = [number, number, number];

/** Source map v3 `mappings` (of the first source only) as segments per generated line. */
export function decodeMappings(mappings: string): Segment[][] {
  return decodeAll(mappings).map((line) => {
    const segs: Segment[] = [];
    for (const seg of line) if (seg.length >= 4 && seg[1] === 0) segs.push([seg[0], seg[2], seg[3]]);
    return segs;
  });
}

const maps = new Map<string, Segment[][] | null>();

function segmentsOf(url: string): Segment[][] | null {
  let m = maps.get(url);
  if (m !== undefined) return m;
  m = null;
  try {
    const { findSourceMap } = require("node:module") as { findSourceMap?: (p: string) => { payload: { mappings: string } } | undefined };
    const file = url.startsWith("file:") ? fileURLToPath(url) : url;
    const map = findSourceMap?.(file) ?? findSourceMap?.(url);
    if (map?.payload?.mappings) m = decodeMappings(map.payload.mappings);
  } catch {
    m = null;
  }
  maps.set(url, m);
  return m;
}

/** The original `[line, column]` (0-based) of a compiled position; the position itself when the file has no map. */
export function originalPosition(url: string, line: number, column: number): [number, number] {
  const segs = segmentsOf(url)?.[line];
  if (!segs) return segmentsOf(url) ? [-1, -1] : [line, column];
  if (segs.length === 0) return [-1, -1];
  let best = segs[0];
  for (const s of segs) {
    if (s[0] > column) break;
    best = s;
  }
  return [best[1], best[2]];
}

/** The original line (0-based) a compiled line starts, or -1 when it maps to nothing (code the transform added). */
export function originalLine(url: string, line: number): number {
  const map = segmentsOf(url);
  if (!map) return line;
  const segs = map[line];
  return segs && segs.length ? segs[0][1] : -1;
}
