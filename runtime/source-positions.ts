/**
 * Compiled positions back to the original source, through the source map Node keeps for each
 * module it loaded with one (the loader's inline maps; `process.setSourceMapsEnabled(true)`).
 * Mappings are decoded once per file into segments per generated line.
 */
import { fileURLToPath } from "node:url";

/** `[generated column, original line, original column]`, 0-based, by generated column. */
type Segment = [number, number, number];

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** Source map v3 `mappings` (of the first source only) as segments per generated line. */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let srcLine = 0, srcCol = 0, source = 0;
  for (const text of mappings.split(";")) {
    const segs: Segment[] = [];
    let genCol = 0;
    for (const seg of text.split(",")) {
      if (!seg) continue;
      const v: number[] = [];
      let shift = 0, value = 0;
      for (const c of seg) {
        const digit = B64_INDEX.get(c) ?? 0;
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          v.push(value & 1 ? -(value >>> 1) : value >>> 1);
          shift = 0;
          value = 0;
        }
      }
      genCol += v[0] ?? 0;
      if (v.length >= 4) {
        source += v[1];
        srcLine += v[2];
        srcCol += v[3];
        if (source === 0) segs.push([genCol, srcLine, srcCol]);
      }
    }
    lines.push(segs);
  }
  return lines;
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
