import type * as TS from "typescript";
import type MagicStringType from "magic-string";
import type { SourceMap, SourceMap as SourceMapType } from "magic-string";
import { forEachDescendant, holdsOffset, isDirective, type ProfilableFunction } from "./marks";
import { SiteIndex, type FilePlan, type PlannedFunction, type ProbeSite } from "./plan";
import { declarationInBodyPosition, varNames, type EmitOptions } from "./emit";
import { checkedJoins, joinOf, placeCopies, type Join, type PlacedCopy } from "./text-copy";

export interface TextEmitOptions extends EmitOptions {
  /**
   * How the file reaches the runtime: `"esm"` (`import * as`, default), `"cjs"` (`require`, for
   * `.cjs`/`.js` CommonJS files) or `"ts-cjs"` (`import x = require()`, for `.cts`). Default from
   * the file's extension.
   */
  format?: "esm" | "cjs" | "ts-cjs";
  /** Type annotations on the emitted declarations (TypeScript sources). Default: from the extension. */
  typed?: boolean;
}

export interface TextEmitResult {
  code: string;
  /** Maps the instrumented text back to the original source, column by column. */
  map: SourceMap;
}

/**
 * The same instrumentation as `emitInstrumented`, written into the source *text* with
 * magic-string: for pipelines that hand tsprof text, not a TypeScript program (bundlers, test
 * runners, TypeScript 7), before they strip types and comments. Every probe comes from the same
 * plan and has the same shape (`s.hit(3)`, `s.resume(await s.pause(x))`, `try/finally`).
 *
 * Insertions follow one rule so nested ones compose: an opening text before a node goes to the
 * node's right (`appendRight`, outer first), a closing text after it to its left
 * (`prependLeft`, inner first); text inside a delimiter (`{`, `:`) hugs that delimiter.
 */
export function emitText(ts: typeof TS, sf: TS.SourceFile, plan: FilePlan, options: TextEmitOptions = {}): TextEmitResult {
  const { default: MagicString, SourceMap } = require("magic-string") as { default: typeof MagicStringType; SourceMap: typeof SourceMapType };
  const text = sf.text;
  // Swapped for a scratch copy while a self-calling function's copy is written (`copyText`).
  let ms = new MagicString(text);
  const ext = /\.[cm]?[jt]sx?$/.exec(sf.fileName)?.[0] ?? ".ts";
  const format = options.format ?? (ext === ".cts" ? "ts-cjs" : ext === ".cjs" ? "cjs" : "esm");
  const typed = options.typed ?? /^\.[cm]?tsx?$/.test(ext);
  const unique = (base: string) => {
    let name = base;
    for (let i = 1; text.includes(name); i++) name = `${base}_${i}`;
    return name;
  };
  const S = unique("__tsp_s"), LOAD = unique("__tsp_load"), RT = unique("__tsprof");
  const RET = unique("__tsp_ret"), E = unique("__tsp_e");
  /** In the copy of a self-calling function's body: `return x` becomes `return ret(x)`. */
  let inCopy = false;
  /** The copies written, each at its placeholder in `ms` (the placeholder is a name the file does not hold). */
  const placed: PlacedCopy[] = [];
  const PLACE = unique("__tsp_copy");
  // The file's current sync invocation, a property of the hoisted load function (see registration).
  const C = `${LOAD}.c`;
  const sites = new SiteIndex(plan);
  const decorators = new Set(plan.decorators);
  const startOf = (n: TS.Node) => n.getStart(sf);
  /**
   * Where a site's probe finds its invocation, as in emitInstrumented: a sync function's is the
   * file's current one (a module variable), others keep theirs in a local.
   */
  const stateOf = new Map<ProbeSite, string>();
  for (const fn of plan.functions) for (const site of fn.sites) stateOf.set(site, fn.kind === "sync" ? C : S);

  const call = (site: ProbeSite, method: string, args = "") => `${stateOf.get(site)}.${method}(${args})`;
  const probe = (site: ProbeSite) =>
    call(site, !site.clock ? "count" : site.kind === "iter" ? "iter" : site.cont ? "cont" : site.hit ? "hit" : "mark", `${site.slot}`);
  /** A `for…of` loop's next step: timed on the header (`turn`), or, in `for await`, a suspension. */
  const turn = (site: ProbeSite) => (site.clock ? call(site, "turn", `${site.slot}`) : call(site, "pause"));
  /** Text around a node: `open` before it, `close` after it. */
  const wrap = (node: TS.Node, open: string, close: string) => {
    ms.appendRight(startOf(node), open);
    ms.prependLeft(node.end, close);
  };
  /** Right after a block's `{`. */
  const inBlock = (block: TS.Block, s: string) => ms.appendLeft(startOf(block) + 1, s);
  /** Text that follows a statement: after a `;`, so a statement ended by a line break (ASI) stays ended. */
  const afterStatement = (s: TS.Statement | undefined, close: string) => (!s || inCopy || text[s.end - 1] === ";" ? close : `;${close}`);
  /** In a copy, the statements that automatic semicolon insertion ended (the copy is one line; `Join`). */
  let semicolons: Set<TS.Node> = new Set();
  const semicolon = (node: TS.Node) => (inCopy && semicolons.has(node) && !ts.isContinueStatement(node) ? ";" : "");

  const unlabeled = (s: TS.Statement): TS.Statement => {
    let inner: TS.Statement = s;
    while (ts.isLabeledStatement(inner)) inner = inner.statement;
    return inner;
  };
  /** Probes owed before a statement: its `stmt` probe, a `for await` loop's suspension, a `for…of`'s array check. */
  const probesBefore = (s: TS.Statement): string[] => {
    const out: string[] = [];
    const inner = unlabeled(s);
    const site = sites.get("stmt", startOf(inner));
    if (site) out.push(probe(site));
    if (ts.isForOfStatement(inner)) {
      const forAwait = sites.get("forAwait", startOf(inner.expression));
      if (forAwait) out.push(call(forAwait, "pause"));
      const arrays = sites.get("arrays", startOf(inner));
      if (arrays) out.push(call(arrays, "arrays", `${text.slice(startOf(inner.expression), inner.expression.end)}, ${arrays.slot}`));
    }
    return out;
  };
  const statementList = (list: readonly TS.Statement[]) => {
    for (const s of list) {
      const before = probesBefore(s);
      if (before.length) ms.appendRight(startOf(s), before.map((p) => `${p}; `).join(""));
    }
  };
  /** A statement in a body position: wrapped in a block when it needs a probe first. */
  const embedded = (s: TS.Statement) => {
    const before = ts.isBlock(s) ? [] : probesBefore(s);
    if (before.length) wrap(s, `{ ${before.map((p) => `${p}; `).join("")}${stillEmbedded(s)}`, " }");
  };
  /** Before a statement moved from a body position into a block (emit.ts `declarationInBodyPosition`). */
  const stillEmbedded = (s: TS.Statement) => (declarationInBodyPosition(ts, s) ? "if (true) " : "");
  /** A loop body that starts with a per-iteration probe (`head`) and, for `for…of`, ends with `tail`. */
  const bodyWithProbe = (s: TS.Statement, site: ProbeSite | undefined, head?: string, tail?: string) => {
    if (!site) return embedded(s);
    const first = head ?? probe(site);
    if (ts.isBlock(s)) {
      inBlock(s, ` ${first};`);
      if (tail) ms.prependRight(s.end - 1, afterStatement(s.statements[s.statements.length - 1], ` ${tail}; `));
      return;
    }
    const guard = ts.isBlock(s) || probesBefore(s).length ? "" : stillEmbedded(s);
    wrap(s, `{ ${first}; ${guard}`, tail ? afterStatement(s, ` ${tail}; }`) : " }");
    embedded(s);
  };
  const testProbe = (site: ProbeSite | undefined, test: TS.Expression | undefined, emptyAt: number) => {
    if (!site) return;
    if (test) ms.appendRight(startOf(test), `${probe(site)}, `);
    else ms.appendRight(emptyAt, ` ${probe(site)}, true`);
  };

  /**
   * The copy of a self-calling function (plan.ts `selfCopy`; emit.ts `withCopy`), as one line of
   * text: its body instrumented again, in a scratch MagicString, with its `return`s through the
   * helper, then joined onto one line (`Join`, text-copy.ts), so that every original line keeps
   * its number. Its map segments map it to the body it copies. Undefined where the function has
   * no join: it keeps the one-activation form.
   */
  const copyText = (fn: TS.FunctionDeclaration, pf: PlannedFunction): PlacedCopy | undefined => {
    const body = fn.body!;
    const join = joins.get(fn);
    if (!pf.copy || body.statements.length === 0 || !join) return undefined;
    const saved = ms;
    const scratch = (ms = new MagicString(text));
    inCopy = true;
    semicolons = join.semicolons;
    try {
      visit(body);
    } finally {
      ms = saved;
      inCopy = false;
    }
    scratch.appendLeft(startOf(body) + 1, ` ${C} = ${LOAD}()[${pf.index}].push(${C});`);
    if (pf.copy.fallsOff) scratch.prependRight(body.end - 1, ` ${RET}(void 0); `);
    for (const [a, b] of join.gaps) scratch.update(a, b, " ");
    for (const [a, b, t] of join.literals) scratch.update(a, b, t);
    const from = startOf(fn.name!);
    scratch.remove(0, from);
    if (body.end < text.length) scratch.remove(body.end, text.length);
    scratch.prepend("function ").append(" ");
    const code = scratch.toString();
    if (/[\r\n\u2028\u2029]/.test(code)) return undefined;
    const segments = scratch.generateDecodedMap({ hires: true }).mappings[0] ?? [];
    return { placeholder: `${PLACE}_${placed.length}_`, code, segments };
  };

  const instrumentFunction = (fn: ProfilableFunction, pf: PlannedFunction) => {
    const body = fn.body!;
    const sync = pf.kind === "sync";
    const copy = sync && ts.isFunctionDeclaration(fn) && fn.name && ts.isBlock(body) ? copyText(fn, pf) : undefined;
    if (copy !== undefined && ts.isBlock(body)) {
      // The entry keeps the `try/finally`, closing the copies an exception went through (emit.ts
      // `withCopy`). The copy goes on the line of the body's first statement.
      placed.push(copy);
      ms.appendLeft(startOf(body) + 1, ` const ${E} = ${C} = ${LOAD}()[${pf.index}].push(${C});`);
      ms.appendRight(startOf(body.statements[0]), `${copy.placeholder}try { `);
      ms.prependRight(body.end - 1, ` } finally { ${C}.close(${E}, ${C} = ${E}.up); } `);
      return;
    }
    const enter = sync ? `${C} = ${LOAD}()[${pf.index}].push(${C});` : `const ${S} = ${LOAD}()[${pf.index}].enter();`;
    // A sync invocation stops being current before its `exit` is called, as emitInstrumented's.
    const exit = `finally { ${sync ? `${C}.exit(${C} = ${C}.up)` : `${S}.exit()`}; }`;
    if (ts.isBlock(body)) {
      let n = 0;
      while (n < body.statements.length && isDirective(ts, body.statements[n])) n++;
      const at = n > 0 ? body.statements[n - 1].end : startOf(body) + 1;
      ms.appendLeft(at, ` ${enter}`);
      // A function declaration a `var` of its name would clash with inside the `try` block leaves
      // it, as in emitInstrumented. A one-line one leaves its line break behind, so lines keep
      // their numbers; a longer one moves its own (the source map follows).
      const vars = varNames(ts, body);
      for (const st of body.statements.slice(n)) {
        if (ts.isFunctionDeclaration(st) && st.name && vars.has(st.name.text)) ms.move(startOf(st), st.end, at);
      }
      ms.appendRight(at, " try {");
      ms.prependRight(body.end - 1, ` } ${exit} `);
    } else {
      const site = sites.get("body", startOf(body))!;
      wrap(body, `{ ${enter} try { ${probe(site)}; return (`, `); } ${exit} }`);
    }
  };

  const visit = (node: TS.Node): void => {
    // First, so that what closes the statement's parts comes before it, and what wraps the
    // statement after it (magic-string's `prependLeft` puts the later text first).
    const semi = semicolon(node);
    if (semi) ms.prependLeft(node.end, semi);
    if (ts.isDecorator(node) && decorators.has(startOf(node))) {
      ms.remove(startOf(node), node.end);
      return;
    }
    const at = startOf(node);
    const planned = sites.functionAt(at);
    if (planned && ts.isFunctionLike(node)) instrumentFunction(node as ProfilableFunction, planned);

    if (ts.isBlock(node)) {
      const fin = sites.get("finally", at);
      if (fin) inBlock(node, ` ${probe(fin)};`);
      statementList(node.statements);
    } else if (ts.isCaseClause(node) || ts.isDefaultClause(node)) {
      const clause = sites.get("clause", at);
      if (clause) ms.appendLeft(node.statements.pos, ` ${probe(clause)};`);
      statementList(node.statements);
    } else if (ts.isCatchClause(node)) {
      const site = sites.get("catch", at);
      if (site) inBlock(node.block, ` ${probe(site)};`);
    } else if (ts.isIfStatement(node)) {
      embedded(node.thenStatement);
      if (node.elseStatement) embedded(node.elseStatement);
    } else if (ts.isForStatement(node)) {
      const semicolons = node.getChildren(sf).filter((c) => c.kind === ts.SyntaxKind.SemicolonToken);
      testProbe(sites.get("test", at), node.condition, semicolons[0]?.end ?? -1);
      embedded(node.statement);
    } else if (ts.isWhileStatement(node) || ts.isDoStatement(node)) {
      testProbe(sites.get("test", at), node.expression, -1);
      embedded(node.statement);
    } else if (ts.isForOfStatement(node)) {
      // The iterable is left as written; the step has run by the body's first line (see emitInstrumented).
      const iter = sites.get("iter", at);
      const step = sites.get("turn", at);
      const async = !!sites.get("forAwait", startOf(node.expression));
      bodyWithProbe(node.statement, iter, iter && call(iter, async ? "hit" : "count", `${iter.slot}`), step && turn(step));
    } else if (ts.isContinueStatement(node)) {
      const step = sites.get("turn", at);
      // A `continue` is wrapped whole: its `;` goes inside the block.
      const end = inCopy && semicolons.has(node) ? ";" : "";
      if (step) wrap(node, `{ ${turn(step)}; `, `${end} }`);
      else if (end) ms.prependLeft(node.end, end);
    } else if (ts.isForInStatement(node)) {
      bodyWithProbe(node.statement, sites.get("iter", at));
    } else if (inCopy && ts.isReturnStatement(node)) {
      if (node.expression) wrap(node.expression, `${RET}(`, ")");
      else ms.prependLeft(at + "return".length, ` ${RET}(void 0)`);
    } else if (ts.isAwaitExpression(node) && sites.get("await", at)) {
      const site = sites.get("await", at)!;
      wrap(node, `${stateOf.get(site)}.resume(`, ")");
      wrap(node.expression, `${stateOf.get(site)}.pause(`, ")");
    } else if (ts.isYieldExpression(node) && (sites.get("yield", at) || sites.get("delegate", at))) {
      const site = (sites.get("yield", at) ?? sites.get("delegate", at))!;
      // `yield*` delegates as written; its steps are suspension, which the next probe ends.
      if (node.asteriskToken) {
        wrap(node, `(${call(site, "pause")}, `, ")");
      } else {
        wrap(node, `${stateOf.get(site)}.resume(`, ")");
        if (node.expression) wrap(node.expression, `${stateOf.get(site)}.pause(`, ")");
        else ms.prependLeft(node.end, ` ${call(site, "pause")}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  // Copies' joins, checked together by one parse of the file.
  const candidates = new Map<TS.FunctionDeclaration, Join>();
  const copied = plan.functions.filter((pf) => pf.copy && pf.kind === "sync").map((pf) => pf.at).sort((a, b) => a - b);
  if (copied.length > 0) {
    forEachDescendant(ts, sf, (n) => {
      if (!holdsOffset(copied, n)) return false;
      if (ts.isFunctionDeclaration(n) && n.name && n.body && sites.functionAt(startOf(n))?.copy) {
        const join = joinOf(ts, sf, n);
        if (join) candidates.set(n, join);
        return false;
      }
      return true;
    });
  }
  const joins = checkedJoins(ts, sf, candidates, MagicString);
  ts.forEachChild(sf, visit);

  // Header after the directive prologue (and a shebang), footer at the end: as emitInstrumented.
  let n = 0;
  while (n < sf.statements.length && isDirective(ts, sf.statements[n])) n++;
  // No line is added anywhere before the footer: every original line keeps its number, so a
  // compiler that ignores input source maps (ts-jest) still reports the right lines.
  const shebang = ts.getShebang(text);
  const afterShebang = shebang === undefined ? 0 : /^[^\n]*\n?/.exec(text)![0].length;
  const headAt = n > 0 ? sf.statements[n - 1].end : afterShebang;
  const specifier = JSON.stringify(options.runtime ?? "tsprof/runtime");
  const header = format === "esm" ? `import * as ${RT} from ${specifier};`
    : format === "ts-cjs" ? `import ${RT} = require(${specifier});`
    : `const ${RT} = require(${specifier});`;
  // A copy's return helper is called once here, where it does nothing, so that V8 compiles it at
  // a shallow frame (as emitInstrumented's `retHelper`).
  const eager = placed.length > 0 ? `${LOAD}(); ${RET}(void 0);` : `${LOAD}();`;
  ms.appendLeft(headAt, n > 0 ? ` ${header} ${eager}` : `${header} ${eager} `);
  ms.append(`\n${registration(plan, LOAD, RT, options.runtimeOptions, typed, options.texts)}\n`);
  if (placed.length > 0) {
    // How a copy returns, as emit.ts `retHelper`: its invocation stops being current, then closes.
    ms.append(typed
      ? `function ${RET}<T>(v: T): T { const s = ${C}; if (s) { ${C} = s.up; s.exit(); } return v; }\n`
      : `function ${RET}(v) { const s = ${C}; if (s) { ${C} = s.up; s.exit(); } return v; }\n`);
  }
  const decoded = ms.generateDecodedMap({ hires: true, source: sf.fileName, includeContent: true });
  const code = placeCopies(ms.toString(), decoded.mappings, placed);
  return { code, map: new SourceMap(decoded) };
}

/**
 * `function load() { return load.m || (load.m = runtime.register(file, [...])) }`, as
 * emitInstrumented writes it: the registered functions and the current sync invocation live on a
 * hoisted function, the one kind of binding set up before the module body runs and that lint
 * rules accept (a `let` throws in an import cycle, a `var` fails `no-var`; docs/semantics.md).
 * Typed sources also get the two top-level assignments that declare those properties' types to
 * TypeScript; both leave them as they are (`load()` returns the registered array, and no sync
 * invocation of the file is running when its module body ends).
 */
function registration(
  plan: FilePlan, load: string, rt: string, runtimeOptions: EmitOptions["runtimeOptions"], typed: boolean, texts?: string[],
): string {
  const meta = plan.functions.map((fn) =>
    JSON.stringify([fn.name, fn.firstLine, fn.lines, fn.source, fn.kind, fn.quiet, fn.cheap, fn.light]));
  const args = [JSON.stringify(plan.fileName), `[${meta.join(", ")}]`];
  const hasOptions = !!runtimeOptions && Object.keys(runtimeOptions).length > 0;
  if (hasOptions) args.push(JSON.stringify(runtimeOptions));
  else if (texts?.length) args.push("undefined");
  if (texts?.length) args.push(JSON.stringify(texts));
  const fn = `function ${load}()${typed ? `: ${rt}.FunctionStats[]` : ""} { return ${load}.m || (${load}.m = ${rt}.register(${args.join(", ")})); }`;
  if (!typed) return fn;
  const sync = plan.functions.some((f) => f.kind === "sync");
  return `${fn}\n${load}.m = ${load}();${sync ? ` ${load}.c = undefined as ${rt}.Invocation | undefined;` : ""}`;
}
