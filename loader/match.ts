/**
 * `-p/--prof-mod`: which files to profile without markers (kernprof's autoprofile), and, with a
 * `file:function` pattern, which of their functions.
 *
 *   src/util.ts          that file (also `src/util`: the extension may be left out)
 *   src/ or src/**\/*.ts  every file under src/, or every file a glob matches (`*`, `**`, `?`,
 *                        `{a,b}`, `[abc]`, `[!abc]`)
 *   util.ts              no slash: a file or directory of that name at any depth
 *   . or ./ or ../lib    a directory, relative to where tsprof run was started
 *   src/cart.ts:total    only `total` in that file (`Cart.total` or the bare method name)
 *   lodash, @scope/pkg   a package: files under node_modules are only ever matched by
 *                        a package name or a pattern that says `node_modules`; a
 *                        package linked from elsewhere (a workspace) by its name too
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { inNodeModules } from "./format";

/** What to profile in one file beyond its `@profile` marks. */
export interface FileSelection {
  all: boolean;
  names?: Set<string>;
}

interface Pattern {
  /** Tested against the absolute path (`/` separators) of files outside node_modules. */
  user: RegExp;
  /** Tested against the part of a node_modules path after the last `node_modules/`; null: not a package name. */
  pkg: RegExp | null;
  mentionsNodeModules: boolean;
  fn?: string;
}

const EXT = "(?:\\.[cm]?[jt]s)?";

/**
 * A glob as a regular expression's source. Hand-written rather than picomatch: measured on node
 * 20.20, picomatch takes 3.8 ms to load at best (and 1.2 ms for its first pattern) in every
 * process and thread of a program run with -p, and turns `[!x]` into a class that matches `!`.
 */
function globToRegExp(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    const close = c === "{" ? glob.indexOf("}", i) : c === "[" ? glob.indexOf("]", i + 2) : -1;
    if (c === "{" && close > i && !glob.slice(i + 1, close).includes("{")) {
      out += `(?:${glob.slice(i + 1, close).split(",").map(globToRegExp).join("|")})`;
      i = close;
    } else if (c === "[" && close > i) {
      const body = glob.slice(i + 1, close);
      const negated = body[0] === "!" || body[0] === "^";
      // A class never matches the separator: `[!a]` is one character of a name, not a `/`.
      out += `(?!/)[${negated ? "^" : ""}${(negated ? body.slice(1) : body).replace(/[\\\]^]/g, "\\$&")}]`;
      i = close;
    } else if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return out;
}

const posix = (p: string) => p.split(path.sep).join("/");

/** Splits `file:function`; a colon followed by a path (a Windows drive) is part of the file. */
export function splitFunction(pattern: string): [file: string, fn: string | undefined] {
  const m = /^(.+):([A-Za-z_$#][\w$#]*(?:\.[A-Za-z_$#][\w$# ]*)*)$/.exec(pattern);
  return m ? [m[1], m[2]] : [pattern, undefined];
}

const PACKAGE_NAME = /^(?:@[\w.-]+\/)?[\w.-]+$/;

/**
 * The real directory of package `name` as Node finds it from `cwd`, when it lives outside
 * node_modules: a workspace package is a symlink there, and Node loads its files by real path.
 */
function linkedPackageDir(name: string, cwd: string): string | undefined {
  for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
    const candidate = path.join(d, "node_modules", name);
    if (fs.existsSync(path.join(candidate, "package.json"))) {
      const real = fs.realpathSync(candidate);
      return inNodeModules(real + path.sep) ? undefined : real;
    }
    if (path.dirname(d) === d) return undefined;
  }
}

function compile(pattern: string, cwd: string): Pattern {
  const [file, fn] = splitFunction(pattern);
  const norm = posix(file).replace(/\/+$/, "") || "/";
  // `.` and `..` are directories here, not names to look for at any depth.
  const anyDepth = !norm.includes("/") && norm !== "." && norm !== "..";
  const body = globToRegExp(norm);
  const relative = new RegExp(`^${globToRegExp(posix(path.resolve(cwd, file)).replace(/\/+$/, ""))}${EXT}(?:/.*)?$`);
  const linked = PACKAGE_NAME.test(norm) && !/^\.\.?$/.test(norm) ? linkedPackageDir(norm, cwd) : undefined;
  const own = anyDepth ? new RegExp(`(?:^|/)${body}${EXT}(?:/|$)`) : relative;
  const user = linked ? new RegExp(`^${globToRegExp(posix(linked))}/|${own.source}`) : own;
  // A pattern that starts with a glob (`**`, `*.ts`) or a dot names no package.
  const pkg = /^[*?.]/.test(norm) ? null : new RegExp(`^${body}${EXT}(?:/|$)`);
  return { user, pkg, mentionsNodeModules: norm.includes("node_modules"), fn };
}

/** A function telling, for an absolute file path, what `--all` and the `-p` patterns select in it. */
export function createMatcher(patterns: string[], all: boolean, cwd: string): (file: string) => FileSelection | undefined {
  const compiled = patterns.map((p) => compile(p, cwd));
  return (file) => {
    const abs = posix(file);
    const nm = inNodeModules(file);
    const pkgPath = nm ? abs.slice(abs.lastIndexOf("/node_modules/") + "/node_modules/".length) : "";
    let selectAll = all && !nm;
    let names: Set<string> | undefined;
    for (const p of compiled) {
      const hit = nm ? (p.mentionsNodeModules ? p.user.test(abs) : !!p.pkg?.test(pkgPath)) : p.user.test(abs);
      if (!hit) continue;
      if (p.fn === undefined) selectAll = true;
      else (names ??= new Set()).add(p.fn);
    }
    return selectAll || names ? { all: selectAll, names } : undefined;
  };
}
