import type * as TS from "typescript";
import { isDirective, type ProfilableFunction } from "./marks";
import { SiteIndex, type FilePlan, type PlannedFunction, type ProbeSite } from "./plan";

export interface EmitOptions {
  /** Module specifier instrumented code imports the runtime from. Default `tsprof/runtime`. */
  runtime?: string;
  /** Runtime options baked into the registration call (the plugin's `output`, say). */
  runtimeOptions?: Record<string, string | number | boolean>;
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
  const cacheName = f.createUniqueName("__tsp_m");
  const runtimeName = f.createUniqueName("__tsprof");

  const call = (method: string, args: TS.Expression[]) =>
    f.createCallExpression(f.createPropertyAccessExpression(stateName, method), undefined, args);
  const probe = (site: ProbeSite) =>
    call(!site.clock ? "count" : site.kind === "iter" ? "iter" : site.hit ? "hit" : "mark", [f.createNumericLiteral(site.slot)]);
  const probeStatement = (site: ProbeSite) => f.createExpressionStatement(probe(site));
  const startOf = (n: TS.Node) => n.getStart(sf);

  /** The `stmt` probe owed before a statement; labels are looked through (a probe cannot go between label and loop). */
  const stmtSiteOf = (s: TS.Statement): ProbeSite | undefined => {
    let inner: TS.Statement = s;
    while (ts.isLabeledStatement(inner)) inner = inner.statement;
    return sites.get("stmt", startOf(inner));
  };

  const visitStatements = (list: TS.NodeArray<TS.Statement>): TS.Statement[] => {
    const out: TS.Statement[] = [];
    for (const s of list) {
      const site = stmtSiteOf(s);
      if (site) out.push(probeStatement(site));
      const v = ts.visitNode(s, visit, ts.isStatement);
      if (v) out.push(v);
    }
    return out;
  };

  /** A statement in a body position (`if (x) s;`): wrapped in a block when it needs a probe first. */
  const visitEmbedded = (s: TS.Statement): TS.Statement => {
    const site = ts.isBlock(s) ? undefined : stmtSiteOf(s);
    const v = ts.visitNode(s, visit, ts.isStatement)!;
    return site ? f.createBlock([probeStatement(site), v], true) : v;
  };

  /** A loop body that starts with a per-iteration probe. */
  const bodyWithProbe = (s: TS.Statement, site: ProbeSite | undefined): TS.Statement => {
    if (!site) return visitEmbedded(s);
    if (ts.isBlock(s)) return f.updateBlock(s, [probeStatement(site), ...visitStatements(s.statements)]);
    return f.createBlock([probeStatement(site), visitEmbedded(s)], true);
  };

  const withTestProbe = (site: ProbeSite | undefined, test: TS.Expression | undefined): TS.Expression | undefined => {
    const v = test && ts.visitNode(test, visit, ts.isExpression);
    if (!site) return v;
    return f.createComma(probe(site), v ?? f.createTrue());
  };

  const visit = (node: TS.Node): TS.VisitResult<TS.Node | undefined> => {
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
      const wrap = sites.get("forAwait", startOf(node.expression));
      const iter = sites.get("iter", at);
      let expr = ts.visitNode(node.expression, visit, ts.isExpression)!;
      if (wrap) expr = call("asyncIter", [expr, f.createNumericLiteral(iter?.slot ?? 0)]);
      else if (iter) expr = call("of", [expr, f.createNumericLiteral(iter.slot)]);
      return f.updateForOfStatement(
        node,
        node.awaitModifier,
        ts.visitNode(node.initializer, visit, ts.isForInitializer)!,
        expr,
        bodyWithProbe(node.statement, sites.get("iter", at)),
      );
    }
    if (ts.isForInStatement(node)) {
      return f.updateForInStatement(
        node,
        ts.visitNode(node.initializer, visit, ts.isForInitializer)!,
        ts.visitNode(node.expression, visit, ts.isExpression)!,
        bodyWithProbe(node.statement, sites.get("iter", at)),
      );
    }
    if (ts.isAwaitExpression(node) && sites.get("await", at)) {
      const inner = ts.visitNode(node.expression, visit, ts.isExpression)!;
      return call("resume", [f.updateAwaitExpression(node, call("pause", [inner]))]);
    }
    if (ts.isYieldExpression(node) && (sites.get("yield", at) || sites.get("delegate", at))) {
      const inner = node.expression && ts.visitNode(node.expression, visit, ts.isExpression);
      if (node.asteriskToken) return f.updateYieldExpression(node, node.asteriskToken, call("delegate", [inner!]));
      return call("resume", [f.updateYieldExpression(node, undefined, call("pause", inner ? [inner] : []))]);
    }
    return ts.visitEachChild(node, visit, context);
  };

  const enterStatement = (pf: PlannedFunction) =>
    f.createVariableStatement(
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
    const body = fn.body!;
    let prologue: TS.Statement[] = [];
    let statements: TS.Statement[];
    if (ts.isBlock(body)) {
      const all = visitStatements(body.statements);
      let n = 0;
      while (n < all.length && isDirective(ts, all[n])) n++;
      prologue = all.slice(0, n);
      statements = all.slice(n);
    } else {
      const site = sites.get("body", startOf(body))!;
      const ret = ts.setTextRange(f.createReturnStatement(ts.visitNode(body, visit, ts.isExpression)), body);
      statements = [probeStatement(site), ret];
    }
    const guarded = f.createTryStatement(
      f.createBlock(statements, true),
      undefined,
      f.createBlock([f.createExpressionStatement(call("exit", []))], true),
    );
    const block = f.createBlock([...prologue, enterStatement(pf), guarded], true);
    return ts.setTextRange(block, body);
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
  const footer = registration(f, plan, loadName, cacheName, runtimeName, options.runtimeOptions);
  let n = 0;
  while (n < statements.length && isDirective(ts, statements[n])) n++;
  const eager = f.createExpressionStatement(f.createCallExpression(loadName, undefined, []));
  return f.updateSourceFile(sf, [
    ...statements.slice(0, n),
    header,
    eager,
    ...statements.slice(n),
    ...footer,
  ]);
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
  if (emitsCommonJs(ts, sf, options)) {
    return f.createVariableStatement(
      undefined,
      f.createVariableDeclarationList(
        [f.createVariableDeclaration(runtimeName, undefined, undefined,
          f.createCallExpression(f.createIdentifier("require"), undefined, [f.createStringLiteral(specifier)]))],
        ts.NodeFlags.None,
      ),
    );
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
 * `function load() { return m || (m = runtime.register(file, [...])) }` and `var m;`: a hoisted
 * function, so instrumented functions find their counters even when called before the module body
 * ran (hoisted calls, import cycles).
 */
function registration(
  f: TS.NodeFactory,
  plan: FilePlan,
  loadName: TS.Identifier,
  cacheName: TS.Identifier,
  runtimeName: TS.Identifier,
  runtimeOptions: EmitOptions["runtimeOptions"],
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
      ]),
    ),
  );
  const args: TS.Expression[] = [f.createStringLiteral(plan.fileName), meta];
  if (runtimeOptions && Object.keys(runtimeOptions).length) {
    args.push(f.createObjectLiteralExpression(
      Object.entries(runtimeOptions).map(([k, v]) =>
        f.createPropertyAssignment(k, typeof v === "string" ? f.createStringLiteral(v)
          : typeof v === "number" ? f.createNumericLiteral(v) : v ? f.createTrue() : f.createFalse())),
    ));
  }
  const register = f.createCallExpression(f.createPropertyAccessExpression(runtimeName, "register"), undefined, args);
  const load = f.createFunctionDeclaration(
    undefined, undefined, loadName, undefined, [], undefined,
    f.createBlock([f.createReturnStatement(
      f.createLogicalOr(cacheName, f.createParenthesizedExpression(f.createAssignment(cacheName, register))),
    )], true),
  );
  const cache = f.createVariableStatement(undefined, f.createVariableDeclarationList([f.createVariableDeclaration(cacheName)], 0));
  return [load, cache];
}
