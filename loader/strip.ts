/**
 * Node's own type stripping (`module.stripTypeScriptTypes`, node ≥ 22.13; the same stripper from
 * npm, amaro, on older node) for an ES module with
 * nothing to profile: types become blanks, so every line and column stays where it was (no
 * source map to decode) and TypeScript, which takes ~185 ms to load on node 20 here, is not
 * loaded at all when no file needs it.
 *
 * It is used only where its output is what TypeScript would emit. TypeScript is used instead
 * for a file with syntax stripping cannot take (enums, namespaces, parameter properties,
 * `import x = require()`; stripping throws) or would leave for Node to parse but TypeScript
 * lowers (decorators, `accessor`, `using`: any `@`, or either word before a name), for
 * imports TypeScript elides (a name used only as a type, or not at all; unless
 * `verbatimModuleSyntax`), for `export { T }` of a type, and for a project whose `target` or
 * `useDefineForClassFields` makes TypeScript emit class fields otherwise. Whenever the check
 * cannot tell, TypeScript compiles the file. What stripping refuses (enums, namespaces,
 * parameter properties) goes to Node's `transform` mode first (`transformTypes`, below).
 */
type Stripper = (code: string, mode?: "strip" | "transform") => string;

let stripper: Stripper | null | undefined;

interface Amaro { transformSync(code: string, options: { mode: "strip-only" | "transform"; sourceMap?: boolean; filename?: string }): { code: string; map?: string } }

/**
 * Node's stripper where it has one (node ≥ 22.13); else amaro, the package Node's is built from
 * (SWC compiled to WebAssembly), called as Node calls it, so both give the same output: on node
 * 20 an ES module's types are stripped too, and TypeScript (~185 ms to load, ~4.5 ms a file)
 * is not loaded for a file with nothing to profile. Null when neither is there. Node's one-time
 * experimental warning is not the program's to see.
 */
function nodeStripper(): Stripper | null {
  if (stripper !== undefined) return stripper;
  const fn = (require("node:module") as { stripTypeScriptTypes?: (code: string, options?: object) => string }).stripTypeScriptTypes;
  if (typeof fn === "function") {
    stripper = (code, mode = "strip") => {
      const emit = process.emitWarning;
      process.emitWarning = (() => {}) as typeof process.emitWarning;
      try {
        return fn(code, mode === "strip" ? { mode } : { mode, sourceMap: true });
      } finally {
        process.emitWarning = emit;
      }
    };
    return stripper;
  }
  let amaro: Amaro;
  try {
    amaro = require("amaro") as Amaro;
  } catch {
    return (stripper = null);
  }
  stripper = (code, mode = "strip") => {
    const out = amaro.transformSync(code, { mode: mode === "strip" ? "strip-only" : "transform", sourceMap: mode === "transform", filename: "" });
    // As Node attaches the map (lib/internal/modules/typescript.js).
    return out.map ? `${out.code}\n\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(out.map).toString("base64")}` : out.code;
  };
  return stripper;
}

export function canStripTypes(): boolean {
  return nodeStripper() !== null;
}

const ES2022 = ["es2022", "es2023", "es2024", "es2025", "esnext"];

/** Whether the project's options let TypeScript's output be the source minus its types. */
export function strippableOptions(options: Record<string, unknown>): boolean {
  const target = options.target;
  if (target !== undefined && !(typeof target === "string" && ES2022.includes(target.toLowerCase()))) return false;
  return options.useDefineForClassFields !== false;
}

const WORD_BEFORE_REGEX = new Set(["return", "typeof", "instanceof", "in", "of", "new", "delete", "void", "throw", "case", "do", "else", "yield", "await"]);

/**
 * `code` with the text of comments, strings, template literals and regular expressions
 * blanked (same length), so that what remains is tokens; undefined when it does not scan
 * cleanly (an unterminated string or comment, unbalanced template braces).
 */
export function skeleton(code: string): string | undefined {
  if (code.startsWith("#!")) code = code.replace(/^#![^\n]*/, (line) => " ".repeat(line.length));
  const out = code.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  // Brace depth at which each open template literal's `${` was entered.
  const templates: number[] = [];
  let depth = 0;
  let prev = ""; // the last significant token: punctuator char, or a word
  let i = 0;
  const n = code.length;
  const template = (start: number): number => {
    // From just after a backtick or a `}` closing `${…}`: to the closing backtick or the next `${`.
    let j = start;
    for (; j < n; j++) {
      const c = code[j];
      if (c === "\\") j++;
      else if (c === "`") {
        blank(start, j);
        return j + 1;
      } else if (c === "$" && code[j + 1] === "{") {
        blank(start, j);
        templates.push(depth);
        depth++;
        return j + 2;
      }
    }
    return -1;
  };
  while (i < n) {
    const c = code[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "/" && code[i + 1] === "/") {
      const end = code.indexOf("\n", i);
      const to = end < 0 ? n : end;
      blank(i, to);
      i = to;
    } else if (c === "/" && code[i + 1] === "*") {
      const end = code.indexOf("*/", i + 2);
      if (end < 0) return undefined;
      blank(i, end + 2);
      i = end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      for (; j < n && code[j] !== c; j++) {
        if (code[j] === "\\") j++;
        else if (code[j] === "\n") return undefined;
      }
      if (j >= n) return undefined;
      blank(i + 1, j);
      i = j + 1;
      prev = "a";
    } else if (c === "`") {
      i = template(i + 1);
      if (i < 0) return undefined;
      prev = "a";
    } else if (c === "/" && (prev === "" || (prev.length === 1 && "(,=:[!&|?{};+-*%<>~^".includes(prev)) || WORD_BEFORE_REGEX.has(prev))) {
      let j = i + 1;
      let cls = false;
      for (; j < n; j++) {
        const d = code[j];
        if (d === "\\") j++;
        else if (d === "\n") return undefined;
        else if (d === "[") cls = true;
        else if (d === "]") cls = false;
        else if (d === "/" && !cls) break;
      }
      if (j >= n) return undefined;
      blank(i + 1, j);
      i = j + 1;
      prev = "a";
    } else if (/[\w$#\\]/.test(c) || c.charCodeAt(0) > 127) {
      let j = i + 1;
      while (j < n && (/[\w$\\]/.test(code[j]) || code.charCodeAt(j) > 127)) j++;
      prev = code.slice(i, j);
      i = j;
    } else {
      if (c === "{") depth++;
      else if (c === "}") {
        if (templates.length && templates[templates.length - 1] === depth - 1) {
          templates.pop();
          depth--;
          i = template(i + 1);
          if (i < 0) return undefined;
          prev = "a";
          continue;
        }
        depth--;
      }
      prev = c;
      i++;
    }
  }
  return templates.length || depth !== 0 ? undefined : out.join("");
}

// In a skeleton: an import declaration's clause (`a`, `* as b`, `{ c, d as e }`, `a, { … }`),
// and `export { … }` without `from`.
const IMPORT_DECL = /(?<![\w$.])import\s*((?:[\w$]+\s*,?\s*)?(?:\*\s*as\s+[\w$]+|\{[^}]*\})?)\s*from\s*(["'])[^"']*\2|(?<![\w$.])import\s*(["'])[^"']*\3/g;
const EXPORT_LOCAL = /(?<![\w$.])export\s*\{([^}]*)\}(?!\s*from)/g;
const ANY_IMPORT = /(?<![\w$.])import(?![\w$])/g;
const OTHER_IMPORT = /(?<![\w$.])import\s*(?:\(|\.\s*meta\b)/g;
const LOWERED = /@|(?<![\w$.])(?:accessor|using)\s+[\w$#[{]/;
// `export default T;` of a type: TypeScript drops it.
const EXPORT_DEFAULT_NAME = /(?<![\w$.])export\s+default\s+(?!(?:class|function|async)\b)([\w$]+)\s*(?:;|$)/gm;

/** Local names a clause binds: `a` of `a as b` is the remote name, `b` the local one. */
function clauseNames(clause: string, local: boolean): string[] {
  const names: string[] = [];
  for (const part of clause.replace(/[{}]/g, ",").split(",")) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    if (words[0] === "*") names.push(words[2]);
    else names.push(local ? words[words.length - 1] : words[0]);
  }
  return names;
}

/** How often `name` appears in `code` as a reference: not as a property (`.name`), not as an object key (`name:`). */
function references(code: string, name: string): number {
  const re = new RegExp(`(?<![\\w$#])${name.replace(/\$/g, "\\$")}(?![\\w$])`, "g");
  let count = 0;
  for (const m of code.matchAll(re)) {
    let b = m.index - 1;
    while (b >= 0 && /\s/.test(code[b])) b--;
    if (code[b] === "." && code[b - 1] !== ".") continue;
    if (/^\s*:/.test(code.slice(m.index + name.length, m.index + name.length + 40)) && code[b] !== "?") continue;
    count++;
  }
  return count;
}

/**
 * An enum that is not ambient: stripping refuses it, after parsing the whole file (a refusal
 * cost 382–1545 ms for the bench's 240 modules, against 1354–2851 ms for their transforms, node
 * 20.20 under load), so such a file goes to the transform mode without trying. One named in a
 * comment or a string only sends a file to the transform mode, which then checks it as usual.
 */
const ENUM = /(?<![\w$.])(?<!declare\s+(?:const\s+)?)enum\s+[\w$]/;

/**
 * The JavaScript for ES module `source` by type stripping, or undefined when TypeScript must
 * compile it (see above). `verbatim`: the project's `verbatimModuleSyntax` (imports kept as written).
 */
export function stripTypes(source: string, verbatim: boolean): string | undefined {
  const strip = nodeStripper();
  if (!strip || ENUM.test(source)) return undefined;
  let code: string;
  try {
    code = strip(source);
  } catch {
    return undefined; // Syntax stripping does not take (enum, namespace…) or a syntax error: TypeScript says which.
  }
  return takenAsIs(code, verbatim) ? code : undefined;
}

/** Whether TypeScript would emit `code` (Node's output for a module) as it is: the checks above. */
function takenAsIs(code: string, verbatim: boolean): boolean {
  const skel = skeleton(code);
  if (skel === undefined || LOWERED.test(skel)) return false;
  // Every `import` must be one this check understands.
  let declarations = 0;
  const bound: string[] = [];
  let rest = skel;
  for (const m of skel.matchAll(IMPORT_DECL)) {
    declarations++;
    rest = rest.slice(0, m.index) + " ".repeat(m[0].length) + rest.slice(m.index + m[0].length);
    if (m[1] === undefined) continue; // `import "x"`: kept by TypeScript too
    const names = clauseNames(m[1], true);
    // `import {} from "x"`, what stripping leaves of `import { type T } from "x"`: TypeScript drops it.
    if (names.length === 0 && !verbatim) return false;
    bound.push(...names);
  }
  const others = [...skel.matchAll(OTHER_IMPORT)].length;
  if ([...skel.matchAll(ANY_IMPORT)].length !== declarations + others) return false;
  const exported: string[] = [];
  for (const m of skel.matchAll(EXPORT_LOCAL)) {
    const names = clauseNames(m[1], false);
    if (names.length === 0) return false;
    exported.push(...names);
    rest = rest.slice(0, m.index) + " ".repeat(m[0].length) + rest.slice(m.index + m[0].length);
  }
  if (/(?<![\w$.])export\s*\{\s*\}/.test(skel)) return false;
  for (const m of skel.matchAll(EXPORT_DEFAULT_NAME)) {
    exported.push(m[1]);
    rest = rest.slice(0, m.index) + " ".repeat(m[0].length) + rest.slice(m.index + m[0].length);
  }
  // A name imported or exported must be used as a value: else TypeScript elides it (a type).
  if (!verbatim && bound.some((name) => references(rest, name) === 0)) return false;
  if (exported.some((name) => references(rest, name) === 0)) return false;
  return true;
}

const MAP_PREFIX = "\n//# sourceMappingURL=data:application/json;base64,";
/** What Node's transform handles differently from TypeScript: `declare` (an ambient const enum is left unresolved) and const enums. */
const TS_ONLY = /(?<![\w$.])(?:declare|const\s+enum)(?![\w$])/;
/** CommonJS Node's transform writes for `import x = require()` and `export =`: TypeScript refuses them in an ES module. */
const COMMONJS = /(?<![\w$.])(?:require\s*\(|module\s*\.\s*exports|exports\s*\.)/;

/**
 * The JavaScript for ES module `source` by Node's `transform` mode, for what stripping cannot
 * take (enums, namespaces, parameter properties): lines move, so an inline source map comes
 * with it, naming `file`. Undefined when TypeScript must compile it: the checks of stripping,
 * and for `declare`, `const enum` and CommonJS forms.
 */
export function transformTypes(source: string, verbatim: boolean, file: string): string | undefined {
  const strip = nodeStripper();
  if (!strip || TS_ONLY.test(source)) return undefined;
  let out: string;
  try {
    out = strip(source, "transform");
  } catch {
    return undefined;
  }
  const at = out.lastIndexOf(MAP_PREFIX);
  if (at < 0) return undefined;
  const code = out.slice(0, at);
  if (!takenAsIs(code, verbatim)) return undefined;
  const skel = skeleton(code);
  if (skel === undefined || COMMONJS.test(skel)) return undefined;
  let map: { sources?: string[]; file?: string };
  try {
    map = JSON.parse(Buffer.from(out.slice(at + MAP_PREFIX.length).trim(), "base64").toString("utf8")) as typeof map;
  } catch {
    return undefined;
  }
  // Node names no source: the map's source is the file itself, relative to it (as TypeScript writes it).
  const base = file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1);
  map.sources = [base];
  map.file = base.replace(/\.(m?)ts$/, ".$1js");
  return `${code.replace(/\s*$/, "\n")}${MAP_PREFIX.slice(1)}${Buffer.from(JSON.stringify(map)).toString("base64")}`;
}
