/**
 * The built-ins as they were when the runtime loaded. A program may leave them changed at exit
 * (`Array.prototype[Symbol.iterator]` replaced, `Object.prototype.toJSON` added, `JSON` itself
 * swapped); the writer, and Node's own code under it, would then run the program's versions. So
 * the exit's write runs inside `withPristineBuiltins`: every property of the objects below that
 * differs from its load-time descriptor is put back, and afterwards the program's is reinstated,
 * each exactly as it was (same descriptor, same values), in the same order. Nothing of the
 * program runs in between. This module itself calls only functions it captured at load, by
 * reference, and stores only into objects without a prototype.
 *
 * Cost, measured on node 20.20 (`bench/pristine.ts`): the capture at load and the check at exit
 * (nothing changed) are given in docs/reliability.md.
 */

const { defineProperty, deleteProperty, getOwnPropertyDescriptor, getPrototypeOf, ownKeys } = Reflect;
const { create, hasOwn } = Object;

type Key = string | symbol;
type Table = Record<number, unknown>;

interface Snapshot {
  objects: Table;
  keys: Table;
  descriptors: Table;
  count: number;
}

/** Objects whose properties the runtime's exit path (and Node's code below it) may read. */
function builtins(): object[] {
  const g = globalThis as unknown as Record<string, { prototype?: object } | undefined>;
  const list: object[] = [globalThis];
  const add = (o: unknown) => {
    if ((typeof o === "object" || typeof o === "function") && o !== null) list.push(o);
  };
  const names = [
    "Object", "Function", "Array", "String", "Number", "Boolean", "Symbol", "BigInt", "Date", "RegExp", "Error",
    "TypeError", "RangeError", "SyntaxError", "Map", "Set", "WeakMap", "WeakSet", "Promise", "ArrayBuffer",
    "SharedArrayBuffer", "DataView", "Uint8Array", "Int32Array", "Uint32Array", "Float64Array", "BigInt64Array", "Buffer",
  ];
  for (const name of names) {
    const ctor = g[name];
    add(ctor);
    add(ctor?.prototype);
  }
  add(g.JSON);
  add(g.Math);
  add(g.Reflect);
  add(g.Atomics);
  add(getPrototypeOf(Uint8Array));
  add(getPrototypeOf(Uint8Array.prototype));
  // The iterators a spread, `for…of` or destructuring steps through.
  const arrayIterator = getPrototypeOf([][Symbol.iterator]());
  add(arrayIterator);
  add(getPrototypeOf(arrayIterator as object));
  add(getPrototypeOf(""[Symbol.iterator]()));
  add(getPrototypeOf(new Map()[Symbol.iterator]()));
  add(getPrototypeOf(new Set()[Symbol.iterator]()));
  add(getPrototypeOf("".matchAll(/(?:)/g)));
  return list;
}

/**
 * The globals tsprof's exit path reads (its code names no other), of all the global object's:
 * reading the descriptor of each of them ran Node 22's lazy loading of the web interfaces
 * (`FormData`, `TransformStream`, `Navigator`, …: 105 of Node's modules, undici's fetch among
 * them), 34 ms of CPU at every start-up on node 22.23, more than a third of what plain node
 * takes for the bench's 241-module program.
 */
const GLOBALS = [
  "globalThis", "global", "process", "Buffer", "URL", "console", "performance", "queueMicrotask",
  "setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate",
  "Object", "Function", "Array", "String", "Number", "Boolean", "Symbol", "BigInt", "Date", "RegExp", "Error",
  "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError",
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Promise", "Proxy", "Reflect", "JSON", "Math", "Atomics",
  "ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
  "parseInt", "parseFloat", "isNaN", "isFinite", "escape", "unescape", "encodeURIComponent", "decodeURIComponent",
  "encodeURI", "decodeURI", "Infinity", "NaN", "undefined", "eval",
];

function capture(): Snapshot {
  const s: Snapshot = { objects: create(null), keys: create(null), descriptors: create(null), count: 0 };
  const objects = builtins();
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i];
    const keys = o === globalThis ? GLOBALS.filter((k) => hasOwn(o, k)) : ownKeys(o);
    for (let k = 0; k < keys.length; k++) {
      s.objects[s.count] = o;
      s.keys[s.count] = keys[k];
      s.descriptors[s.count] = getOwnPropertyDescriptor(o, keys[k]);
      s.count++;
    }
  }
  return s;
}

let snapshot: Snapshot | undefined;

/** Takes the load-time snapshot (once per thread). */
export function capturePristine(): void {
  snapshot ??= capture();
}

const FIELDS = ["value", "get", "set", "writable", "enumerable", "configurable"];

function same(a: PropertyDescriptor | undefined, b: PropertyDescriptor | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  for (let i = 0; i < FIELDS.length; i++) {
    const f = FIELDS[i];
    const x = hasOwn(a, f) ? (a as Record<string, unknown>)[f] : undefined;
    const y = hasOwn(b, f) ? (b as Record<string, unknown>)[f] : undefined;
    if (x !== y && !(x !== x && y !== y)) return false;
  }
  return true;
}

/** Runs `fn` with the built-ins as they were at load; the program's changes are back when it returns. */
export function withPristineBuiltins<T>(fn: () => T): T {
  const s = snapshot;
  if (!s) return fn();
  // What was changed: [object, key, the program's descriptor or undefined (it was deleted)].
  const changed: Table = create(null);
  // Keys the program added to the objects: removed for the write, then added back in order.
  const added: Table = create(null);
  let nChanged = 0, nAdded = 0;
  let last: unknown;
  let known: Record<Key, true> = create(null);
  const flushAdded = (o: unknown) => {
    // A global the program added is read by nothing of tsprof's; a prototype's may be (`toJSON`).
    if (o === globalThis) return;
    const keys = ownKeys(o as object);
    for (let k = 0; k < keys.length; k++) {
      if (known[keys[k]] === true) continue;
      const d = getOwnPropertyDescriptor(o as object, keys[k]);
      if (d && d.configurable && deleteProperty(o as object, keys[k])) {
        added[nAdded++] = o;
        added[nAdded++] = keys[k];
        added[nAdded++] = d;
      }
    }
  };
  for (let i = 0; i < s.count; i++) {
    const o = s.objects[i] as object;
    if (o !== last) {
      if (last !== undefined) flushAdded(last);
      last = o;
      known = create(null);
    }
    const key = s.keys[i] as Key;
    known[key] = true;
    const was = s.descriptors[i] as PropertyDescriptor;
    const now = getOwnPropertyDescriptor(o, key);
    if (same(was, now)) continue;
    if (defineProperty(o, key, was)) {
      changed[nChanged++] = o;
      changed[nChanged++] = key;
      changed[nChanged++] = now;
    }
  }
  if (last !== undefined) flushAdded(last);
  if (nChanged === 0 && nAdded === 0) return fn();
  try {
    return fn();
  } finally {
    for (let i = 0; i < nChanged; i += 3) {
      const now = changed[i + 2] as PropertyDescriptor | undefined;
      if (now) defineProperty(changed[i] as object, changed[i + 1] as Key, now);
      else deleteProperty(changed[i] as object, changed[i + 1] as Key);
    }
    for (let i = 0; i < nAdded; i += 3) defineProperty(added[i] as object, added[i + 1] as Key, added[i + 2] as PropertyDescriptor);
  }
}


/** How many properties the snapshot holds (for the bench). */
export function pristineProperties(): number {
  return snapshot?.count ?? 0;
}
