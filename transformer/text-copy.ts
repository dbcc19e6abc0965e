import type * as TS from "typescript";
import { declarationInBodyPosition } from "./emit";
import { forEachDescendant } from "./marks";

/**
 * How a self-calling function's copy (plan.ts `selfCopy`) goes onto one line in the text
 * emitter, whose output keeps every original line at its number: the text from the function's
 * name to its body's `}`, with each gap between tokens that holds a line break or a comment made
 * one space, each string or template literal that holds a line break written with escapes
 * instead (the same value), and a `;` after each statement that automatic semicolon insertion
 * ended. Offsets are the original text's.
 */
export interface Join {
  /** Gaps between tokens to become one space: `[start, end)`. */
  gaps: [number, number][];
  /** Literals to write again: `[start, end, text]`. */
  literals: [number, number, string][];
  /** The statements that take an explicit `;` at their end. */
  semicolons: Set<TS.Node>;
}

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** Statements that end with a `;`, written or inserted (ECMAScript 12.10). */
function endsWithSemicolon(ts: typeof TS, n: TS.Node): boolean {
  const k = ts.SyntaxKind;
  switch (n.kind) {
    case k.ExpressionStatement: case k.VariableStatement: case k.ReturnStatement: case k.ThrowStatement:
    case k.BreakStatement: case k.ContinueStatement: case k.DoStatement: case k.DebuggerStatement:
    case k.TypeAliasDeclaration:
      return true;
    default:
      return false;
  }
}

/** Leaf tokens of a node, in order (comments and JSDoc are trivia, not tokens). */
export function leaves(ts: typeof TS, sf: TS.SourceFile, root: TS.Node): TS.Node[] {
  const out: TS.Node[] = [];
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if ((node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) || node.pos === node.end) continue;
    const children = node.getChildren(sf);
    if (children.length === 0) out.push(node);
    else for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}

/**
 * A literal's text with its line breaks escaped and its line continuations dropped, which
 * scans to the same value; undefined when it does not (checked with TypeScript's scanner).
 */
function oneLineLiteral(ts: typeof TS, sf: TS.SourceFile, token: TS.Node, raw: string): string | undefined {
  const template = token.kind !== ts.SyntaxKind.StringLiteral;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "\\") {
      const next = raw[i + 1];
      if (next === "\r") i += raw[i + 2] === "\n" ? 2 : 1;
      else if (next === "\n" || next === "\u2028" || next === "\u2029") i += 1;
      else {
        out += c + (next ?? "");
        i += 1;
      }
    } else if (c === "\r" || c === "\n") {
      if (!template) return undefined;
      if (c === "\r" && raw[i + 1] === "\n") i++;
      // A template's cooked value reads every line break sequence as one LF.
      out += "\\n";
    } else if (c === "\u2028" || c === "\u2029") {
      out += c === "\u2028" ? "\\u2028" : "\\u2029";
    } else {
      out += c;
    }
  }
  // Scanned as a string, or a template piece from its opening backquote: the same cooked value.
  const scanned = token.kind === ts.SyntaxKind.TemplateMiddle || token.kind === ts.SyntaxKind.TemplateTail ? "`" + out.slice(1) : out;
  const scanner = ts.createScanner(sf.languageVersion, false, ts.LanguageVariant.Standard, scanned);
  scanner.scan();
  if (scanner.getTokenEnd() !== scanned.length) return undefined;
  return scanner.getTokenValue() === (token as TS.LiteralLikeNode).text ? out : undefined;
}

/**
 * The join of a function's text from its name to its body's end, or undefined when it has none
 * that is plainly the same program: JSX (whose text reads line breaks), a comment that speaks to
 * TypeScript (`@ts-expect-error` would then miss its line), a literal that cannot be escaped.
 */
export function joinOf(ts: typeof TS, sf: TS.SourceFile, fn: TS.FunctionDeclaration): Join | undefined {
  const text = sf.text;
  const start = fn.name!.getStart(sf), end = fn.body!.end;
  const tokens = leaves(ts, sf, fn);
  const join: Join = { gaps: [], literals: [], semicolons: new Set() };
  let prev = -1;
  for (const token of tokens) {
    const at = token.getStart(sf);
    if (at < start) continue;
    if (token.kind === ts.SyntaxKind.JsxText) return undefined;
    if (prev >= 0 && at > prev) {
      const gap = text.slice(prev, at);
      if (gap.includes("@ts-")) return undefined;
      if (/[^ \t]/.test(gap)) join.gaps.push([prev, at]);
    }
    const raw = text.slice(at, token.end);
    if (LINE_BREAK.test(raw)) {
      const k = ts.SyntaxKind;
      if (![k.StringLiteral, k.NoSubstitutionTemplateLiteral, k.TemplateHead, k.TemplateMiddle, k.TemplateTail].includes(token.kind)) return undefined;
      const one = oneLineLiteral(ts, sf, token, raw);
      if (one === undefined) return undefined;
      join.literals.push([at, token.end, one]);
    }
    prev = token.end;
  }
  if (prev !== end) return undefined;
  let lineBound = false;
  forEachDescendant(ts, fn.body!, (n) => {
    // JSX text reads line breaks; so does `let` + a line break in a body position (emit.ts).
    if (ts.isJsxElement(n) || ts.isJsxSelfClosingElement(n) || ts.isJsxFragment(n)) lineBound = true;
    if (ts.isStatement(n) && n.parent && !ts.isBlock(n.parent) && !ts.isCaseOrDefaultClause(n.parent) && declarationInBodyPosition(ts, n)) lineBound = true;
    if (endsWithSemicolon(ts, n) && text[n.end - 1] !== ";") join.semicolons.add(n);
    return true;
  });
  return lineBound ? undefined : join;
}

/** A node's shape, in preorder: kind, depth, names, values, operators, `let`/`const`. */
export function shape(ts: typeof TS, root: TS.Node): string[] {
  const out: string[] = [];
  const depth = new Map<TS.Node, number>([[root, 0]]);
  forEachDescendant(ts, root, (n) => {
    const d = depth.get(n)!;
    const text = (n as { text?: unknown }).text;
    const op = (n as { operator?: unknown }).operator;
    out.push(`${d} ${n.kind} ${typeof text === "string" ? JSON.stringify(text) : ""} ${op ?? ""} ${n.flags & ts.NodeFlags.BlockScoped}`);
    ts.forEachChild(n, (c) => { depth.set(c, d + 1); });
    return true;
  });
  return out;
}

function functionDeclarations(ts: typeof TS, sf: TS.SourceFile): TS.FunctionDeclaration[] {
  const out: TS.FunctionDeclaration[] = [];
  forEachDescendant(ts, sf, (n) => {
    if (ts.isFunctionDeclaration(n)) out.push(n);
    return true;
  });
  return out;
}

/**
 * The joins that parse as the program: every join written into the file at once, parsed again,
 * and each function compared with its original, node by node. A line break that the grammar
 * reads (beyond the semicolons made explicit) shows there, and that function keeps its
 * one-activation form.
 */
export function checkedJoins(
  ts: typeof TS, sf: TS.SourceFile, joins: Map<TS.FunctionDeclaration, Join>, MagicString: new (s: string) => import("magic-string").default,
): Map<TS.FunctionDeclaration, Join> {
  if (joins.size === 0) return joins;
  const ms = new MagicString(sf.text);
  for (const join of joins.values()) {
    for (const [a, b] of join.gaps) ms.update(a, b, " ");
    for (const [a, b, t] of join.literals) ms.update(a, b, t);
    for (const st of join.semicolons) ms.prependLeft(st.end, ";");
  }
  const kind = (sf as unknown as { scriptKind?: TS.ScriptKind }).scriptKind;
  const again = ts.createSourceFile(sf.fileName, ms.toString(), sf.languageVersion, true, kind);
  const before = functionDeclarations(ts, sf), after = functionDeclarations(ts, again);
  const ok = new Map<TS.FunctionDeclaration, Join>();
  if (before.length !== after.length) return ok;
  for (const [fn, join] of joins) {
    const twin = after[before.indexOf(fn)];
    const a = shape(ts, fn), b = shape(ts, twin);
    if (a.length === b.length && a.every((s, i) => s === b[i])) ok.set(fn, join);
  }
  return ok;
}

/** A copy written where its placeholder is: its text, and its map's segments (one line, from column 0). */
export interface PlacedCopy {
  placeholder: string;
  code: string;
  segments: number[][];
}

/**
 * Puts each copy where its placeholder is in the emitted code, and its segments into the map's
 * line there: the copy's frames map to the lines and columns of the body they copy.
 */
export function placeCopies(code: string, mappings: number[][][], copies: PlacedCopy[]): string {
  for (const copy of copies) {
    const at = code.indexOf(copy.placeholder);
    if (at < 0) throw new Error(`tsprof: internal error, a copy's placeholder ${copy.placeholder} is missing`);
    const lineStart = code.lastIndexOf("\n", at - 1) + 1;
    let line = 0;
    for (let i = code.indexOf("\n"); i >= 0 && i < at; i = code.indexOf("\n", i + 1)) line++;
    const col = at - lineStart, delta = copy.code.length - copy.placeholder.length;
    code = code.slice(0, at) + copy.code + code.slice(at + copy.placeholder.length);
    while (mappings.length <= line) mappings.push([]);
    const shifted = mappings[line].map((s) => (s[0] >= col ? [s[0] + delta, ...s.slice(1)] : s));
    const placed = copy.segments.map((s) => [s[0] + col, ...s.slice(1)]);
    mappings[line] = [...shifted, ...placed].sort((a, b) => a[0] - b[0]);
  }
  return code;
}
