import type * as TS from "typescript";

/** A function-like node that has a body tsprof can instrument. */
export type ProfilableFunction =
  | TS.FunctionDeclaration
  | TS.FunctionExpression
  | TS.ArrowFunction
  | TS.MethodDeclaration
  | TS.GetAccessorDeclaration
  | TS.SetAccessorDeclaration
  | TS.ConstructorDeclaration;

/** A function chosen for profiling, with what the report needs to name it. */
export interface MarkedFunction {
  node: ProfilableFunction;
  /** Qualified name shown in the report: `foo`, `Cart.total`, `Cart.get size`. */
  name: string;
  /** 1-based line where the report starts: the `@profile` tag or decorator line. */
  firstLine: number;
}

/** How a file marks functions: what `@profile` decorators look like in it. */
export interface MarkContext {
  ts: typeof TS;
  sf: TS.SourceFile;
  /** Local names bound to tsprof's `profile` export (`import { profile as p } from "tsprof"`). */
  decoratorNames: Set<string>;
  /** Local names bound to the whole tsprof module (`import * as tsprof from "tsprof"`). */
  namespaceNames: Set<string>;
  /** Mark every function of the file, as `tsprof run --all` and `-p file` do. */
  all: boolean;
  /** Mark only these function names (`-p file:name`), in addition to marked ones. */
  names: Set<string> | undefined;
  /**
   * The bare `@profile` is a mark without an import (kernprof's way): nothing binds it at run
   * time, so the emitters remove it. A decorator bound to tsprof's import stays: it does nothing,
   * and keeps what any decorator brings (`design:*` metadata, `Symbol.metadata`).
   */
  implicit: boolean;
}

// `/** ... @profile ... */`: JSDoc-style block comments only, so prose in `//` comments never marks.
const JSDOC_PROFILE = /^\/\*\*(?:[\s\S]*?[\s*])?@profile(?![\w$-])/;

// Finds the local names under which this file imports tsprof's `profile` decorator.
export function createMarkContext(ts: typeof TS, sf: TS.SourceFile, all = false, names?: Set<string>): MarkContext {
  const decoratorNames = new Set<string>();
  const namespaceNames = new Set<string>();
  /** The file binds `profile` itself (its own function, another package's import): that one is no mark. */
  let ownProfile = false;
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) {
      ownProfile ||= declaresProfile(ts, st);
      continue;
    }
    const clause = st.importClause;
    if (st.moduleSpecifier.text !== "tsprof") {
      const bindings = clause?.namedBindings;
      ownProfile ||= clause?.name?.text === "profile"
        || (!!bindings && (ts.isNamespaceImport(bindings) ? bindings.name.text === "profile" : bindings.elements.some((el) => el.name.text === "profile")));
      continue;
    }
    const bindings = clause?.namedBindings;
    if (!bindings) continue;
    if (ts.isNamespaceImport(bindings)) namespaceNames.add(bindings.name.text);
    else for (const el of bindings.elements) {
      if ((el.propertyName ?? el.name).text === "profile") decoratorNames.add(el.name.text);
    }
  }
  // Without an import, a bare `@profile` still counts: kernprof users write it that way.
  const implicit = decoratorNames.size === 0 && namespaceNames.size === 0 && !ownProfile;
  if (implicit) decoratorNames.add("profile");
  return { ts, sf, decoratorNames, namespaceNames, all, names, implicit };
}

/** A top-level statement that gives `profile` a value at run time (an ambient `declare` does not). */
function declaresProfile(ts: typeof TS, st: TS.Statement): boolean {
  if (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) return false;
  if (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) return st.name?.text === "profile";
  if (ts.isImportEqualsDeclaration(st)) return st.name.text === "profile";
  if (!ts.isVariableStatement(st)) return false;
  const named = (n: TS.BindingName): boolean => ts.isIdentifier(n) ? n.text === "profile"
    : n.elements.some((el) => !ts.isOmittedExpression(el) && named(el.name));
  return st.declarationList.declarations.some((d) => named(d.name));
}

/** True when `d` is tsprof's `@profile` decorator (optionally called: `@profile()`). */
export function isProfileDecorator(mc: MarkContext, d: TS.Decorator): boolean {
  const { ts } = mc;
  let e = d.expression;
  if (ts.isCallExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) return mc.decoratorNames.has(e.text);
  return ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression)
    && mc.namespaceNames.has(e.expression.text) && e.name.text === "profile";
}

function profileDecorators(mc: MarkContext, node: TS.Node): TS.Decorator[] {
  const { ts } = mc;
  if (!ts.canHaveDecorators(node)) return [];
  return (ts.getDecorators(node) ?? []).filter((d) => isProfileDecorator(mc, d));
}

/**
 * Offset of the `@profile` tag in the JSDoc comments leading `node`, or in those between its
 * decorators and modifiers (`@Get() /** @profile *\/ list() {}`), or -1.
 */
function jsDocTagOffset(mc: MarkContext, node: TS.Node): number {
  const text = mc.sf.text;
  const modifiers = (node as { modifiers?: TS.NodeArray<TS.ModifierLike> }).modifiers ?? [];
  for (const at of [node.pos, ...modifiers.map((m) => m.end)]) {
    // A comment on the same line as the token before it is, to TypeScript, that token's trailing comment.
    const comments = [...(mc.ts.getTrailingCommentRanges(text, at) ?? []), ...(mc.ts.getLeadingCommentRanges(text, at) ?? [])];
    for (const c of comments) {
      const m = JSDOC_PROFILE.exec(text.slice(c.pos, c.end));
      if (m) return c.pos + m[0].length - "@profile".length;
    }
  }
  return -1;
}

function lineOf(sf: TS.SourceFile, offset: number): number {
  return sf.getLineAndCharacterOfPosition(offset).line + 1;
}

/** The statement or member that carries comments and decorators for a function expression. */
function carrierOf(ts: typeof TS, fn: TS.Node): TS.Node[] {
  const out: TS.Node[] = [fn];
  let n: TS.Node = fn;
  while (
    ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isSatisfiesExpression(n.parent)
    || ts.isTypeAssertionExpression(n.parent) || ts.isNonNullExpression(n.parent)
  ) {
    n = n.parent;
    out.push(n);
  }
  const p = n.parent;
  if (!p) return out;
  if (ts.isVariableDeclaration(p) && p.initializer === n) {
    out.push(p);
    const list = p.parent;
    if (ts.isVariableDeclarationList(list) && list.declarations[0] === p && ts.isVariableStatement(list.parent)) {
      out.push(list.parent);
    }
  } else if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.initializer === n) {
    out.push(p);
  } else if (ts.isExportAssignment(p)) {
    out.push(p);
  } else if (ts.isBinaryExpression(p) && p.right === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    if (ts.isExpressionStatement(p.parent)) out.push(p.parent);
  }
  return out;
}

/** Text of a property or method name as the report shows it. */
export function propertyNameText(ts: typeof TS, sf: TS.SourceFile, name: TS.PropertyName | undefined): string {
  if (!name) return "<anonymous>";
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return name.getText(sf);
}

function classNameOf(ts: typeof TS, sf: TS.SourceFile, cls: TS.ClassLikeDeclaration): string {
  if (cls.name) return cls.name.text;
  const p = cls.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return propertyNameText(ts, sf, p.name);
  if (ts.isExportAssignment(p) || ts.getCombinedModifierFlags(cls as TS.Declaration) & ts.ModifierFlags.Default) return "default";
  return "<anonymous class>";
}

function objectNameOf(ts: typeof TS, sf: TS.SourceFile, obj: TS.ObjectLiteralExpression): string {
  let n: TS.Node = obj;
  while (ts.isParenthesizedExpression(n.parent) || ts.isAsExpression(n.parent) || ts.isSatisfiesExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return propertyNameText(ts, sf, p.name);
  if (ts.isBinaryExpression(p) && p.right === n) return p.left.getText(sf);
  if (ts.isExportAssignment(p)) return "default";
  return "<object>";
}

/** Qualified name of a function in the user's vocabulary (JS's own `name`, prefixed by its class or object). */
export function qualifiedName(ts: typeof TS, sf: TS.SourceFile, fn: ProfilableFunction): string {
  const owner = fn.parent;
  const memberName = (): string => {
    if (ts.isConstructorDeclaration(fn)) return "constructor";
    const base = propertyNameText(ts, sf, (fn as TS.MethodDeclaration).name);
    if (ts.isGetAccessorDeclaration(fn)) return `get ${base}`;
    if (ts.isSetAccessorDeclaration(fn)) return `set ${base}`;
    return base;
  };
  if (ts.isClassLike(owner) && !ts.isFunctionExpression(fn) && !ts.isArrowFunction(fn)) {
    return `${classNameOf(ts, sf, owner)}.${memberName()}`;
  }
  if (ts.isObjectLiteralExpression(owner) && !ts.isFunctionExpression(fn) && !ts.isArrowFunction(fn)) {
    return `${objectNameOf(ts, sf, owner)}.${memberName()}`;
  }
  if (ts.isFunctionDeclaration(fn)) return fn.name ? fn.name.text : "default";
  if (ts.isFunctionExpression(fn) && fn.name) return fn.name.text;
  // Function and arrow expressions take the name of what they are assigned to, as JS's `name` does.
  const carriers = carrierOf(ts, fn);
  const holder = carriers[carriers.length - 1];
  for (const c of carriers) {
    if (ts.isVariableDeclaration(c) && ts.isIdentifier(c.name)) return c.name.text;
    if (ts.isPropertyDeclaration(c) && ts.isClassLike(c.parent)) {
      return `${classNameOf(ts, sf, c.parent)}.${propertyNameText(ts, sf, c.name)}`;
    }
    if (ts.isPropertyAssignment(c)) {
      return `${objectNameOf(ts, sf, c.parent)}.${propertyNameText(ts, sf, c.name)}`;
    }
    if (ts.isExportAssignment(c)) return "default";
  }
  if (ts.isExpressionStatement(holder) && ts.isBinaryExpression(holder.expression)) {
    return holder.expression.left.getText(sf);
  }
  return ts.isArrowFunction(fn) ? "<arrow>" : "<anonymous>";
}

function hasBody(ts: typeof TS, node: TS.Node): node is ProfilableFunction {
  return (
    ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node)
    || ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)
    || ts.isConstructorDeclaration(node)
  ) && node.body !== undefined;
}

export function isFunctionLike(ts: typeof TS, node: TS.Node): boolean {
  return ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node);
}

/** Where a function's report starts: its first decorator, else its first token. */
function naturalStartLine(mc: MarkContext, node: TS.Node): number {
  return lineOf(mc.sf, node.getStart(mc.sf));
}

/**
 * The overload signatures written just before an implementation (`function f(x: string): string;`),
 * first one first: a mark on the first signature marks the implementation.
 */
function overloadsOf(ts: typeof TS, sf: TS.SourceFile, fn: ProfilableFunction): TS.Node[] {
  if (!(ts.isFunctionDeclaration(fn) || ts.isMethodDeclaration(fn) || ts.isConstructorDeclaration(fn)) || !fn.body) return [];
  const siblings: readonly TS.Node[] | undefined = ts.isClassLike(fn.parent) ? fn.parent.members
    : ts.isSourceFile(fn.parent) || ts.isBlock(fn.parent) || ts.isModuleBlock(fn.parent) ? fn.parent.statements : undefined;
  if (!siblings) return [];
  const nameOf = (n: TS.Node) => ts.isConstructorDeclaration(n) ? "constructor"
    : ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) ? propertyNameText(ts, sf, n.name) : undefined;
  const out: TS.Node[] = [];
  for (let i = siblings.indexOf(fn) - 1; i >= 0; i--) {
    const n = siblings[i];
    if (n.kind !== fn.kind || (n as ProfilableFunction).body || nameOf(n) !== nameOf(fn)) break;
    out.unshift(n);
  }
  return out;
}

/** The `@profile` mark on `fn` itself (or on its first overload signature), if any: its line. */
function ownMarkLine(mc: MarkContext, fn: ProfilableFunction): number | undefined {
  const { ts } = mc;
  for (const signature of overloadsOf(ts, mc.sf, fn)) {
    const at = jsDocTagOffset(mc, signature);
    if (at >= 0) return lineOf(mc.sf, at);
  }
  for (const carrier of carrierOf(ts, fn)) {
    const decorators = profileDecorators(mc, carrier);
    if (decorators.length) return naturalStartLine(mc, carrier);
    const at = jsDocTagOffset(mc, carrier);
    if (at >= 0) return lineOf(mc.sf, at);
  }
  return undefined;
}

/** The class whose `@profile` mark covers `fn` (a member, or an arrow held by a field). */
function markedClassOf(mc: MarkContext, fn: ProfilableFunction): TS.ClassLikeDeclaration | undefined {
  const { ts } = mc;
  let owner: TS.Node = fn.parent;
  if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) {
    const carriers = carrierOf(ts, fn);
    const field = carriers.find((c) => ts.isPropertyDeclaration(c));
    if (!field) return undefined;
    owner = field.parent;
  }
  if (!ts.isClassLike(owner)) return undefined;
  // A class expression carries its mark where a function expression does: `/** @profile */ const C = class {…}`.
  const carriers = ts.isClassExpression(owner) ? carrierOf(ts, owner) : [owner];
  if (carriers.some((c) => profileDecorators(mc, c).length || jsDocTagOffset(mc, c) >= 0)) return owner;
  return undefined;
}

/** Every function of the file that is to be profiled, outermost first. */
export function findMarkedFunctions(mc: MarkContext): MarkedFunction[] {
  const { ts, sf } = mc;
  const out: MarkedFunction[] = [];
  forEachDescendant(ts, sf, (node) => {
    if (hasBody(ts, node)) {
      const name = qualifiedName(ts, sf, node);
      let firstLine = ownMarkLine(mc, node);
      if (firstLine === undefined && markedClassOf(mc, node)) firstLine = naturalStartLine(mc, node);
      if (firstLine === undefined && (mc.all || mc.names?.has(name) || mc.names?.has(name.split(".").pop()!))) {
        firstLine = naturalStartLine(mc, node);
      }
      if (firstLine !== undefined) out.push({ node, name, firstLine });
    }
    return true;
  });
  return out;
}

/**
 * Visits `root` and its descendants in source order (pre-order) with an explicit stack: a
 * 5,000-term `a + b + …` nests 5,000 deep, which TypeScript itself compiles and a recursive
 * walk would not. `enter` returns false to skip a node's children.
 */
export function forEachDescendant(ts: typeof TS, root: TS.Node, enter: (node: TS.Node) => boolean): void {
  const stack: TS.Node[] = [root];
  const kids: TS.Node[] = [];
  while (stack.length) {
    const node = stack.pop()!;
    if (!enter(node)) continue;
    kids.length = 0;
    ts.forEachChild(node, (c) => { kids.push(c); });
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
}

/** Adds the names a binding declares (`a`, `{ b, c: [d, , ...e] }`) to `names`. */
export function addBindingNames(ts: typeof TS, binding: TS.BindingName, names: Set<string>): void {
  if (ts.isIdentifier(binding)) names.add(binding.text);
  else for (const el of binding.elements) if (!ts.isOmittedExpression(el)) addBindingNames(ts, el.name, names);
}

/** Whether one of `offsets` (sorted ascending) lies within `node`, in [pos, end): a binary search, so a subtree holding none is skipped at the cost of a few comparisons. */
export function holdsOffset(offsets: readonly number[], node: TS.Node): boolean {
  let lo = 0, hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid] < node.pos) lo = mid + 1;
    else hi = mid;
  }
  return lo < offsets.length && offsets[lo] < node.end;
}

/** A directive of a prologue (`"use strict";`): an expression statement that is only a string literal. */
export function isDirective(ts: typeof TS, s: TS.Statement): boolean {
  return ts.isExpressionStatement(s) && ts.isStringLiteral(s.expression);
}
