/**
 * `fn.toString()` of an instrumented function (and of a function or class around one) returns
 * the text the program's build without tsprof has: libraries that read function text (argument
 * names for injection, `new Function("return " + f)`, code sent to a worker or a page) must not
 * see the probes. Nothing is done per call or per function object: each instrumented module
 * registers its functions' plain texts with the rest of its metadata, and
 * `Function.prototype.toString`, replaced once, looks one up only when V8's own text holds a
 * probe (`__tsp_`): among the texts of the same head (up to the first `(`, `{` or `=>`, which
 * instrumentation never changes), the longest whose tokens all appear, in order, in V8's text.
 * The answer is remembered per function.
 *
 * The replacement reads as the original: its own `toString()` is V8's `function toString() {
 * [native code] }`, its name and length are `toString` and 0, it has no `prototype` and is no
 * constructor. Functions of other realms (`vm` contexts) use their realm's `toString`:
 * `patchRealm` installs it there too. Everything is captured at load: a program that changes
 * `String.prototype` or `WeakMap.prototype` does not change what this returns.
 */

const { apply, defineProperty, getOwnPropertyDescriptor } = Reflect;
const nativeToString = Function.prototype.toString;
const { includes, indexOf, slice, charCodeAt } = String.prototype;
const weakGet = WeakMap.prototype.get, weakSet = WeakMap.prototype.set;
const mapGet = Map.prototype.get, mapSet = Map.prototype.set;

/** Marks emitted code: every name the emitters introduce starts with it. */
const MARK = "__tsp_";

/** Functions of tsprof that stand in for a built-in (process.listenerCount): they show its text. */
const disguised = new WeakMap<object, unknown>();
const resolved = new WeakMap<object, string>();
const byHead = new Map<string, string[]>();
const patched = new WeakSet<object>();
const weakHas = WeakSet.prototype.has, weakAdd = WeakSet.prototype.add;

/** `fn` shows the text of `original` (a built-in it stands in for). */
export function disguise(fn: object, original: unknown): void {
  apply(weakSet, disguised, [fn, original]);
  patchRealm(globalThis);
}

/** Registers one module's plain texts (transformer/plain-text.ts). */
export function registerTexts(texts: readonly string[]): void {
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    const head = headOf(text);
    const list = apply(mapGet, byHead, [head]) as string[] | undefined;
    if (list) list[list.length] = text;
    else apply(mapSet, byHead, [head, [text]]);
  }
  patchRealm(globalThis);
}

/** Replaces `Function.prototype.toString` of the realm whose global is `g` (once per realm). */
export function patchRealm(g: typeof globalThis): void {
  const proto = g.Function.prototype;
  if (apply(weakHas, patched, [proto])) return;
  apply(weakAdd, patched, [proto]);
  const own = getOwnPropertyDescriptor(proto, "toString");
  if (!own || typeof own.value !== "function" || !own.configurable) return;
  const realmToString = own.value as typeof nativeToString;
  const replacement = {
    toString(this: unknown): string {
      if (typeof this !== "function") return apply(realmToString, this, []);
      const shown = apply(weakGet, disguised, [this]);
      if (shown !== undefined) return apply(realmToString, shown, []);
      const text = apply(realmToString, this, []) as string;
      if (!apply(includes, text, [MARK])) return text;
      let plain = apply(weakGet, resolved, [this]) as string | undefined;
      if (plain === undefined) {
        plain = plainTextOf(text) ?? text;
        apply(weakSet, resolved, [this, plain]);
      }
      return plain;
    },
  }.toString;
  // A function of this realm, as the one it replaces (`Object.getPrototypeOf` tells realms apart).
  Reflect.setPrototypeOf(replacement, proto);
  apply(weakSet, disguised, [replacement, realmToString]);
  defineProperty(proto, "toString", { ...own, value: replacement });
}

const STOPS = ["(", "{", "=>"];

/** The text before the first `(`, `{` or `=>`: a function's or class's head, which probes never change. */
function headOf(text: string): string {
  let end = text.length;
  for (let i = 0; i < STOPS.length; i++) {
    const at = apply(indexOf, text, [STOPS[i]]) as number;
    if (at >= 0 && at < end) end = at;
  }
  return apply(slice, text, [0, end]) as string;
}

function plainTextOf(instrumented: string): string | undefined {
  const list = apply(mapGet, byHead, [headOf(instrumented)]) as string[] | undefined;
  if (!list) return undefined;
  let best: string | undefined;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if ((best === undefined || c.length > best.length) && tokensWithin(c, instrumented)) best = c;
  }
  return best;
}

const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127;
const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/** Whether the tokens of `small` (words, and other characters one by one) appear in order in `big`. */
function tokensWithin(small: string, big: string): boolean {
  let i = 0, j = 0;
  const at = (s: string, k: number) => apply(charCodeAt, s, [k]) as number;
  const tokenEnd = (s: string, k: number) => {
    if (!isWord(at(s, k))) return k + 1;
    while (k < s.length && isWord(at(s, k))) k++;
    return k;
  };
  for (;;) {
    while (i < small.length && isSpace(at(small, i))) i++;
    if (i >= small.length) return true;
    const end = tokenEnd(small, i);
    const len = end - i;
    let found = false;
    while (j < big.length) {
      while (j < big.length && isSpace(at(big, j))) j++;
      if (j >= big.length) break;
      const bend = tokenEnd(big, j);
      let same = bend - j === len;
      for (let k = 0; same && k < len; k++) same = at(small, i + k) === at(big, j + k);
      j = bend;
      if (same) {
        found = true;
        break;
      }
    }
    if (!found) return false;
    i = end;
  }
}
