import * as vm from "node:vm";
import type * as TS from "typescript";
import { loopSource, SINK, type Harness } from "./harness";
import { describeThrown } from "./_describe";
import { exportedNames, loadModule, ModuleError, registerTypeScript, requireFrom } from "./modules";

/*
 * STMT and setup, TypeScript or JavaScript, turned into one timing loop. Setup runs inside the
 * loop's function and STMT is the loop body, as in Python's template; `import` lines move to the
 * top of a module around it. Setup, STMT and the loop are transpiled together, so an import in
 * setup is seen by STMT (transpileModule rewrites `join` into `path_1.join` everywhere).
 */

/** The snippets of one `tsprof timeit` command line. */
export interface Snippets {
  /** STMT arguments joined with newlines (Python's rule). */
  stmt: string;
  /** `-s` arguments joined with newlines. */
  setup: string;
  /** `--import` modules: every named export becomes a variable. */
  imports: string[];
}

/** A snippet that cannot be compiled or imported; the message is the whole explanation. */
export class SnippetError extends Error {}

/** Compiles the snippets into a loop, loading the modules they import. Loads TypeScript. */
export async function compileSnippets(snippets: Snippets, cwd = process.cwd()): Promise<Harness> {
  const ts = require("typescript") as typeof TS;
  registerTypeScript(ts);
  const setup = parse(ts, "setup", snippets.setup);
  const stmt = parse(ts, "STMT", snippets.stmt);
  const modules = new Map<string, unknown>();
  try {
    for (const spec of [...snippets.imports, ...setup.specifiers, ...stmt.specifiers]) {
      if (!modules.has(spec)) modules.set(spec, await loadModule(spec, cwd));
    }
  } catch (e) {
    throw e instanceof ModuleError ? new SnippetError(e.message) : e;
  }
  const bindings = snippets.imports.map((spec) => `const { ${exportedNames(modules.get(spec)).join(", ")} } = require(${JSON.stringify(spec)});`);
  const source = [...setup.imports, ...stmt.imports, ...bindings, `export ${loopSource(setup.body, sinkLast(ts, stmt.body))}`].join("\n");
  const js = ts.transpileModule(source, { compilerOptions: options(ts) }).outputText;
  const req = requireFrom(cwd);
  const exports: { __tsprof_loop?: Harness } = {};
  try {
    new Function("exports", "require", "module", js)(exports, (spec: string) => (modules.has(spec) ? modules.get(spec) : req(spec)), { exports });
  } catch (e) {
    throw new SnippetError(`STMT and setup do not compile together: ${describeThrown(e)}; fix the statement or the -s code`);
  }
  return exports.__tsprof_loop!;
}

function options(ts: typeof TS): TS.CompilerOptions {
  return { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
}

interface Parsed {
  /** The snippet with its import lines blanked out (positions kept). */
  body: string;
  imports: string[];
  specifiers: string[];
}

/** Checks one snippet's syntax (TypeScript's, then V8's) and splits off its imports. */
function parse(ts: typeof TS, name: "STMT" | "setup", text: string): Parsed {
  const fix = name === "STMT" ? "fix the statement" : "fix the -s code";
  const out = ts.transpileModule(text, { reportDiagnostics: true, compilerOptions: options(ts) });
  const d = out.diagnostics?.find((x) => x.file && x.start !== undefined);
  if (d) {
    const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start!);
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ").replace(/\.$/, "");
    throw new SnippetError(`syntax error in ${name} at ${line + 1}:${character + 1}: ${message} (TS${d.code}); ${fix}, quoted whole for the shell`);
  }
  try {
    // Parsed as a script, where `return`, `break` and `await` are errors: in the loop they would
    // end it early (Python's compile() check refuses them the same way).
    new vm.Script(out.outputText);
  } catch (e) {
    throw new SnippetError(`${name} does not compile: ${(e as Error).message}; ${fix}`);
  }
  const file = ts.createSourceFile("snippet.ts", text, ts.ScriptTarget.ES2022, true);
  let body = text;
  const imports: string[] = [];
  const specifiers: string[] = [];
  for (const s of file.statements) {
    const spec = ts.isImportDeclaration(s) ? s.moduleSpecifier
      : ts.isImportEqualsDeclaration(s) && ts.isExternalModuleReference(s.moduleReference) ? s.moduleReference.expression : undefined;
    if (!spec || !ts.isStringLiteral(spec)) continue;
    const start = s.getStart(file);
    imports.push(text.slice(start, s.end));
    if (!(ts.isImportDeclaration(s) && s.importClause?.isTypeOnly)) specifiers.push(spec.text);
    body = body.slice(0, start) + body.slice(start, s.end).replace(/[^\n]/g, " ") + body.slice(s.end);
  }
  return { body, imports, specifiers };
}

/** The statement with its result kept: a final expression, or the last variable it declares, goes to the sink. */
function sinkLast(ts: typeof TS, body: string): string {
  const file = ts.createSourceFile("stmt.ts", body, ts.ScriptTarget.ES2022, true);
  const last = file.statements[file.statements.length - 1];
  if (!last) return `${SINK} = undefined;`;
  if (ts.isExpressionStatement(last)) {
    const start = last.getStart(file);
    return `${body.slice(0, start)}${SINK} = (${body.slice(last.expression.getStart(file), last.expression.end)});${body.slice(last.end)}`;
  }
  if (ts.isVariableStatement(last)) {
    const name = last.declarationList.declarations.at(-1)?.name;
    if (name && ts.isIdentifier(name)) return `${body}\n${SINK} = ${name.text};`;
  }
  return body;
}
