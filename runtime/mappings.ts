/**
 * Source map v3 `mappings`, decoded and encoded: per output line, `[column, source, line,
 * column, name?]` segments with absolute values. Shared by the transformer's relayout and the
 * runtime's mapping of compiled positions back to the source.
 */
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** A source map's `mappings`, decoded: per output line, `[column, source, line, column, name?]` segments, absolute. */
export function decodeMappings(mappings: string): number[][][] {
  const out: number[][][] = [[]];
  let genCol = 0, src = 0, srcLine = 0, srcCol = 0, name = 0;
  let i = 0;
  const n = mappings.length;
  const vlq = () => {
    let result = 0, shift = 0, digit: number;
    do {
      digit = B64_INDEX[mappings.charCodeAt(i++)];
      result += (digit & 31) * 2 ** shift;
      shift += 5;
    } while (digit & 32);
    return result % 2 ? -(result - 1) / 2 : result / 2;
  };
  while (i < n) {
    const c = mappings.charCodeAt(i);
    if (c === 59 /* ; */) { out.push([]); genCol = 0; i++; continue; }
    if (c === 44 /* , */) { i++; continue; }
    genCol += vlq();
    const seg = [genCol];
    if (i < n && mappings[i] !== "," && mappings[i] !== ";") {
      src += vlq(); srcLine += vlq(); srcCol += vlq();
      seg.push(src, srcLine, srcCol);
      if (i < n && mappings[i] !== "," && mappings[i] !== ";") seg.push(name += vlq());
    }
    out[out.length - 1].push(seg);
  }
  return out;
}

/** Decoded segments back to a `mappings` string (segments of a line sorted by column). */
export function encodeMappings(lines: number[][][]): string {
  let out = "";
  let src = 0, srcLine = 0, srcCol = 0, name = 0;
  const vlq = (v: number) => {
    let x = v < 0 ? -v * 2 + 1 : v * 2;
    do {
      let digit = x & 31;
      x = Math.floor(x / 32);
      if (x > 0) digit |= 32;
      out += B64[digit];
    } while (x > 0);
  };
  for (let l = 0; l < lines.length; l++) {
    if (l > 0) out += ";";
    let genCol = 0;
    const segs = lines[l];
    for (let s = 0; s < segs.length; s++) {
      const seg = segs[s];
      if (s > 0) out += ",";
      vlq(seg[0] - genCol); genCol = seg[0];
      if (seg.length >= 4) {
        vlq(seg[1] - src); src = seg[1];
        vlq(seg[2] - srcLine); srcLine = seg[2];
        vlq(seg[3] - srcCol); srcCol = seg[3];
        if (seg.length >= 5) { vlq(seg[4] - name); name = seg[4]; }
      }
    }
  }
  return out;
}
