import type * as TS from "typescript";
import { addBindingNames, createMarkContext, findMarkedFunctions, forEachDescendant, isDirective, isFunctionLike, isProfileDecorator, type MarkContext, type ProfilableFunction } from "./marks";

/**
 * Where a probe goes, and which line it counts.
 *
 * - `stmt`: before a statement (`hit: false` only starts timing the line, for a `for` loop's initializer).
 * - `test`: in a loop's test, evaluated once per test (`for`, `while`, `do…while`).
 * - `iter`: at the top of a `for…of` / `for…in` body, once per iteration.
 * - `clause`: at the top of a `case` / `default` clause, once per entry (by match or fall-through).
 * - `catch` / `finally`: at the top of the handler block.
 * - `body`: an arrow function's expression body.
 * - `await` / `yield`: suspension points, whose suspended time is not billed as execution.
 * - `forAwait` / `delegate`: a `for await` loop (at its iterable) and a `yield*` (at the expression):
 *   suspension starts before them.
 * - `turn`: a `for…of` loop's next step is about to run: at the end of its body (`at` the loop) and
 *   before each `continue` that targets the loop (`at` the `continue`). The iterator is never
 *   wrapped (its protocol, errors and stack stay the program's own): a sync loop's step is timed
 *   on the header line from here, a `for await` loop's step is a suspension from here.
 * - `arrays`: before a sync `for…of` over a variable of the function (`for (x of xs)`, `xs` a
 *   parameter or local): the variable is read once more, to learn whether it is a plain array,
 *   whose steps (a nanosecond) are not worth a clock read at each `turn`.
 */
export type SiteKind = "stmt" | "test" | "iter" | "clause" | "catch" | "finally" | "body" | "await" | "yield" | "forAwait" | "delegate" | "turn" | "arrays";

export interface ProbeSite {
  kind: SiteKind;
  /** Source offset of the node the site is attached to (its first token). */
  at: number;
  /** Line slot (index into `PlannedFunction.lines`); 0 for sites that count no line. */
  slot: number;
  /** Whether the probe counts a hit (`false`: only moves the clock to this line). */
  hit: boolean;
  /**
   * Whether the probe reads the clock. A loop test too cheap to time (see `isTrivial`) only
   * counts its hit; its sub-nanosecond cost stays with the line before it.
   */
  clock: boolean;
  /**
   * A `stmt` probe that counts only when the invocation's last probe was on another line: a
   * statement starting on the line where the compound statement before it ends
   * (`} else { x(); } y();`), entered afresh on some paths and continued on others.
   */
  cont?: boolean;
}

export type FunctionKind = "sync" | "async" | "generator" | "async generator";

export interface PlannedFunction {
  /** Index of the function within its file's plan. */
  index: number;
  name: string;
  /** First line of the report (the `@profile` mark), 1-based. */
  firstLine: number;
  /** Last line of the function, 1-based. */
  lastLine: number;
  /** Source text of lines `firstLine..lastLine` (without line terminators), a snapshot for the report. */
  source: string[];
  /** slot → original line number; slot 0 is reserved (time before the first probe). */
  lines: number[];
  /**
   * Slots whose line cannot allocate (only variables, literals, arithmetic, comparisons, see
   * `isTrivial`): memory mode skips the heap reading after them.
   */
  quiet: number[];
  /**
   * Slots whose line costs well under a nanosecond (only variables, literals, arithmetic,
   * comparisons; no calls at all): a function leaving from such a line skips the exit's clock read.
   */
  cheap: number[];
  /**
   * Slots whose line calls nothing and allocates nothing (`isLight`: property reads and stores,
   * element access, conditionals besides what `cheap` allows): a few nanoseconds of work, against
   * a probe's 40-200. Exact mode measures the probe's cost in the function from their times.
   */
  light: number[];
  kind: FunctionKind;
  /** Source offset of the function node's first token. */
  at: number;
  sites: ProbeSite[];
  /**
   * A sync function declaration whose recursive calls may run in a copy of its body without the
   * `try/finally` (see `selfCopy`): the offsets of its `return` statements, which the copy's
   * emitters rewrite, and whether control can reach the body's end. Undefined: not such a function.
   */
  copy?: { returns: number[]; fallsOff: boolean };
}

export interface FilePlan {
  fileName: string;
  functions: PlannedFunction[];
  /** Source offsets of the `@profile` decorators, which the emitters remove (a compile-time mark). */
  decorators: number[];
}

export interface PlanOptions {
  /** Profile every function of the file. */
  all?: boolean;
  /** Profile functions with these names (qualified `Class.method` or bare `method`). */
  names?: Set<string>;
}

/** Computes the probe plan of a source file: which functions, which lines, where each probe goes. */
export function planFile(ts: typeof TS, sf: TS.SourceFile, options: PlanOptions = {}): FilePlan {
  const mc = createMarkContext(ts, sf, options.all ?? false, options.names);
  const textLines = sourceLines(sf);
  const marked = findMarkedFunctions(mc);
  // Functions declared in this file and profiled: calling one allocates only inside it, where its own lines read the heap.
  const profiledNames = new Set(marked.flatMap((m) => (ts.isFunctionDeclaration(m.node) && m.node.name ? [m.node.name.text] : [])));
  const functions = marked.map((m, index) => planFunction(mc, textLines, m.node, m.name, m.firstLine, index, profiledNames));
  const decorators: number[] = [];
  if (functions.length > 0 && mc.implicit) {
    forEachDescendant(ts, sf, (node) => {
      if (ts.isDecorator(node) && isProfileDecorator(mc, node)) decorators.push(node.getStart(sf));
      return true;
    });
  }
  return { fileName: sf.fileName, functions, decorators };
}

function functionKind(ts: typeof TS, fn: ProfilableFunction): FunctionKind {
  const isAsync = (ts.getCombinedModifierFlags(fn) & ts.ModifierFlags.Async) !== 0;
  const isGen = "asteriskToken" in fn && fn.asteriskToken !== undefined;
  return isAsync ? (isGen ? "async generator" : "async") : isGen ? "generator" : "sync";
}

const NO_LINE = -1;

function planFunction(
  mc: MarkContext, textLines: string[], fn: ProfilableFunction, name: string, firstLine: number, index: number, profiledNames: Set<string>,
): PlannedFunction {
  const { ts, sf } = mc;
  const lines: number[] = [firstLine];
  const slotByLine = new Map<number, number>();
  const sites: ProbeSite[] = [];
  const lineAt = (offset: number) => sf.getLineAndCharacterOfPosition(offset).line + 1;
  const startOf = (n: TS.Node) => n.getStart(sf);
  const slotOf = (line: number): number => {
    let s = slotByLine.get(line);
    if (s === undefined) {
      s = lines.length;
      lines.push(line);
      slotByLine.set(line, s);
    }
    return s;
  };
  const site = (kind: SiteKind, node: TS.Node, line: number, hit = true, clock = true) =>
    sites.push({ kind, at: startOf(node), slot: slotOf(line), hit, clock });

  /**
   * Lines where something may allocate (a call, a literal, `new`, iteration…): memory mode reads
   * the heap after them. `costly`: lines that may take time (any call, profiled or not).
   */
  const noisy = new Set<number>();
  const costly = new Set<number>();
  const weighty = new Set<number>();
  const always = (line: number) => {
    noisy.add(line);
    costly.add(line);
    weighty.add(line);
  };
  const mayAllocate = (line: number, ...parts: (TS.Node | undefined)[]) => {
    if (!parts.every((p) => isTrivial(ts, p, profiledNames, true))) noisy.add(line);
    if (!parts.every((p) => isTrivial(ts, p))) costly.add(line);
    if (!parts.every((p) => isLight(ts, p))) weighty.add(line);
  };

  /**
   * Whether a loop body always starts with a clock read: its first statement is timed each
   * iteration. Then the loop's time never leaks past it, whatever its test does not time.
   */
  const bodyStartsTimed = (body: TS.Statement, headerLine: number): boolean => {
    if (!ts.isBlock(body)) return false;
    const first = body.statements.find((st) => !isInert(st));
    if (!first || lineAt(startOf(first)) === headerLine) return false;
    if (ts.isBlock(first) || ts.isLabeledStatement(first) || ts.isWhileStatement(first)) return false;
    return !(ts.isForStatement(first) && !first.initializer);
  };

  /** Statements that never execute (declarations TypeScript erases, hoisted functions, `;`). */
  const isInert = (s: TS.Statement): boolean =>
    ts.isFunctionDeclaration(s) || ts.isEmptyStatement(s) || ts.isInterfaceDeclaration(s)
    || ts.isTypeAliasDeclaration(s) || ts.isModuleDeclaration(s)
    || (ts.isEnumDeclaration(s) && (ts.getCombinedModifierFlags(s) & (ts.ModifierFlags.Const | ts.ModifierFlags.Ambient)) !== 0)
    || (ts.isVariableStatement(s) && !!s.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword));

  /**
   * Statements of a list. `prevLine` is the line of the probe that always runs just before the
   * list's first statement: a statement on that same line continues the line's entry and is not
   * counted again (`if (x) a();`, `a(); b();`).
   */
  const visitList = (statements: readonly TS.Statement[], prevLine: number) => {
    let prev: TS.Statement | undefined;
    for (const s of statements) {
      if (isInert(s)) continue;
      const first = sites.length;
      visitStatement(s, prevLine);
      if (prev && isCompound(prev) && lineAt(prev.end) !== lineAt(startOf(prev)) && lineAt(prev.end) === lineAt(startOf(s))) {
        let inner: TS.Statement = s;
        while (ts.isLabeledStatement(inner)) inner = inner.statement;
        const own = sites.slice(first).find((st) => st.kind === "stmt" && st.at === startOf(inner));
        if (own) own.cont = true;
      }
      prev = s;
      prevLine = lineAt(startOf(s));
    }
  };

  /** Statements whose last probe depends on the path taken through them. */
  const isCompound = (s: TS.Statement): boolean => {
    while (ts.isLabeledStatement(s)) s = s.statement;
    return ts.isBlock(s) || ts.isIfStatement(s) || ts.isTryStatement(s) || ts.isSwitchStatement(s) || ts.isIterationStatement(s, false);
  };

  /** A loop or `if` body: a block's statements, or one statement the emitter may wrap in a block. */
  const visitBody = (s: TS.Statement, headerLine: number) => {
    if (ts.isBlock(s)) visitList(s.statements, headerLine);
    else if (!isInert(s)) visitStatement(s, headerLine);
  };

  /**
   * Names the function binds itself (parameters, its own `var`/`let`/`const`): reading one again
   * runs nothing (a global could be a getter).
   */
  let locals: Set<string> | undefined;
  const localNames = (): Set<string> => {
    if (locals) return locals;
    const names = new Set<string>();
    fn.parameters.forEach((p) => addBindingNames(ts, p.name, names));
    if (fn.body) {
      forEachDescendant(ts, fn.body, (n) => {
        if (isFunctionLike(ts, n) || ts.isClassLike(n)) return false;
        if (ts.isVariableDeclaration(n)) addBindingNames(ts, n.name, names);
        return true;
      });
    }
    return (locals = names);
  };

  /** Enclosing loops of the statement being visited, innermost last: `continue` finds its target here. */
  const loops: { labels: string[]; forOf?: { slot: number; async: boolean } }[] = [];
  let pendingLabels: string[] = [];
  const inLoop = (s: TS.IterationStatement, forOf: { slot: number; async: boolean } | undefined, run: () => void) => {
    loops.push({ labels: pendingLabels, forOf });
    pendingLabels = [];
    run();
    loops.pop();
  };

  const visitStatement = (s: TS.Statement, prevLine: number): void => {
    const line = lineAt(startOf(s));
    const fresh = line !== prevLine;
    if (!ts.isLabeledStatement(s) && !ts.isIterationStatement(s, false)) pendingLabels = [];
    if (ts.isBlock(s)) return visitList(s.statements, prevLine);
    if (ts.isLabeledStatement(s)) {
      pendingLabels = [...pendingLabels, s.label.text];
      return visitStatement(s.statement, prevLine);
    }
    if (ts.isContinueStatement(s)) {
      const target = s.label ? [...loops].reverse().find((l) => l.labels.includes(s.label!.text)) : loops[loops.length - 1];
      if (fresh) site("stmt", s, line);
      if (target?.forOf) sites.push({ kind: "turn", at: startOf(s), slot: target.forOf.slot, hit: false, clock: !target.forOf.async });
      return;
    }
    if (ts.isIfStatement(s)) {
      if (fresh) site("stmt", s, line);
      mayAllocate(line, s.expression);
      visitBody(s.thenStatement, line);
      if (s.elseStatement) visitBody(s.elseStatement, line);
      scanExpressions(s.expression);
      return;
    }
    if (ts.isWithStatement(s)) {
      if (fresh) site("stmt", s, line);
      mayAllocate(line, s.expression);
      visitBody(s.statement, line);
      scanExpressions(s.expression);
      return;
    }
    if (ts.isForStatement(s)) {
      // The initializer runs once and is timed on the header line; each test evaluation is a hit.
      if (fresh && s.initializer) site("stmt", s, line, false);
      const cheap = isTrivial(ts, s.condition) && isTrivial(ts, s.incrementor) && bodyStartsTimed(s.statement, line);
      site("test", s, line, true, !cheap);
      mayAllocate(line, s.condition, s.incrementor, ...initializerParts(s.initializer));
      inLoop(s, undefined, () => visitBody(s.statement, line));
      if (s.initializer) scanExpressions(s.initializer);
      if (s.condition) scanExpressions(s.condition);
      if (s.incrementor) scanExpressions(s.incrementor);
      return;
    }
    if (ts.isWhileStatement(s)) {
      site("test", s, line, true, !(isTrivial(ts, s.expression) && bodyStartsTimed(s.statement, line)));
      mayAllocate(line, s.expression);
      inLoop(s, undefined, () => visitBody(s.statement, line));
      scanExpressions(s.expression);
      return;
    }
    if (ts.isDoStatement(s)) {
      if (fresh) site("stmt", s, line);
      inLoop(s, undefined, () => visitBody(s.statement, line));
      site("test", s, lineAt(startOf(s.expression)), true, !(isTrivial(ts, s.expression) && bodyStartsTimed(s.statement, NO_LINE)));
      mayAllocate(lineAt(startOf(s.expression)), s.expression);
      scanExpressions(s.expression);
      return;
    }
    if (ts.isForOfStatement(s) || ts.isForInStatement(s)) {
      // Entry plus one hit per iteration: n iterations show n + 1 hits, as Python's `for` does.
      if (fresh) site("stmt", s, line);
      site("iter", s, line);
      const forOf = ts.isForOfStatement(s) ? { slot: slotOf(line), async: !!s.awaitModifier } : undefined;
      const overLocal = !!forOf && !forOf.async && ts.isIdentifier(s.expression) && localNames().has(s.expression.text);
      if (overLocal) sites.push({ kind: "arrays", at: startOf(s), slot: forOf!.slot, hit: false, clock: false });
      // Memory mode: a step of a plain array's own iterator into a plain binding allocates
      // nothing. Such a header is quiet, and `arrays` makes it read again for any other iterable.
      const binding = s.initializer;
      const plainBinding = ts.isIdentifier(binding)
        || (ts.isVariableDeclarationList(binding) && binding.declarations.length === 1 && ts.isIdentifier(binding.declarations[0].name));
      if (overLocal && forOf!.slot < 31 && plainBinding) {
        costly.add(line);
        weighty.add(line);
      } else {
        always(line);
      }
      if (forOf?.async) site("forAwait", s.expression, line, false);
      inLoop(s, forOf, () => visitBody(s.statement, line));
      if (forOf) sites.push({ kind: "turn", at: startOf(s), slot: forOf.slot, hit: false, clock: !forOf.async });
      scanExpressions(s.initializer);
      scanExpressions(s.expression);
      return;
    }
    if (ts.isSwitchStatement(s)) {
      if (fresh) site("stmt", s, line);
      mayAllocate(line, s.expression, ...s.caseBlock.clauses.map((c) => (ts.isCaseClause(c) ? c.expression : undefined)));
      scanExpressions(s.expression);
      for (const clause of s.caseBlock.clauses) {
        const clauseLine = lineAt(startOf(clause));
        if (clauseLine !== line) site("clause", clause, clauseLine);
        if (ts.isCaseClause(clause)) scanExpressions(clause.expression);
        visitList(clause.statements, clauseLine);
      }
      return;
    }
    if (ts.isTryStatement(s)) {
      if (fresh) site("stmt", s, line);
      visitList(s.tryBlock.statements, line);
      if (s.catchClause) {
        const catchLine = lineAt(startOf(s.catchClause));
        if (catchLine !== line) site("catch", s.catchClause, catchLine);
        always(catchLine);
        visitList(s.catchClause.block.statements, catchLine);
      }
      if (s.finallyBlock) {
        const finallyLine = lineAt(startOf(s.finallyBlock));
        if (finallyLine !== line) site("finally", s.finallyBlock, finallyLine);
        visitList(s.finallyBlock.statements, finallyLine);
      }
      return;
    }
    if (fresh) site("stmt", s, line);
    const parts = simpleStatementParts(s);
    if (parts) mayAllocate(line, ...parts);
    else always(line);
    scanExpressions(s);
  };

  /** The expressions a simple statement evaluates, or undefined for any other statement. */
  const simpleStatementParts = (s: TS.Statement): (TS.Node | undefined)[] | undefined => {
    if (ts.isExpressionStatement(s) || ts.isReturnStatement(s)) return [s.expression];
    if (ts.isVariableStatement(s)) return initializerParts(s.declarationList);
    if (ts.isBreakOrContinueStatement(s) || ts.isEmptyStatement(s) || ts.isDebuggerStatement(s)) return [];
    return undefined;
  };

  /** What a declaration list evaluates; a destructuring pattern counts as a call (it may iterate). */
  function initializerParts(init: TS.ForInitializer | TS.VariableDeclarationList | undefined): (TS.Node | undefined)[] {
    if (!init) return [];
    if (!ts.isVariableDeclarationList(init)) return [init];
    return init.declarations.flatMap((d): (TS.Node | undefined)[] => (ts.isIdentifier(d.name) ? [d.initializer] : [d]));
  }

  /** Finds suspension points in a statement's own expressions (not in nested functions or bodies). */
  const scanExpressions = (root: TS.Node | undefined): void => {
    if (!root) return;
    const walk = (n: TS.Node): boolean => {
      if (isFunctionLike(ts, n) || ts.isClassLike(n)) {
        // Computed member names and `extends` clauses run in this function; bodies do not.
        if (ts.isClassLike(n)) {
          n.heritageClauses?.forEach((h) => forEachDescendant(ts, h, walk));
          for (const m of n.members) if (m.name && ts.isComputedPropertyName(m.name)) forEachDescendant(ts, m.name, walk);
        }
        return false;
      }
      if (ts.isAwaitExpression(n)) sites.push({ kind: "await", at: startOf(n), slot: 0, hit: false, clock: true });
      if (ts.isAwaitExpression(n) || ts.isYieldExpression(n)) always(lineAt(startOf(n)));
      if (ts.isYieldExpression(n)) {
        const kind: SiteKind = n.asteriskToken ? "delegate" : "yield";
        sites.push({ kind, at: startOf(n), slot: 0, hit: false, clock: true });
      }
      return true;
    };
    forEachDescendant(ts, root, walk);
  };

  const body = fn.body!;
  if (ts.isBlock(body)) {
    // Directive prologues ("use strict") must stay first and are not statements that run.
    let n = 0;
    while (n < body.statements.length && isDirective(ts, body.statements[n])) n++;
    visitList(body.statements.slice(n), NO_LINE);
  } else {
    site("body", body, lineAt(startOf(body)));
    mayAllocate(lineAt(startOf(body)), body);
    scanExpressions(body);
  }
  // Parameter defaults run in the function too: their suspensions need no probe (they cannot await).

  const lastLine = lineAt(fn.end);
  const kind = functionKind(ts, fn);
  return {
    index,
    name,
    firstLine,
    lastLine,
    source: textLines.slice(firstLine - 1, lastLine),
    lines,
    quiet: lines.map((l, slot) => (slot > 0 && !noisy.has(l) ? slot : -1)).filter((slot) => slot > 0),
    cheap: lines.map((l, slot) => (slot > 0 && !costly.has(l) ? slot : -1)).filter((slot) => slot > 0),
    light: lines.map((l, slot) => (slot > 0 && !weighty.has(l) ? slot : -1)).filter((slot) => slot > 0),
    kind,
    at: startOf(fn),
    sites,
    copy: kind === "sync" ? selfCopy(ts, sf, fn) : undefined,
  };
}

/**
 * Whether a sync function may run its recursive calls in a copy of its body declared inside it,
 * under its own name and without the `try/finally`: only the activation entered from outside
 * keeps it, and closes in its `finally` the invocations of the copies an exception went through
 * (docs/semantics.md, "Recursion depth"). Chosen so the copy cannot behave differently:
 *
 * - a function declaration with a name, at a file's, namespace's or function body's top level
 *   (not in a block), without directives, whose parameters are plain names (no default, no
 *   destructuring, nothing that runs);
 * - its body calls itself by name (`f(…)`), and names it nowhere else (no `f.x`, `new f`, `g(f)`,
 *   no local or parameter of that name);
 * - no nested function or class (closures would see the copy), no `try` (a `catch` in a copy
 *   would leave the copies above it open), no `with`, `eval`, `arguments`, `this`, `new.target`,
 *   no tagged template (each template site has its own strings array, which a tag may compare);
 * - elsewhere in the file the name is only called, exported or a property's name: never assigned,
 *   declared again (overload signatures aside) or passed on;
 * - where control reaches the body's end, the end is plainly reachable (so the copy's closing
 *   call there is never unreachable code).
 */
function selfCopy(ts: typeof TS, sf: TS.SourceFile, fn: ProfilableFunction): PlannedFunction["copy"] {
  if (!ts.isFunctionDeclaration(fn) || !fn.name || !fn.body || fn.asteriskToken) return undefined;
  const parent = fn.parent;
  if (!(ts.isSourceFile(parent) || ts.isModuleBlock(parent) || (ts.isBlock(parent) && ts.isFunctionLike(parent.parent)))) return undefined;
  if (fn.body.statements.length > 0 && isDirective(ts, fn.body.statements[0])) return undefined;
  if (!fn.parameters.every((p) => ts.isIdentifier(p.name) && !p.initializer && p.name.text !== "this" && p.name.text !== fn.name!.text)) return undefined;
  const name = fn.name.text;
  let calls = 0, ok = true;
  const returns: number[] = [];
  forEachDescendant(ts, fn.body, (n) => {
    if (!ok) return false;
    if (isFunctionLike(ts, n) || ts.isClassLike(n) || ts.isTryStatement(n) || ts.isWithStatement(n) || ts.isMetaProperty(n)
      || n.kind === ts.SyntaxKind.ThisKeyword || n.kind === ts.SyntaxKind.SuperKeyword
      || ts.isYieldExpression(n) || ts.isAwaitExpression(n) || ts.isTaggedTemplateExpression(n)) {
      ok = false;
      return false;
    }
    if (ts.isReturnStatement(n)) returns.push(n.getStart(sf));
    if (ts.isIdentifier(n)) {
      if (n.text === "arguments" || n.text === "eval") ok = false;
      else if (n.text === name) {
        if (ts.isCallExpression(n.parent) && n.parent.expression === n) calls++;
        else ok = false;
      }
    }
    return true;
  });
  if (!ok || calls === 0) return undefined;
  const fallsOff = completion(ts, fn.body);
  if (fallsOff === undefined) return undefined;
  // The name, anywhere in the file: only this declaration, its overload signatures, and reads.
  let clean = true;
  forEachDescendant(ts, sf, (n) => {
    if (!clean) return false;
    if (!ts.isIdentifier(n) || n.text !== name) return true;
    const p = n.parent;
    if (p === fn) return true;
    if (ts.isFunctionDeclaration(p) && p.name === n && !p.body && p.parent === fn.parent) return true;
    if (ts.isCallExpression(p) && p.expression === n) return true;
    if (ts.isExportSpecifier(p) || ts.isExportAssignment(p)) return true;
    if ((ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n)
      || (ts.isMethodDeclaration(p) && p.name === n) || (ts.isPropertyDeclaration(p) && p.name === n)) return true;
    clean = false;
    return false;
  });
  return clean ? { returns, fallsOff } : undefined;
}

/**
 * Whether control may leave a statement at its end (true), never does (false: every path
 * returns or throws), or that is not plain from its shape (undefined).
 */
function completion(ts: typeof TS, s: TS.Statement): boolean | undefined {
  if (ts.isReturnStatement(s) || ts.isThrowStatement(s)) return false;
  if (ts.isBlock(s)) return s.statements.length === 0 ? true : completion(ts, s.statements[s.statements.length - 1]);
  if (ts.isExpressionStatement(s) || ts.isVariableStatement(s) || ts.isEmptyStatement(s) || ts.isDebuggerStatement(s)) return true;
  if (ts.isIfStatement(s)) {
    if (!s.elseStatement) return true;
    const a = completion(ts, s.thenStatement), b = completion(ts, s.elseStatement);
    if (a === undefined || b === undefined) return undefined;
    return a || b;
  }
  if (ts.isForOfStatement(s) || ts.isForInStatement(s)) return true;
  if (ts.isWhileStatement(s)) return s.expression.kind !== ts.SyntaxKind.TrueKeyword ? true : undefined;
  if (ts.isForStatement(s)) return s.condition && s.condition.kind !== ts.SyntaxKind.TrueKeyword ? true : undefined;
  return undefined;
}

/**
 * An expression that costs well under a nanosecond whatever its values: variables, literals,
 * arithmetic and comparisons, assignments to variables (`i++`, `i += 2`) and `.length`. No calls,
 * no getters but `length`, no allocation. Timing one costs a clock read (~41 ns with
 * `performance.now()` on node 20, measured), two orders of magnitude more than the work.
 * With `profiledCallees`, calls to those names pass too (their callees read memory themselves);
 * with `reads`, property reads and `this` too: what memory mode takes as allocating nothing
 * (docs/memory.md: a getter's allocation, if it is not profiled, shows on the next line read).
 */
export function isTrivial(ts: typeof TS, e: TS.Node | undefined, profiledCallees?: Set<string>, reads = false): boolean {
  // An explicit stack: `a + b + …` chains nest as deep as they are long.
  const todo: (TS.Node | undefined)[] = [e];
  while (todo.length) {
    const n = todo.pop();
    if (!n) continue;
    if (profiledCallees && ts.isCallExpression(n) && ts.isIdentifier(n.expression) && profiledCallees.has(n.expression.text)) {
      todo.push(...n.arguments);
      continue;
    }
    if (ts.isIdentifier(n) || ts.isNumericLiteral(n) || ts.isStringLiteral(n) || ts.isBigIntLiteral(n)) continue;
    if (n.kind === ts.SyntaxKind.TrueKeyword || n.kind === ts.SyntaxKind.FalseKeyword || n.kind === ts.SyntaxKind.NullKeyword) continue;
    if (ts.isParenthesizedExpression(n) || ts.isNonNullExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n)) {
      todo.push(n.expression);
      continue;
    }
    if (ts.isPropertyAccessExpression(n)) {
      if (n.name.text !== "length" && !reads) return false;
      todo.push(n.expression);
      continue;
    }
    if (reads && n.kind === ts.SyntaxKind.ThisKeyword) continue;
    if (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) {
      // With `reads`, only reads: `o.x++` stores, and a store may add a property or run a setter.
      const op = n.operator;
      if (reads && (op === ts.SyntaxKind.PlusPlusToken || op === ts.SyntaxKind.MinusMinusToken) && !ts.isIdentifier(n.operand)) return false;
      todo.push(n.operand);
      continue;
    }
    if (ts.isBinaryExpression(n)) {
      const op = n.operatorToken.kind;
      if (op === ts.SyntaxKind.InKeyword || op === ts.SyntaxKind.InstanceOfKeyword) return false;
      // Assignments only to plain variables: a property store may run a setter.
      if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment && !ts.isIdentifier(n.left)) return false;
      todo.push(n.right, n.left);
      continue;
    }
    return false;
  }
  return true;
}

/**
 * An expression that calls nothing and allocates nothing: what `isTrivial` allows, and property
 * reads and stores, element access, `?:`, `typeof`, `!`, `in`, `instanceof`. A few nanoseconds
 * when no getter or setter runs; a line made of such is a yardstick for the probe's own cost.
 */
export function isLight(ts: typeof TS, e: TS.Node | undefined): boolean {
  const todo: (TS.Node | undefined)[] = [e];
  while (todo.length) {
    const n = todo.pop();
    if (!n) continue;
    if (ts.isIdentifier(n) || ts.isNumericLiteral(n) || ts.isStringLiteral(n) || ts.isBigIntLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) continue;
    if (n.kind === ts.SyntaxKind.TrueKeyword || n.kind === ts.SyntaxKind.FalseKeyword || n.kind === ts.SyntaxKind.NullKeyword
      || n.kind === ts.SyntaxKind.ThisKeyword) continue;
    if (ts.isParenthesizedExpression(n) || ts.isNonNullExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n)
      || ts.isTypeOfExpression(n) || ts.isPropertyAccessExpression(n)) {
      todo.push(n.expression);
      continue;
    }
    if (ts.isElementAccessExpression(n)) {
      todo.push(n.expression, n.argumentExpression);
      continue;
    }
    if (ts.isConditionalExpression(n)) {
      todo.push(n.condition, n.whenTrue, n.whenFalse);
      continue;
    }
    if (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) {
      todo.push(n.operand);
      continue;
    }
    if (ts.isBinaryExpression(n)) {
      // `+` may concatenate strings (an allocation): only where a side is a numeric literal.
      if (n.operatorToken.kind === ts.SyntaxKind.PlusToken || n.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken) {
        if (!ts.isNumericLiteral(n.left) && !ts.isNumericLiteral(n.right) && !isArithmetic(ts, n.left) && !isArithmetic(ts, n.right)) return false;
      }
      if (n.operatorToken.kind === ts.SyntaxKind.CommaToken) return false;
      todo.push(n.right, n.left);
      continue;
    }
    if (ts.isVariableDeclaration(n)) {
      if (!ts.isIdentifier(n.name)) return false;
      todo.push(n.initializer);
      continue;
    }
    return false;
  }
  return true;
}

/** An expression whose value is a number whatever its operands: `a * b`, `-a`, `a / 2`. */
function isArithmetic(ts: typeof TS, n: TS.Node): boolean {
  while (ts.isParenthesizedExpression(n)) n = n.expression;
  if (ts.isPrefixUnaryExpression(n)) return n.operator === ts.SyntaxKind.MinusToken || n.operator === ts.SyntaxKind.PlusToken || n.operator === ts.SyntaxKind.TildeToken;
  if (!ts.isBinaryExpression(n)) return false;
  const k = n.operatorToken.kind, S = ts.SyntaxKind;
  return k === S.AsteriskToken || k === S.SlashToken || k === S.MinusToken || k === S.PercentToken || k === S.AsteriskAsteriskToken
    || k === S.AmpersandToken || k === S.BarToken || k === S.CaretToken || k === S.LessThanLessThanToken || k === S.GreaterThanGreaterThanToken;
}

/** The file's lines as TypeScript numbers them (any of \r\n, \n, \r, U+2028, U+2029 ends a line). */
function sourceLines(sf: TS.SourceFile): string[] {
  const starts = sf.getLineStarts();
  const text = sf.text;
  return starts.map((start, i) => text.slice(start, i + 1 < starts.length ? starts[i + 1] : text.length).replace(/(\r\n|[\n\r\u2028\u2029])$/, ""));
}

/** Looks up sites by kind and node position, as an emitter walks the tree. */
export class SiteIndex {
  private readonly byKey = new Map<string, { site: ProbeSite; fn: PlannedFunction }>();
  private readonly fnByStart = new Map<number, PlannedFunction>();

  constructor(plan: FilePlan) {
    for (const fn of plan.functions) {
      this.fnByStart.set(fn.at, fn);
      for (const s of fn.sites) this.byKey.set(`${s.kind}@${s.at}`, { site: s, fn });
    }
  }

  /** The site of `kind` attached at `offset`, if the plan has one. */
  get(kind: SiteKind, offset: number): ProbeSite | undefined {
    return this.byKey.get(`${kind}@${offset}`)?.site;
  }

  /** The planned function starting at `offset`, if any. */
  functionAt(offset: number): PlannedFunction | undefined {
    return this.fnByStart.get(offset);
  }
}
