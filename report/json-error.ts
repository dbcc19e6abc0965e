/*
 * Where a JSON text stops being JSON. Node 20's `JSON.parse` errors do not always carry a
 * position ("Unexpected token 'h', "hello" is not valid JSON"); a user looking at a damaged
 * profile wants the byte. Only called after `JSON.parse` failed, so speed does not matter, but
 * depth does: the scanner keeps its own stack of open containers instead of recursing, so a
 * file nested a million levels deep is scanned like any other.
 */

/** Offset of the first character that makes `text` invalid JSON; `text.length` if it ends too early. */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const ws = () => { while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++; };
  const fail = (): never => { throw i; };
  const literal = (word: string) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  const string = () => {
    i++;
    while (i < n && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 4; }
        else if (i < n && !'"\\/bfnrt'.includes(text[i])) fail();
      }
      i++;
    }
    if (i >= n) fail();
    i++;
  };
  const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const number = () => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) fail();
    i += m![0].length;
  };
  /** A scalar at `i`, or the opening of a container (pushed on `open`). */
  const open: string[] = [];
  /** A container was just opened: its first item comes without a comma. */
  let first = false;
  const valueStart = (): void => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      i++;
      ws();
      const close = c === "{" ? "}" : "]";
      if (text[i] === close) { i++; return; }
      open.push(close);
      first = true;
      return;
    }
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    fail();
  };
  /** An object member's `"key":`, then its value. */
  const key = (): void => {
    ws();
    if (text[i] !== '"') fail();
    string();
    ws();
    if (text[i] !== ":") fail();
    i++;
    valueStart();
  };
  try {
    valueStart();
    // After each value: a comma and the next item of the innermost container, or its close.
    while (open.length > 0) {
      ws();
      const close = open[open.length - 1];
      if (first) {
        first = false;
        if (close === "}") key();
        else valueStart();
      } else if (text[i] === ",") {
        i++;
        if (close === "}") key();
        else valueStart();
      } else if (text[i] === close) {
        i++;
        open.pop();
      } else {
        fail();
      }
    }
    ws();
    return i < n ? i : n;
  } catch (at) {
    return Math.min(at as number, n);
  }
}
