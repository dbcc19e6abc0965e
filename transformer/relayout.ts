import type * as TS from "typescript";
import { decodeMappings, encodeMappings } from "../runtime/mappings";
import { forEachDescendant } from "./marks";

/**
 * Puts the instrumented output's lines where the plain build has them, so that raw
 * `Error.prepareStackTrace` call sites (`getLineNumber()`, `getEnclosingLineNumber()`) read the
 * plain build's lines (docs/semantics.md, "Raw call-site lines"). TypeScript's printer gives
 * every probe, `try {` and `} finally {…}` a line of its own; here, after printing, each token
 * that the output's source map ties to a source position the plain build's map also has goes
 * on the line the plain build gives that position, and tsprof's own tokens (which map nowhere)
 * join the line before them. Only the gaps between tokens change (line breaks and spaces; a
 * `//` comment the printer wrote twice, or one in a self-calling function's copy, becomes a block
 * comment), and the result is parsed again and compared node by node with the printed text, as
 * text-copy.ts `checkedJoins` does: any difference keeps the printed text. The map is carried
 * over segment by segment.
 */

/**
 * Source position (`sourceLine * 2^32 + sourceColumn`) → the plain build's (0-based) output
 * lines that map to it, ascending, each with the word (or character) its output starts with
 * there: `exports.f = f` and `function f` both map to `export function f`.
 */
export type PlainLines = Map<number, { lines: number[]; words: string[]; columns: number[] }>;

const WORD = /[A-Za-z0-9_$\u0080-\uffff]+|[^]/y;
function wordAt(text: string, at: number): string {
  WORD.lastIndex = at;
  return WORD.exec(text)?.[0] ?? "";
}

export { decodeMappings, encodeMappings };

const KEY = 2 ** 32;

/** The plain build's output lines of each source position its map names, from its map and text. */
export function plainLines(mappings: number[][][], text: string): PlainLines {
  const out: PlainLines = new Map();
  const starts = lineStartsOf(text);
  for (let l = 0; l < mappings.length && l < starts.length; l++) {
    for (const seg of mappings[l]) {
      if (seg.length < 4 || seg[1] !== 0) continue;
      const key = seg[2] * KEY + seg[3];
      const word = wordAt(text, starts[l] + seg[0]);
      const at = out.get(key);
      if (!at) out.set(key, { lines: [l], words: [word], columns: [seg[0]] });
      else if (at.lines[at.lines.length - 1] !== l || at.words[at.words.length - 1] !== word) { at.lines.push(l); at.words.push(word); at.columns.push(seg[0]); }
    }
  }
  return out;
}

const LINE_COMMENT_OR_BLOCK = /\/\/[^\n\r\u2028\u2029]*|\/\*[\s\S]*?\*\//g;
const BREAKS = /\r\n|[\n\r\u2028\u2029]/g;

/** Offsets at which lines start: after `\r\n`, `\n`, `\r`, U+2028 and U+2029, as TypeScript and V8 count lines. */
function lineStartsOf(text: string): number[] {
  const out = [0];
  BREAKS.lastIndex = 0;
  while (BREAKS.test(text)) out.push(BREAKS.lastIndex);
  return out;
}

function countBreaks(s: string): number {
  if (s.length === 0 || (s.length === 1 && s !== "\n" && s !== "\r" && s !== "\u2028" && s !== "\u2029")) return 0;
  if (s.indexOf("\n") < 0 && s.indexOf("\r") < 0 && s.indexOf("\u2028") < 0 && s.indexOf("\u2029") < 0) return 0;
  BREAKS.lastIndex = 0;
  let n = 0;
  while (BREAKS.test(s)) n++;
  return n;
}

/**
 * The output with its lines moved to the plain build's, and its map carried over; undefined when
 * nothing moves, or when the moved text would not parse as the same program.
 */
export function relayout(ts: typeof TS, code: string, mappings: number[][][], plain: PlainLines): { code: string; mappings: number[][][] } | undefined {
  const out = ts.createSourceFile("out.js", code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  if ((out as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics?.length) return undefined;
  const tokens = tokensOf(ts, out);
  if (!tokens || tokens.starts.length === 0) return undefined;
  const { starts, ends } = tokens;

  // Source position at each output offset that starts a segment.
  const lineStarts = lineStartsOf(code);
  const sourceAt = new Map<number, number>();
  for (let l = 0; l < mappings.length && l < lineStarts.length; l++) {
    for (const seg of mappings[l]) {
      if (seg.length < 4 || seg[1] !== 0) continue;
      const at = lineStarts[l] + seg[0];
      if (!sourceAt.has(at)) sourceAt.set(at, seg[2] * KEY + seg[3]);
    }
  }
  // The line each token should start on, among the plain build's lines at its source position (a
  // name can be printed twice, `exports.f = f`): the longest non-decreasing choice over the file
  // (patience sorting; a token's lines enter in descending order, so it takes one at most). A
  // token left out, and every token of a self-calling function's copy, whose statements the
  // program's own follow (plan.ts `selfCopy`), has none (-1): it joins the line before it.
  const copied = copyRanges(ts, out);
  const pairToken: number[] = [], pairLine: number[] = [], pairColumn: number[] = [];
  let c = 0;
  for (let i = 0; i < starts.length; i++) {
    while (c < copied.length && copied[c][1] <= starts[i]) c++;
    if (c < copied.length && copied[c][0] <= starts[i]) continue;
    const key = sourceAt.get(starts[i]);
    const at = key === undefined ? undefined : plain.get(key);
    if (!at) continue;
    // The lines where the plain build prints the same word there; all of them when none does.
    const word = wordAt(code, starts[i]);
    const same = at.words.includes(word);
    for (let j = at.lines.length - 1; j >= 0; j--) {
      if (same && at.words[j] !== word) continue;
      if (pairLine.length && pairToken[pairToken.length - 1] === i && pairLine[pairLine.length - 1] === at.lines[j]) continue;
      pairToken.push(i);
      pairLine.push(at.lines[j]);
      pairColumn.push(at.columns[j]);
    }
  }
  const tailLine: number[] = [], tailPair: number[] = [];
  const prev = new Int32Array(pairToken.length);
  for (let p = 0; p < pairToken.length; p++) {
    const v = pairLine[p];
    let lo = 0, hi = tailLine.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (tailLine[mid] <= v) lo = mid + 1; else hi = mid;
    }
    prev[p] = lo > 0 ? tailPair[lo - 1] : -1;
    tailLine[lo] = v;
    tailPair[lo] = p;
  }
  const target = new Array<number>(starts.length).fill(-1);
  const targetColumn = new Array<number>(starts.length).fill(-1);
  for (let p = tailPair.length ? tailPair[tailPair.length - 1] : -1; p >= 0; p = prev[p]) {
    target[pairToken[p]] = pairLine[p];
    targetColumn[pairToken[p]] = pairColumn[p];
  }

  // The plain line of the next token that has one: where tsprof's own `} finally {…}` may go.
  const nextTarget = new Array<number>(starts.length + 1).fill(Infinity);
  for (let i = starts.length - 1; i >= 0; i--) nextTarget[i] = target[i + 1] >= 0 ? target[i + 1] : nextTarget[i + 1];
  const tokenText = (i: number) => (i < starts.length ? code.slice(starts[i], ends[i]) : "");

  const nl = code.includes("\r\n") ? "\r\n" : "\n";
  const edits: [number, number, string][] = [];
  let line = countBreaks(code.slice(0, starts[0]));
  // The new text's column at the end of the last token.
  let column = 0;
  let cc = 0;
  const printedComments = new Set<number>();
  for (let i = 0; i < starts.length; i++) {
    if (i > 0) {
      const gapStart = ends[i - 1], gapEnd = starts[i];
      const gap = code.slice(gapStart, gapEnd);
      const had = countBreaks(gap);
      // Comments in the gap: a block comment's own line breaks stay; a line comment keeps the
      // line break after it (the plain build has one there too; `toString()` finds the plain
      // text's tokens in the printed text, runtime/source-text.ts), but in a copy, which runs on
      // the lines of the program's own statements after it, it is written as a block comment.
      while (cc < copied.length && copied[cc][1] <= gapStart) cc++;
      const inCopy = cc < copied.length && copied[cc][0] <= gapStart;
      // The printer writes a statement's trailing comment again before a node it wraps
      // (`resume(// c` + line break): a comment whose source position (comments have segments
      // too) was printed already is a block comment as well.
      const found = gap.includes("/") ? [...gap.matchAll(LINE_COMMENT_OR_BLOCK)] : [];
      const comments = found.map((m) => m[0]);
      let forced = 0;
      const convert = found.map((m) => {
        const c = m[0];
        if (!c.startsWith("//") || c.includes("*/")) return false;
        const key = sourceAt.get(gapStart + m.index!);
        const repeat = key !== undefined && printedComments.has(key);
        // A copy's comments come before the program's own, which stay line comments.
        if (key !== undefined && !inCopy) printedComments.add(key);
        return inCopy || repeat;
      });
      comments.forEach((c, j) => {
        if (c.startsWith("//")) { if (!convert[j]) forced++; } else forced += countBreaks(c);
      });
      // tsprof's `} finally { … }` starts a line of its own where the plain build's next line is
      // free (its function's `}` is there): joined to the last statement's line, V8 billed that
      // line with work of the function's loops (32.7% for a `return x + y` of 0%, measured).
      const ownFinally = target[i] < 0 && !inCopy && tokenText(i) === "}" && tokenText(i + 1) === "finally" && target[i + 1] < 0 && nextTarget[i] > line;
      const want = target[i] >= 0 ? target[i] - line : ownFinally ? 1 : 0;
      const breaks = Math.max(forced, want);
      let text = gap;
      if (breaks !== had) {
        const indent = had > 0 ? /[ \t]*$/.exec(gap)![0] : "";
        let spare = breaks - forced;
        text = "";
        let atLineStart = false;
        const put = (piece: string) => {
          if (!atLineStart) text += " ";
          text += piece;
          atLineStart = false;
        };
        const lineBreak = () => {
          text += nl + indent;
          atLineStart = true;
        };
        for (const [j, c] of comments.entries()) {
          if (!c.startsWith("//")) put(c);
          else if (!convert[j]) { put(c); lineBreak(); }
          else if (spare > 0) { put(c); lineBreak(); spare--; }
          else put("/*" + c.slice(2) + " */");
        }
        for (; spare > 0; spare--) lineBreak();
        if (!atLineStart && gap.length > 0) text += " ";
        // No space before the first piece when the gap opens with a line break.
        if (text.startsWith(" " + nl)) text = text.slice(1);
        line += breaks;
      } else {
        line += had;
      }
      // The token on its plain line at the plain build's column where the gap can give it: a
      // line's indentation is the plain build's; within a line, spaces are added up to it
      // (what tsprof's own tokens take before a token cannot be given back).
      if (targetColumn[i] >= 0 && target[i] === line) text = atColumn(text, column, targetColumn[i]);
      if (text !== gap) edits.push([gapStart, gapEnd, text]);
      column = columnAfter(text, column);
    }
    const token = code.slice(starts[i], ends[i]);
    line += countBreaks(token);
    column = columnAfter(token, i === 0 ? columnAfter(code.slice(0, starts[0]), 0) : column);
  }
  if (edits.length === 0) return undefined;

  // The new text, and where each old offset went.
  let next = "";
  let from = 0;
  const editNewStart: number[] = [];
  for (const [a, b, t] of edits) {
    next += code.slice(from, a);
    editNewStart.push(next.length);
    next += t;
    from = b;
  }
  next += code.slice(from);
  const moved = (offset: number): number => {
    // The last edit starting at or before offset.
    let lo = 0, hi = edits.length - 1, e = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (edits[mid][0] <= offset) { e = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (e < 0) return offset;
    const [a, b, t] = edits[e];
    const base = editNewStart[e];
    if (offset >= b) return base + t.length + (offset - b);
    return base + Math.min(offset - a, t.length);
  };

  const again = ts.createSourceFile("out.js", next, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  if ((again as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics?.length) return undefined;
  if (!sameTree(ts, out, again)) return undefined;

  const newStarts = lineStartsOf(next);
  const lines: number[][][] = newStarts.map(() => []);
  let l = 0;
  for (let ol = 0; ol < mappings.length && ol < lineStarts.length; ol++) {
    for (const seg of mappings[ol]) {
      const at = moved(lineStarts[ol] + seg[0]);
      while (l + 1 < newStarts.length && newStarts[l + 1] <= at) l++;
      while (l > 0 && newStarts[l] > at) l--;
      lines[l].push([at - newStarts[l], ...seg.slice(1)]);
    }
  }
  for (const segs of lines) segs.sort((x, y) => x[0] - y[0]);
  while (lines.length > 1 && lines[lines.length - 1].length === 0) lines.pop();
  return { code: next, mappings: lines };
}

/** The column after `text` written from column `from`. */
function columnAfter(text: string, from: number): number {
  if (countBreaks(text) === 0) return from + text.length;
  BREAKS.lastIndex = 0;
  let end = 0;
  while (BREAKS.test(text)) end = BREAKS.lastIndex;
  return text.length - end;
}

const TRAILING_SPACE = /[ \t]*$/;

/**
 * A gap written from column `from` that ends at column `want` where it can: the spaces after its
 * last line break (or after a comment on it) set to reach it, or, in a gap without a line break,
 * spaces added; otherwise the gap as it was.
 */
function atColumn(gap: string, from: number, want: number): string {
  const now = columnAfter(gap, from);
  if (now === want) return gap;
  if (countBreaks(gap) === 0) return want > now ? gap + " ".repeat(want - now) : gap;
  const trailing = TRAILING_SPACE.exec(gap)![0].length;
  const base = now - trailing;
  return want >= base ? gap.slice(0, gap.length - trailing) + " ".repeat(want - base) : gap;
}

/**
 * The tokens of a parsed file, `[start, end)` each, from TypeScript's scanner, told where the
 * parse found a regular expression or a template's middle or tail (which the scanner alone reads
 * as `/` and `}`); undefined for JSX, whose text reads line breaks.
 */
function tokensOf(ts: typeof TS, sf: TS.SourceFile): { starts: number[]; ends: number[] } | undefined {
  const k = ts.SyntaxKind;
  const regex = new Set<number>(), template = new Set<number>();
  let jsx = false;
  forEachDescendant(ts, sf, (n) => {
    if (n.kind === k.RegularExpressionLiteral) regex.add(n.getStart(sf));
    else if (n.kind === k.TemplateMiddle || n.kind === k.TemplateTail) template.add(n.getStart(sf));
    else if (n.kind === k.JsxElement || n.kind === k.JsxSelfClosingElement || n.kind === k.JsxFragment) jsx = true;
    return !jsx;
  });
  if (jsx) return undefined;
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, sf.text);
  const starts: number[] = [], ends: number[] = [];
  for (;;) {
    let t = scanner.scan();
    if (t === k.EndOfFileToken) break;
    const at = scanner.getTokenStart();
    if ((t === k.SlashToken || t === k.SlashEqualsToken) && regex.has(at)) t = scanner.reScanSlashToken();
    else if (t === k.CloseBraceToken && template.has(at)) t = scanner.reScanTemplateToken(false);
    starts.push(at);
    ends.push(scanner.getTokenEnd());
  }
  return { starts, ends };
}

/**
 * The text ranges of self-calling functions' copies (emit.ts `withCopy`): a function declaration
 * right after the `const __tsp_e = …` that opens the body of the function it copies.
 */
function copyRanges(ts: typeof TS, sf: TS.SourceFile): [number, number][] {
  const out: [number, number][] = [];
  if (!sf.text.includes("__tsp_e")) return out;
  const visit = (n: TS.Node): void => {
    if (ts.isBlock(n) && n.statements.length >= 2) {
      const [first, second] = n.statements;
      if (ts.isVariableStatement(first) && ts.isFunctionDeclaration(second)) {
        const d = first.declarationList.declarations[0];
        if (d && ts.isIdentifier(d.name) && /^__tsp_e(_\d+)?$/.test(d.name.text)) {
          out.push([second.getStart(sf), second.end]);
          return;
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/**
 * Whether two parses are the same program: node by node, the same kinds, names, values,
 * operators and `let`/`const` (what text-copy.ts `shape` lists, compared in place rather than
 * written out: the file's whole output is compared here).
 */
function sameTree(ts: typeof TS, a: TS.Node, b: TS.Node): boolean {
  const stack: TS.Node[] = [a, b];
  const ka: TS.Node[] = [], kb: TS.Node[] = [];
  while (stack.length) {
    const y = stack.pop()!, x = stack.pop()!;
    if (x.kind !== y.kind || (x.flags & ts.NodeFlags.BlockScoped) !== (y.flags & ts.NodeFlags.BlockScoped)) return false;
    if (x !== a) {
      const tx = (x as { text?: unknown }).text, ty = (y as { text?: unknown }).text;
      if (tx !== ty) return false;
    }
    if ((x as { operator?: unknown }).operator !== (y as { operator?: unknown }).operator) return false;
    ka.length = 0;
    kb.length = 0;
    ts.forEachChild(x, (c) => { ka.push(c); });
    ts.forEachChild(y, (c) => { kb.push(c); });
    if (ka.length !== kb.length) return false;
    for (let i = ka.length - 1; i >= 0; i--) stack.push(ka[i], kb[i]);
  }
  return true;
}

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;

/** A source map as TypeScript writes one. */
interface MapJson { version: number; mappings: string; sources: string[]; [key: string]: unknown }

/**
 * An emitted file with its lines moved (see `relayout`), given its map (`map`, a `.map` file's
 * text) or the map inline in `code`; undefined when nothing changes.
 */
export function relayoutEmitted(ts: typeof TS, code: string, map: string | undefined, plain: PlainLines): { code: string; map?: string } | undefined {
  let json: MapJson;
  let inline: RegExpExecArray | null = null;
  if (map === undefined) {
    inline = INLINE_MAP.exec(code);
    if (!inline) return undefined;
    json = JSON.parse(Buffer.from(inline[1], "base64").toString("utf8")) as MapJson;
  } else {
    json = JSON.parse(map) as MapJson;
  }
  if (json.sources.length !== 1) return undefined;
  const body = inline ? code.slice(0, inline.index) : code;
  const done = relayout(ts, body, decodeMappings(json.mappings), plain);
  if (!done) return undefined;
  const text = JSON.stringify({ ...json, mappings: encodeMappings(done.mappings) });
  if (inline) return { code: done.code + "//# sourceMappingURL=data:application/json;base64," + Buffer.from(text, "utf8").toString("base64") + code.slice(inline.index + inline[0].length) };
  return { code: done.code, map: text };
}
