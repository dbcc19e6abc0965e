import type * as TS from "typescript";
import { addBindingNames, forEachDescendant, holdsOffset, isDirective, isFunctionLike, type ProfilableFunction } from "./marks";
import { SiteIndex, type FilePlan, type PlannedFunction, type ProbeSite } from "./plan";

export interface EmitOptions {
  /** Module specifier instrumented code imports the runtime from. Default `tsprof/runtime`. */
  runtime?: string;
  /** Runtime options baked into the registration call (the plugin's `output`, say). */
  runtimeOptions?: Record<string, string | number | boolean>;
  /** What `toString()` returns for the instrumented functions in the build without tsprof (plain-text.ts). */
  texts?: string[];
}

/**
 * Rewrites a source file after its plan: each planned function gets a per-invocation state
 * (`const s = load()[i].enter()`), probes at the planned sites and a `try/finally` that closes
 * the last line's timing however the function ends. Other code is left as it was.
 */
export function emitInstrumented(
  ts: typeof TS,
  context: TS.TransformationContext,
  sf: TS.SourceFile,
  plan: FilePlan,
  options: EmitOptions = {},
): TS.SourceFile {
  const f = context.factory;
  const decorators = new Set(plan.decorators);
  const sites = new SiteIndex(plan);
  const stateName = f.createUniqueName("__tsp_s");
  const loadName = f.createUniqueName("__tsp_load");
  const runtimeName = f.createUniqueName("__tsprof");
  const retName = f.createUniqueName("__tsp_ret");
  const entryName = f.createUniqueName("__tsp_e");
  /** In the copy of a self-calling function's body (see `withCopy`): `return x` becomes `return ret(x)`. */
  let inCopy = false;

  /**
   * Where the probes of the function being emitted find its invocation. A sync function's is the
   * file's current one, a module variable (`cur = load()[i].push(cur)` on entry, `cur.exit(cur =
   * cur.up)` in the `finally`): a sync call runs to its end before its caller's next probe, so no
   * local holds it and the frame is two slots smaller (recursion goes deeper; docs/semantics.md).
   * Functions that suspend (async, generators) interleave, and keep theirs in a local.
   */
  let syncState = false;
  // A property of the hoisted load function, not a module variable: see registration.
  const current = () => f.createPropertyAccessExpression(loadName, "c");
  const state = (): TS.Expression => (syncState ? current() : stateName);
  const call = (method: string, args: TS.Expression[]) =>
    f.createCallExpression(f.createPropertyAccessExpression(state(), method), undefined, args);
  const probe = (site: ProbeSite) =>
    call(!site.clock ? "count" : site.kind === "iter" ? "iter" : site.cont ? "cont" : site.hit ? "hit" : "mark", [f.createNumericLiteral(site.slot)]);
  const probeStatement = (site: ProbeSite) => f.createExpressionStatement(probe(site));
  const startOf = (n: TS.Node) => n.getStart(sf);

  /** The `stmt` probe owed before a statement; labels are looked through (a probe cannot go between label and loop). */
  const stmtSiteOf = (s: TS.Statement): ProbeSite | undefined => {
    let inner: TS.Statement = s;
    while (ts.isLabeledStatement(inner)) inner = inner.statement;
    return sites.get("stmt", startOf(inner));
  };

  /** Probes owed before a statement: its `stmt` probe, and a `for await` loop's suspension (its first step waits). */
  const probesBefore = (s: TS.Statement): TS.Statement[] => {
    const out: TS.Statement[] = [];
    const site = stmtSiteOf(s);
    if (site) out.push(probeStatement(site));
    let inner: TS.Statement = s;
    while (ts.isLabeledStatement(inner)) inner = inner.statement;
    if (ts.isForOfStatement(inner) && sites.get("forAwait", startOf(inner.expression))) out.push(f.createExpressionStatement(call("pause", [])));
    const arrays = ts.isForOfStatement(inner) ? sites.get("arrays", startOf(inner)) : undefined;
    if (arrays && ts.isForOfStatement(inner)) {
      out.push(f.createExpressionStatement(call("arrays", [inner.expression, f.createNumericLiteral(arrays.slot)])));
    }
    return out;
  };

  const visitStatements = (list: TS.NodeArray<TS.Statement>): TS.Statement[] => {
    const out: TS.Statement[] = [];
    for (const s of list) {
      out.push(...probesBefore(s));
      const v = ts.visitNode(s, visit, ts.isStatement);
      if (v) out.push(v);
    }
    return out;
  };

  /** A statement in a body position (`if (x) s;`): wrapped in a block when it needs a probe first. */
  const visitEmbedded = (s: TS.Statement): TS.Statement => {
    const before = ts.isBlock(s) ? [] : probesBefore(s);
    const v = ts.visitNode(s, visit, ts.isStatement)!;
    return before.length ? f.createBlock([...before, stillEmbedded(s, v)], true) : v;
  };

  /** `s` (emitted as `v`) moved from a body position into a block: see `declarationInBodyPosition`. */
  const stillEmbedded = (s: TS.Statement, v: TS.Statement): TS.Statement =>
    declarationInBodyPosition(ts, s) ? f.createIfStatement(f.createTrue(), v) : v;

  /** A loop body that starts with a per-iteration probe (and ends with `after`, for `for…of`). */
  const bodyWithProbe = (s: TS.Statement, site: ProbeSite | undefined, first?: TS.Statement, after?: TS.Statement): TS.Statement => {
    if (!site) return visitEmbedded(s);
    const head = first ?? probeStatement(site);
    const tail = after ? [after] : [];
    if (ts.isBlock(s)) return f.updateBlock(s, [head, ...visitStatements(s.statements), ...tail]);
    const inner = visitEmbedded(s);
    return f.createBlock([head, ts.isBlock(inner) ? inner : stillEmbedded(s, inner), ...tail], true);
  };

  /** A `for…of` loop's next step: timed on the header (`mark`), or, in `for await`, a suspension. */
  const turnStatement = (site: ProbeSite) =>
    f.createExpressionStatement(site.clock ? call("turn", [f.createNumericLiteral(site.slot)]) : call("pause", []));

  const withTestProbe = (site: ProbeSite | undefined, test: TS.Expression | undefined): TS.Expression | undefined => {
    const v = test && ts.visitNode(test, visit, ts.isExpression);
    if (!site) return v;
    return f.createComma(probe(site), v ?? f.createTrue());
  };

  // Offsets where something is emitted (sites, planned functions, removed decorators), sorted: a
  // subtree holding none is returned as it is, unvisited. Unmarked code costs no walk, and no stack
  // (a 5,000-term expression nests 5,000 deep).
  const marks = [...plan.decorators, ...plan.functions.flatMap((fn) => [fn.at, ...fn.sites.map((st) => st.at), ...(fn.copy?.returns ?? [])])].sort((a, b) => a - b);

  const visit = (node: TS.Node): TS.VisitResult<TS.Node | undefined> => {
    if (node.pos >= 0 && !holdsOffset(marks, node)) return node;
    if (ts.isDecorator(node) && node.pos >= 0 && decorators.has(startOf(node))) return undefined;
    const at = node.pos >= 0 ? startOf(node) : -1;
    const planned = at >= 0 ? sites.functionAt(at) : undefined;
    if (planned && ts.isFunctionLike(node)) return instrumentFunction(node as ProfilableFunction, planned);

    if (ts.isBlock(node)) {
      const fin = sites.get("finally", at);
      const stmts = visitStatements(node.statements);
      return f.updateBlock(node, fin ? [probeStatement(fin), ...stmts] : stmts);
    }
    if (ts.isCaseClause(node) || ts.isDefaultClause(node)) {
      const clause = sites.get("clause", at);
      const stmts = visitStatements(node.statements);
      const all = clause ? [probeStatement(clause), ...stmts] : stmts;
      return ts.isCaseClause(node)
        ? f.updateCaseClause(node, ts.visitNode(node.expression, visit, ts.isExpression)!, all)
        : f.updateDefaultClause(node, all);
    }
    if (ts.isCatchClause(node)) {
      const site = sites.get("catch", at);
      const block = ts.visitNode(node.block, visit, ts.isBlock)!;
      const decl = ts.visitNode(node.variableDeclaration, visit, ts.isVariableDeclaration);
      return f.updateCatchClause(node, decl, site ? f.updateBlock(block, [probeStatement(site), ...block.statements]) : block);
    }
    if (ts.isIfStatement(node)) {
      return f.updateIfStatement(
        node,
        ts.visitNode(node.expression, visit, ts.isExpression)!,
        visitEmbedded(node.thenStatement),
        node.elseStatement && visitEmbedded(node.elseStatement),
      );
    }
    if (ts.isWithStatement(node)) {
      return f.updateWithStatement(node, ts.visitNode(node.expression, visit, ts.isExpression)!, visitEmbedded(node.statement));
    }
    if (ts.isLabeledStatement(node)) {
      // The probe owed by the labelled statement was placed before the label by `visitStatements`.
      return f.updateLabeledStatement(node, node.label, ts.visitNode(node.statement, visit, ts.isStatement)!);
    }
    if (ts.isForStatement(node)) {
      return f.updateForStatement(
        node,
        ts.visitNode(node.initializer, visit, ts.isForInitializer),
        withTestProbe(sites.get("test", at), node.condition),
        ts.visitNode(node.incrementor, visit, ts.isExpression),
        visitEmbedded(node.statement),
      );
    }
    if (ts.isWhileStatement(node)) {
      return f.updateWhileStatement(node, withTestProbe(sites.get("test", at), node.expression)!, visitEmbedded(node.statement));
    }
    if (ts.isDoStatement(node)) {
      return f.updateDoStatement(node, visitEmbedded(node.statement), withTestProbe(sites.get("test", at), node.expression)!);
    }
    if (ts.isForOfStatement(node)) {
      // The iterable is left as written: the loop itself reads its iterator, `next` and `return`.
      const iter = sites.get("iter", at);
      const turn = sites.get("turn", at);
      const async = !!sites.get("forAwait", startOf(node.expression));
      // The step has run by the body's first line: a sync loop's was timed on the header since its
      // turn, and only counts here; a `for await` step's suspension ends here (a timed hit).
      const first = iter && f.createExpressionStatement(call(async ? "hit" : "count", [f.createNumericLiteral(iter.slot)]));
      return f.updateForOfStatement(
        node,
        node.awaitModifier,
        ts.visitNode(node.initializer, visit, ts.isForInitializer)!,
        ts.visitNode(node.expression, visit, ts.isExpression)!,
        bodyWithProbe(node.statement, iter, first, turn && turnStatement(turn)),
      );
    }
    if (ts.isContinueStatement(node)) {
      const turn = sites.get("turn", at);
      return turn ? f.createBlock([turnStatement(turn), node], true) : node;
    }
    if (ts.isForInStatement(node)) {
      return f.updateForInStatement(
        node,
        ts.visitNode(node.initializer, visit, ts.isForInitializer)!,
        ts.visitNode(node.expression, visit, ts.isExpression)!,
        bodyWithProbe(node.statement, sites.get("iter", at)),
      );
    }
    if (inCopy && ts.isReturnStatement(node)) {
      const value = node.expression ? ts.visitNode(node.expression, visit, ts.isExpression)! : f.createVoidZero();
      return f.updateReturnStatement(node, f.createCallExpression(retName, undefined, [value]));
    }
    if (ts.isAwaitExpression(node) && sites.get("await", at)) {
      const inner = ts.visitNode(node.expression, visit, ts.isExpression)!;
      return call("resume", [f.updateAwaitExpression(node, call("pause", [inner]))]);
    }
    if (ts.isYieldExpression(node) && (sites.get("yield", at) || sites.get("delegate", at))) {
      const inner = node.expression && ts.visitNode(node.expression, visit, ts.isExpression);
      // `yield*` delegates as written (which iterator method, `next`/`return`/`throw`, errors and
      // stacks stay the program's own); its operand and every step of the delegate are suspension,
      // which the function's next probe ends. No call wraps it: V8 would name that call in the
      // delegate's errors ("x.resume is not iterable").
      if (node.asteriskToken) {
        return f.createParenthesizedExpression(f.createComma(call("pause", []), f.updateYieldExpression(node, node.asteriskToken, inner!)));
      }
      return call("resume", [f.updateYieldExpression(node, undefined, call("pause", inner ? [inner] : []))]);
    }
    return ts.visitEachChild(node, visit, context);
  };

  const enterStatement = (pf: PlannedFunction) =>
    pf.kind === "sync" ? f.createExpressionStatement(f.createAssignment(
      current(),
      f.createCallExpression(
        f.createPropertyAccessExpression(f.createElementAccessExpression(f.createCallExpression(loadName, undefined, []), pf.index), "push"),
        undefined,
        [current()],
      ),
    )) : f.createVariableStatement(
      undefined,
      f.createVariableDeclarationList(
        [f.createVariableDeclaration(
          stateName,
          undefined,
          undefined,
          f.createCallExpression(
            f.createPropertyAccessExpression(
              f.createElementAccessExpression(f.createCallExpression(loadName, undefined, []), pf.index),
              "enter",
            ),
            undefined,
            [],
          ),
        )],
        ts.NodeFlags.Const,
      ),
    );

  const instrumentedBody = (fn: ProfilableFunction, pf: PlannedFunction): TS.Block => {
    const outer = syncState;
    syncState = pf.kind === "sync";
    try {
      return instrumentedBodyIn(fn, pf);
    } finally {
      syncState = outer;
    }
  };

  const instrumentedBodyIn = (fn: ProfilableFunction, pf: PlannedFunction): TS.Block => {
    const body = fn.body!;
    let prologue: TS.Statement[] = [];
    let statements: TS.Statement[];
    if (ts.isBlock(body)) {
      const all = visitStatements(body.statements);
      let n = 0;
      while (n < all.length && isDirective(ts, all[n])) n++;
      // Inside the `try` block a function declaration is block-scoped, which a `var` of the same
      // name (`var g; function g() {}`) turns into a SyntaxError: such a declaration moves before
      // the `try`, at the body's top level where it was. Others stay in the block, beside the
      // `let`/`const` they may close over. They run nothing, so no probe is lost.
      const vars = varNames(ts, body);
      const hoisted = (st: TS.Statement) => ts.isFunctionDeclaration(st) && !!st.name && vars.has(st.name.text);
      prologue = [...all.slice(0, n), ...all.slice(n).filter(hoisted)];
      statements = all.slice(n).filter((st) => !hoisted(st));
    } else {
      const site = sites.get("body", startOf(body))!;
      const ret = ts.setTextRange(f.createReturnStatement(ts.visitNode(body, visit, ts.isExpression)), body);
      statements = [probeStatement(site), ret];
    }
    if (syncState && pf.copy && ts.isFunctionDeclaration(fn) && fn.name && ts.isBlock(body)) return withCopy(fn, pf, body, statements);
    // A sync invocation stops being current before its `exit` is called: a stack overflow in
    // that call loses the last line's time, never which invocation is current.
    const exit = syncState
      ? call("exit", [f.createAssignment(current(), f.createPropertyAccessExpression(current(), "up"))])
      : call("exit", []);
    const guarded = f.createTryStatement(
      f.createBlock(statements, true),
      undefined,
      f.createBlock([f.createExpressionStatement(exit)], true),
    );
    const block = f.createBlock([...prologue, enterStatement(pf), guarded], true);
    return ts.setTextRange(block, body);
  };

  /**
   * A self-calling sync function (plan.ts `selfCopy`): the activation entered from outside keeps
   * the `try/finally` and declares a copy of the body under the function's name, without one, that
   * the body's recursive calls reach. A copy's `return x` is `return ret(x)` (its invocation stops
   * being current, then closes); an exception through copies leaves them open until the entry's
   * `finally` closes them all, innermost first: `cur.close(entry, cur = entry.up)`. A copy's frame
   * is the plain one and a register (docs/semantics.md, "Recursion depth").
   */
  const withCopy = (fn: TS.FunctionDeclaration, pf: PlannedFunction, body: TS.Block, statements: TS.Statement[]): TS.Block => {
    inCopy = true;
    let copied: TS.Statement[];
    try {
      copied = visitStatements(body.statements);
    } finally {
      inCopy = false;
    }
    if (pf.copy!.fallsOff) copied.push(f.createExpressionStatement(f.createCallExpression(retName, undefined, [f.createVoidZero()])));
    const copy = f.createFunctionDeclaration(
      undefined, undefined, f.createIdentifier(fn.name!.text), undefined,
      fn.parameters.map((p) => f.createParameterDeclaration(undefined, p.dotDotDotToken, f.createIdentifier((p.name as TS.Identifier).text))),
      undefined,
      f.createBlock([enterStatement(pf), ...copied], true),
    );
    const entry = f.createVariableStatement(undefined, f.createVariableDeclarationList(
      [f.createVariableDeclaration(entryName, undefined, undefined, (enterStatement(pf) as TS.ExpressionStatement).expression)],
      ts.NodeFlags.Const,
    ));
    const close = call("close", [entryName, f.createAssignment(current(), f.createPropertyAccessExpression(entryName, "up"))]);
    const guarded = f.createTryStatement(f.createBlock(statements, true), undefined, f.createBlock([f.createExpressionStatement(close)], true));
    return ts.setTextRange(f.createBlock([entry, copy, guarded], true), body);
  };

  const instrumentFunction = (fn: ProfilableFunction, pf: PlannedFunction): TS.Node => {
    const modifiers = ts.visitNodes(fn.modifiers, visit, ts.isModifierLike) as TS.NodeArray<TS.ModifierLike> | undefined;
    const params = ts.visitNodes(fn.parameters, visit, ts.isParameter);
    const body = instrumentedBody(fn, pf);
    if (ts.isFunctionDeclaration(fn)) {
      return f.updateFunctionDeclaration(fn, modifiers, fn.asteriskToken, fn.name, fn.typeParameters, params, fn.type, body);
    }
    if (ts.isFunctionExpression(fn)) {
      return f.updateFunctionExpression(fn, modifiers as TS.NodeArray<TS.Modifier>, fn.asteriskToken, fn.name, fn.typeParameters, params, fn.type, body);
    }
    if (ts.isArrowFunction(fn)) {
      return f.updateArrowFunction(fn, modifiers as TS.NodeArray<TS.Modifier>, fn.typeParameters, params, fn.type, fn.equalsGreaterThanToken, body);
    }
    const name = ts.isConstructorDeclaration(fn) ? undefined : ts.visitNode(fn.name, visit, ts.isPropertyName)!;
    if (ts.isMethodDeclaration(fn)) {
      return f.updateMethodDeclaration(fn, modifiers, fn.asteriskToken, name!, fn.questionToken, fn.typeParameters, params, fn.type, body);
    }
    if (ts.isGetAccessorDeclaration(fn)) return f.updateGetAccessorDeclaration(fn, modifiers, name!, params, fn.type, body);
    if (ts.isSetAccessorDeclaration(fn)) return f.updateSetAccessorDeclaration(fn, modifiers, name!, params, body);
    return f.updateConstructorDeclaration(fn, modifiers, params, body);
  };

  const statements = ts.visitNodes(sf.statements, visit, ts.isStatement);
  const header = moduleHeader(ts, f, sf, context.getCompilerOptions(), runtimeName, options.runtime ?? "tsprof/runtime");
  const footer = registration(ts, f, plan, loadName, runtimeName, options.runtimeOptions, options.texts);
  // plan.ts gives copies to sync functions only.
  const copies = plan.functions.some((fn) => fn.copy);
  if (copies) footer.push(retHelper(ts, f, loadName, runtimeName, retName));
  let n = 0;
  while (n < statements.length && isDirective(ts, statements[n])) n++;
  const eager = f.createExpressionStatement(f.createCallExpression(loadName, undefined, []));
  return f.updateSourceFile(sf, [
    ...statements.slice(0, n),
    header,
    eager,
    ...(copies ? [f.createExpressionStatement(f.createCallExpression(retName, undefined, [f.createVoidZero()]))] : []),
    ...statements.slice(n),
    ...footer,
  ]);
}

/**
 * A `let` declaration where only a statement may stand, as TypeScript parses `for (…) let` + a
 * line break + `{}` in sloppy JavaScript: JavaScript reads there the identifier `let`, a `;`
 * inserted at the line break, then the next statement. Moved into a block, the same text reads as
 * a declaration (a SyntaxError, `let {}` without an initializer); behind `if (true)` it still
 * stands where only a statement may, and reads as before.
 */
export function declarationInBodyPosition(ts: typeof TS, s: TS.Statement): boolean {
  return ts.isVariableStatement(s) && (s.declarationList.flags & ts.NodeFlags.BlockScoped) !== 0;
}

/** Names a body declares with `var` (in any of its blocks, not in nested functions). */
export function varNames(ts: typeof TS, body: TS.Block): Set<string> {
  const names = new Set<string>();
  forEachDescendant(ts, body, (n) => {
    if (n !== body && (isFunctionLike(ts, n) || ts.isClassLike(n))) return false;
    if (ts.isVariableDeclarationList(n) && (n.flags & ts.NodeFlags.BlockScoped) === 0) n.declarations.forEach((d) => addBindingNames(ts, d.name, names));
    return true;
  });
  return names;
}

/**
 * How instrumented code reaches the runtime: a plain `require` where the file is emitted as
 * CommonJS (no interop helpers), an `import * as` elsewhere (TypeScript converts it as needed).
 */
function moduleHeader(
  ts: typeof TS,
  f: TS.NodeFactory,
  sf: TS.SourceFile,
  options: TS.CompilerOptions,
  runtimeName: TS.Identifier,
  specifier: string,
): TS.Statement {
  const requireCall = (callee: TS.Expression) => f.createCallExpression(callee, undefined, [f.createStringLiteral(specifier)]);
  const declare = (init: TS.Expression) => f.createVariableStatement(
    undefined,
    // `const`: the header is the module's first statement, so nothing can read it before it runs.
    f.createVariableDeclarationList([f.createVariableDeclaration(runtimeName, undefined, undefined, init)], ts.NodeFlags.Const),
  );
  if (emitsCommonJs(ts, sf, options)) return declare(requireCall(f.createIdentifier("require")));
  if (!ts.isExternalModule(sf)) {
    // A script (no import or export) stays a script: an `import` would make it a module (strict,
    // its own scope, `this` undefined). `require` where there is one, else one made for this file.
    const req = f.createIdentifier("require");
    const made = f.createCallExpression(
      f.createPropertyAccessExpression(
        f.createCallExpression(f.createPropertyAccessExpression(f.createIdentifier("process"), "getBuiltinModule"), undefined, [f.createStringLiteral("module")]),
        "createRequire",
      ),
      undefined,
      [f.createStringLiteral(sf.fileName)],
    );
    return declare(f.createConditionalExpression(
      f.createStrictEquality(f.createTypeOfExpression(req), f.createStringLiteral("function")),
      undefined, requireCall(req), undefined, requireCall(made),
    ));
  }
  return f.createImportDeclaration(
    undefined,
    f.createImportClause(false, undefined, f.createNamespaceImport(runtimeName)),
    f.createStringLiteral(specifier),
  );
}

function emitsCommonJs(ts: typeof TS, sf: TS.SourceFile, options: TS.CompilerOptions): boolean {
  // TypeScript's own rule (internal `getEmitModuleKind`) when present; its documented default otherwise.
  const internal = (ts as unknown as { getEmitModuleKind?: (o: TS.CompilerOptions) => TS.ModuleKind }).getEmitModuleKind;
  const kind = internal ? internal(options)
    : options.module ?? ((options.target ?? 0) >= ts.ScriptTarget.ES2015 ? ts.ModuleKind.ES2015 : ts.ModuleKind.CommonJS);
  const { ModuleKind } = ts;
  if (kind === ModuleKind.CommonJS) return true;
  // Node16 … NodeNext and Preserve decide per file (extension, package.json "type").
  if (kind >= ModuleKind.Node16) {
    const worker = (ts as unknown as { getEmitModuleFormatOfFileWorker?: (sf: TS.SourceFile, o: TS.CompilerOptions) => TS.ModuleKind })
      .getEmitModuleFormatOfFileWorker;
    const format = worker ? worker(sf, options) : sf.impliedNodeFormat;
    return format === ModuleKind.CommonJS;
  }
  return false;
}

/**
 * `function load() { return load.m || (load.m = runtime.register(file, [...])) }`: a hoisted
 * function, so instrumented functions find their counters even when called before the module body
 * ran (hoisted calls, import cycles). The registered functions (`load.m`) and the file's current
 * sync invocation (`load.c`) are its properties: a function declaration is the one binding that
 * exists before the module body runs and that lint rules accept (a `let` throws in an import
 * cycle; a `var` fails `no-var`). The two top-level assignments after it declare the properties'
 * types to TypeScript (printed source that is type-checked) and change nothing: `load()` returns
 * the array already registered, and no sync invocation of the file runs when its body ends.
 */
function registration(
  ts: typeof TS,
  f: TS.NodeFactory,
  plan: FilePlan,
  loadName: TS.Identifier,
  runtimeName: TS.Identifier,
  runtimeOptions: EmitOptions["runtimeOptions"],
  texts?: string[],
): TS.Statement[] {
  const meta = f.createArrayLiteralExpression(
    plan.functions.map((fn) =>
      f.createArrayLiteralExpression([
        f.createStringLiteral(fn.name),
        f.createNumericLiteral(fn.firstLine),
        f.createArrayLiteralExpression(fn.lines.map((l) => f.createNumericLiteral(l))),
        f.createArrayLiteralExpression(fn.source.map((l) => f.createStringLiteral(l))),
        f.createStringLiteral(fn.kind),
        f.createArrayLiteralExpression(fn.quiet.map((s) => f.createNumericLiteral(s))),
        f.createArrayLiteralExpression(fn.cheap.map((s) => f.createNumericLiteral(s))),
        f.createArrayLiteralExpression(fn.light.map((s) => f.createNumericLiteral(s))),
      ]),
    ),
  );
  const args: TS.Expression[] = [f.createStringLiteral(plan.fileName), meta];
  const hasOptions = !!runtimeOptions && Object.keys(runtimeOptions).length > 0;
  if (!hasOptions && texts?.length) args.push(f.createIdentifier("undefined"));
  if (runtimeOptions && hasOptions) {
    args.push(f.createObjectLiteralExpression(
      Object.entries(runtimeOptions).map(([k, v]) =>
        f.createPropertyAssignment(k, typeof v === "string" ? f.createStringLiteral(v)
          : typeof v === "number" ? f.createNumericLiteral(v) : v ? f.createTrue() : f.createFalse())),
    ));
  }
  if (texts?.length) args.push(f.createArrayLiteralExpression(texts.map((t) => f.createStringLiteral(t))));
  const register = f.createCallExpression(f.createPropertyAccessExpression(runtimeName, "register"), undefined, args);
  const cache = () => f.createPropertyAccessExpression(loadName, "m");
  const statsType = f.createArrayTypeNode(f.createTypeReferenceNode(f.createQualifiedName(runtimeName, "FunctionStats")));
  const load = f.createFunctionDeclaration(
    undefined, undefined, loadName, undefined, [], statsType,
    f.createBlock([f.createReturnStatement(
      f.createLogicalOr(cache(), f.createParenthesizedExpression(f.createAssignment(cache(), register))),
    )], true),
  );
  const out: TS.Statement[] = [load, f.createExpressionStatement(f.createAssignment(cache(), f.createCallExpression(loadName, undefined, [])))];
  if (plan.functions.some((fn) => fn.kind === "sync")) {
    out.push(f.createExpressionStatement(f.createAssignment(
      f.createPropertyAccessExpression(loadName, "c"),
      f.createAsExpression(f.createIdentifier("undefined"), runtimeType(ts, f, runtimeName, "Invocation", false)),
    )));
  }
  return out;
}

/**
 * `function ret(v) { const s = load.c; if (s) { load.c = s.up; s.exit(); } return v; }`: how a
 * copy of a self-calling function returns (see withCopy). A call that holds one register across
 * the recursion (the callee), where an invocation method would hold three (receiver, method,
 * load). The file calls it once at its start, where no invocation of it is current (`ret()` does
 * nothing then): V8 compiles a function at its first call, and a first call at the deepest frame
 * took the compiler's stack from the recursion (0.885x of the plain depth instead of 0.92x).
 */
function retHelper(ts: typeof TS, f: TS.NodeFactory, loadName: TS.Identifier, runtimeName: TS.Identifier, retName: TS.Identifier): TS.Statement {
  const v = f.createIdentifier("v"), s = f.createIdentifier("s");
  const cur = () => f.createPropertyAccessExpression(loadName, "c");
  const T = f.createTypeReferenceNode("T");
  return f.createFunctionDeclaration(
    undefined, undefined, retName, [f.createTypeParameterDeclaration(undefined, "T")],
    [f.createParameterDeclaration(undefined, undefined, v, undefined, T)], T,
    f.createBlock([
      f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(s, undefined, undefined, cur())], ts.NodeFlags.Const)),
      f.createIfStatement(s, f.createBlock([
        f.createExpressionStatement(f.createAssignment(cur(), f.createPropertyAccessExpression(s, "up"))),
        f.createExpressionStatement(f.createCallExpression(f.createPropertyAccessExpression(s, "exit"), undefined, [])),
      ], true)),
      f.createReturnStatement(v),
    ], true),
  );
}

/**
 * `runtime.Name | undefined` (or `runtime.Name[] | undefined`): TypeScript erases it from the
 * JavaScript, and the printed source type-checks under `strict` (no implicit any) as written.
 */
function runtimeType(ts: typeof TS, f: TS.NodeFactory, runtimeName: TS.Identifier, name: string, array: boolean): TS.TypeNode {
  const ref: TS.TypeNode = f.createTypeReferenceNode(f.createQualifiedName(runtimeName, name));
  return f.createUnionTypeNode([array ? f.createArrayTypeNode(ref) : ref, f.createKeywordTypeNode(ts.SyntaxKind.UndefinedKeyword)]);
}
