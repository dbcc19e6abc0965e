/**
 * The function-profile transform (`tsprof prof`): every function of a file, and the module body,
 * gets a frame at entry and gives it back at exit — no marks needed. Counts are exact (one
 * `enter` per call); times come from a clock read at entry and exit (runtime/calls.ts, `--mode
 * clock`) or from V8's sampler, matched to functions by the spans registered here
 * (runtime/calls-counts.ts and calls-sampled.ts, `--mode sampler`). The output is the same.
 *
 *   function f(a) { body }
 *   → function f(a) { const F = (M || load()).enter(3); try { body } finally { M.exit(F); } }
 *
 * Async functions and generators give the clock back while suspended: `await x` becomes
 * `M.resume(F, await M.suspend(F, x))`, so cumtime is time spent running, not waiting.
 *
 * Instrumented code reaches the recorder through a global the loader's preload installs in every
 * process and thread, so CommonJS and ES module output need no import.
 */
import type * as TS from "typescript";

/**
 * A profiled function, as registered: name, first line (1-based, original source), kind, and its
 * span in the original source (0-based lines and columns, start inclusive, end exclusive), by
 * which the V8 sampler's frames are matched to it. The module body has no span.
 */
export type CallsMeta = [name: string, line: number, kind: string, ...span: [] | [startLine: number, startCol: number, endLine: number, endCol: number]];

/** Global key of the recorder (runtime/calls.ts installs it). */
export const CALLS_KEY = "tsprof.calls";

type FunctionWithBody = TS.FunctionDeclaration | TS.FunctionExpression | TS.ArrowFunction | TS.MethodDeclaration
  | TS.ConstructorDeclaration | TS.GetAccessorDeclaration | TS.SetAccessorDeclaration;

/** A `before` transformer instrumenting every function of each file it is given. */
export function createCallsTransformer(ts: typeof TS): TS.TransformerFactory<TS.SourceFile> {
  return (context) => (sf) => {
    if (sf.isDeclarationFile) return sf;
    return instrumentCalls(ts, context, sf);
  };
}

function instrumentCalls(ts: typeof TS, context: TS.TransformationContext, sf: TS.SourceFile): TS.SourceFile {
  const f = context.factory;
  const metas: CallsMeta[] = [["<module>", 1, "module"]];
  const M = f.createUniqueName("__tsprof_m");
  const load = f.createUniqueName("__tsprof_load");
  const F = f.createUniqueName("__tsprof_f");
  const lineOf = (n: TS.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;

  const call = (method: string, args: TS.Expression[]) =>
    f.createCallExpression(f.createPropertyAccessExpression(M, method), undefined, args);
  const enter = (id: number) => f.createVariableStatement(undefined, f.createVariableDeclarationList(
    [f.createVariableDeclaration(F, undefined, undefined, f.createCallExpression(
      f.createPropertyAccessExpression(f.createParenthesizedExpression(f.createLogicalOr(M, f.createCallExpression(load, undefined, []))), "enter"),
      undefined, [f.createNumericLiteral(id)]))],
    ts.NodeFlags.Const));
  const exit = () => f.createExpressionStatement(call("exit", [F]));

  /** Wraps statements in enter/try/finally, keeping directives first. */
  const wrap = (id: number, statements: readonly TS.Statement[]): TS.Statement[] => {
    let n = 0;
    while (n < statements.length && isDirective(ts, statements[n])) n++;
    return [
      ...statements.slice(0, n),
      enter(id),
      f.createTryStatement(f.createBlock(statements.slice(n), true), undefined, f.createBlock([exit()], true)),
    ];
  };

  // `suspending`: inside an async function or generator whose frame is F (not a nested function's).
  const visitor = (suspending: boolean) => (node: TS.Node): TS.Node => {
    if (isFunctionWithBody(ts, node)) return instrumentFunction(node);
    if (suspending && ts.isAwaitExpression(node)) {
      const inner = ts.visitNode(node.expression, visitor(true), ts.isExpression)!;
      return call("resume", [F, f.updateAwaitExpression(node, call("suspend", [F, inner]))]);
    }
    if (suspending && ts.isYieldExpression(node)) {
      const inner = node.expression && ts.visitNode(node.expression, visitor(true), ts.isExpression);
      const suspended = f.updateYieldExpression(node, node.asteriskToken, call("suspend", [F, inner ?? f.createVoidZero()]));
      return call("resume", [F, suspended]);
    }
    if (suspending && ts.isTryStatement(node)) {
      // An await whose promise rejects never reaches its resume: the catch (or finally) that
      // runs next puts the frame back on the stack (a no-op when it is already there).
      const resumeFirst = (block: TS.Block) => f.updateBlock(block, [
        f.createExpressionStatement(call("resume", [F, f.createVoidZero()])),
        ...ts.visitNodes(block.statements, inFrame, ts.isStatement),
      ]);
      const tryBlock = ts.visitNode(node.tryBlock, inFrame, ts.isBlock)!;
      const catchClause = node.catchClause && f.updateCatchClause(node.catchClause,
        node.catchClause.variableDeclaration && ts.visitNode(node.catchClause.variableDeclaration, inFrame, ts.isVariableDeclaration),
        resumeFirst(node.catchClause.block));
      const finallyBlock = node.finallyBlock && resumeFirst(node.finallyBlock);
      return f.updateTryStatement(node, tryBlock, catchClause, finallyBlock);
    }
    return ts.visitEachChild(node, visitor(suspending), context);
  };
  const plain = visitor(false);
  const inFrame = visitor(true);

  function instrumentFunction(fn: FunctionWithBody): TS.Node {
    const id = metas.length;
    const start = sf.getLineAndCharacterOfPosition(fn.getStart(sf));
    const end = sf.getLineAndCharacterOfPosition(fn.getEnd());
    metas.push([functionName(ts, fn, sf), lineOf(fn), kindOf(ts, fn), start.line, start.character, end.line, end.character]);
    const suspends = !!fn.asteriskToken || !!ts.getModifiers(fn as TS.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
    const bodyVisitor = suspends ? inFrame : plain;
    const params = ts.visitNodes(fn.parameters, plain, ts.isParameter);
    const old = fn.body!;
    let statements: TS.Statement[];
    if (ts.isBlock(old)) {
      statements = ts.visitNodes(old.statements, bodyVisitor, ts.isStatement).slice();
    } else {
      const expr = ts.visitNode(old, bodyVisitor, ts.isExpression)!;
      statements = [ts.setTextRange(f.createReturnStatement(expr), old)];
    }
    const body = ts.setTextRange(f.createBlock(wrap(id, statements), true), old);
    const modifiers = ts.getModifiers(fn as TS.HasModifiers);
    const decorated = ts.canHaveDecorators(fn) ? ts.visitNodes((fn as TS.HasDecorators & { modifiers?: TS.NodeArray<TS.ModifierLike> }).modifiers, plain, ts.isModifierLike) : modifiers;
    const name = (fn as { name?: TS.PropertyName }).name;
    const visitedName = name && ts.isComputedPropertyName(name) ? ts.visitNode(name, plain, ts.isPropertyName) : name;
    if (ts.isFunctionDeclaration(fn)) return f.updateFunctionDeclaration(fn, modifiers, fn.asteriskToken, fn.name, fn.typeParameters, params, fn.type, body);
    if (ts.isFunctionExpression(fn)) return f.updateFunctionExpression(fn, modifiers, fn.asteriskToken, fn.name, fn.typeParameters, params, fn.type, body);
    if (ts.isArrowFunction(fn)) return f.updateArrowFunction(fn, modifiers, fn.typeParameters, params, fn.type, fn.equalsGreaterThanToken, body);
    if (ts.isMethodDeclaration(fn)) return f.updateMethodDeclaration(fn, decorated, fn.asteriskToken, visitedName as TS.PropertyName, fn.questionToken, fn.typeParameters, params, fn.type, body);
    if (ts.isGetAccessorDeclaration(fn)) return f.updateGetAccessorDeclaration(fn, decorated, visitedName as TS.PropertyName, params, fn.type, body);
    if (ts.isSetAccessorDeclaration(fn)) return f.updateSetAccessorDeclaration(fn, decorated, visitedName as TS.PropertyName, params, body);
    return f.updateConstructorDeclaration(fn, modifiers, params, body);
  }

  const visited = ts.visitNodes(sf.statements, plain, ts.isStatement);
  // The module body is a frame too (cProfile's `<module>`). It is closed by a last statement, not
  // a try block: wrapping would change the scope of its declarations and exports. A body that
  // throws leaves it open; the recorder closes open frames when it writes.
  let n = 0;
  while (n < visited.length && isDirective(ts, visited[n])) n++;
  const registration = [
    f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(M)], ts.NodeFlags.None)),
    // A hoisted function: instrumented functions called before the body ran (import cycles,
    // hoisted calls) still find the recorder.
    f.createFunctionDeclaration(undefined, undefined, load, undefined, [], undefined, f.createBlock([
      f.createReturnStatement(f.createAssignment(M, f.createCallExpression(
        f.createPropertyAccessExpression(
          f.createElementAccessExpression(f.createIdentifier("globalThis"),
            f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier("Symbol"), "for"), undefined, [f.createStringLiteral(CALLS_KEY)])),
          "module"),
        undefined,
        [f.createStringLiteral(sf.fileName), metasLiteral(f, metas)]))),
    ], true)),
  ];
  return f.updateSourceFile(sf, [
    ...visited.slice(0, n),
    ...registration,
    enter(0),
    ...visited.slice(n),
    exit(),
  ]);
}

function metasLiteral(f: TS.NodeFactory, metas: CallsMeta[]): TS.Expression {
  return f.createArrayLiteralExpression(metas.map(([name, line, kind, ...span]) => f.createArrayLiteralExpression(
    [f.createStringLiteral(name), f.createNumericLiteral(line), f.createStringLiteral(kind), ...span.map((n) => f.createNumericLiteral(n))])));
}

function isDirective(ts: typeof TS, s: TS.Statement): boolean {
  return ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression);
}

function isFunctionWithBody(ts: typeof TS, node: TS.Node): node is FunctionWithBody {
  return (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node)
    || ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) && node.body !== undefined;
}

function kindOf(ts: typeof TS, fn: FunctionWithBody): string {
  const async = ts.getModifiers(fn as TS.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
  const gen = !!(fn as { asteriskToken?: unknown }).asteriskToken;
  return async && gen ? "async generator" : async ? "async" : gen ? "generator" : "function";
}

function propertyName(ts: typeof TS, name: TS.PropertyName | TS.BindingName | undefined, sf: TS.SourceFile): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name)) return `[${name.expression.getText(sf)}]`;
  return undefined;
}

/** The name a reader looks for: `Class.method`, `outer.inner`, an arrow's variable or property name. */
export function functionName(ts: typeof TS, fn: TS.Node, sf: TS.SourceFile): string {
  const own = ownName(ts, fn, sf);
  const owner = ownerName(ts, fn, sf);
  return owner ? `${owner}.${own}` : own;
}

function ownName(ts: typeof TS, fn: TS.Node, sf: TS.SourceFile): string {
  if (ts.isConstructorDeclaration(fn)) return "constructor";
  const named = (fn as { name?: TS.PropertyName }).name;
  const direct = propertyName(ts, named, sf);
  if (direct) return ts.isGetAccessorDeclaration(fn) ? `get ${direct}` : ts.isSetAccessorDeclaration(fn) ? `set ${direct}` : direct;
  const p = fn.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.initializer === fn) {
    return propertyName(ts, p.name, sf) ?? "<anonymous>";
  }
  if (p && ts.isBinaryExpression(p) && p.right === fn && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = p.left;
    if (ts.isIdentifier(left)) return left.text;
    if (ts.isPropertyAccessExpression(left)) return left.name.text;
  }
  if (p && ts.isExportAssignment(p)) return "default";
  return "<anonymous>";
}

/** The enclosing class, or the enclosing named function for nested ones. */
function ownerName(ts: typeof TS, fn: TS.Node, sf: TS.SourceFile): string | undefined {
  for (let p = fn.parent; p; p = p.parent) {
    if (ts.isClassLike(p)) {
      const cls = p.name?.text ?? (p.parent && ts.isVariableDeclaration(p.parent) ? propertyName(ts, p.parent.name, sf) : undefined) ?? "<class>";
      const outer = ownerName(ts, p, sf);
      return outer ? `${outer}.${cls}` : cls;
    }
    if (isFunctionWithBody(ts, p)) return functionName(ts, p, sf);
    if (ts.isSourceFile(p)) return undefined;
  }
  return undefined;
}
