/**
 * The few tsconfig.json options that change what compiled code *does*, read without loading
 * TypeScript (the project may be on TypeScript 7, whose compiler has no JS API, and a warm start
 * must not pay for loading it). Everything else in tsconfig.json is about checking or layout, and
 * `tsprof run` compiles one file at a time for the newest Node syntax, so it is ignored.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const SEMANTIC = ["experimentalDecorators", "emitDecoratorMetadata", "useDefineForClassFields", "verbatimModuleSyntax"] as const;

/** Targets before ES2022, where TypeScript's default for `useDefineForClassFields` is false. */
const OLD_TARGET = /^es(3|5|6|2015|2016|2017|2018|2019|2020|2021)$/i;

/** JSON with comments and trailing commas, as tsconfig.json allows. */
export function parseJsonc(text: string): unknown {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = /"(?:[^"\\]|\\.)*"/y;
      end.lastIndex = i;
      const m = end.exec(text);
      const s = m ? m[0] : text.slice(i);
      out += s;
      i += s.length - 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? text.length : close + 1;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, "$1"));
}

/** The nearest tsconfig.json at or above `dir`. */
export function findTsconfig(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const f = path.join(d, "tsconfig.json");
    if (fs.existsSync(f)) return f;
    if (path.dirname(d) === d) return undefined;
  }
}

function resolveExtends(spec: string, fromDir: string): string | undefined {
  try {
    if (spec.startsWith(".") || path.isAbsolute(spec)) {
      const f = path.resolve(fromDir, spec);
      return fs.existsSync(f) ? f : `${f}.json`;
    }
    return require.resolve(spec, { paths: [fromDir] });
  } catch {
    return undefined; // `tsc` would report it; running the program does not need it.
  }
}

/** `compilerOptions` of `file` with its `extends` chain applied (later files win). */
function compilerOptionsOf(file: string, seen = new Set<string>()): Record<string, unknown> {
  if (seen.has(file)) return {};
  seen.add(file);
  const json = parseJsonc(fs.readFileSync(file, "utf8")) as { extends?: string | string[]; compilerOptions?: Record<string, unknown> };
  let options: Record<string, unknown> = {};
  const bases = json.extends === undefined ? [] : Array.isArray(json.extends) ? json.extends : [json.extends];
  for (const base of bases) {
    const f = resolveExtends(base, path.dirname(file));
    if (f && fs.existsSync(f)) options = { ...options, ...compilerOptionsOf(f, seen) };
  }
  return { ...options, ...json.compilerOptions };
}

/**
 * The semantic options of the project around `dir`, for `ts.transpileModule`. Throws with a
 * message naming the file when tsconfig.json is not valid JSON(C).
 */
export function semanticOptions(dir: string): { file?: string; options: Record<string, unknown> } {
  const file = findTsconfig(dir);
  if (!file) return { options: {} };
  let all: Record<string, unknown>;
  try {
    all = compilerOptionsOf(file);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}; fix the file or run from a directory without it`);
  }
  const options: Record<string, unknown> = {};
  for (const k of SEMANTIC) if (typeof all[k] === "boolean") options[k] = all[k];
  if (options.useDefineForClassFields === undefined && typeof all.target === "string" && OLD_TARGET.test(all.target)) {
    options.useDefineForClassFields = false;
  }
  return { file, options };
}
