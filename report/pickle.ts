/*
 * A Python pickle read as data. Python's own unpickler imports and calls whatever the file
 * names, so a pickle from elsewhere can run code; this one knows only the opcodes that
 * line_profiler's `LineStats` pickles are made of (protocols 2 to 5) and builds plain values.
 * A class may be named, but only the classes the caller allows, and it is never called: it
 * becomes a `PyObject` holding the state the pickle gives it.
 */

/** A Python tuple (a JavaScript array stands for a list). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python dict, in insertion order; keys may be tuples, so this is not a Map. */
export class PyDict {
  readonly entries: [PyValue, PyValue][] = [];
  get(key: string): PyValue | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }
}

/** `module.name`, as a pickle's GLOBAL names it. */
export class PyClass {
  constructor(readonly module: string, readonly name: string) {}
}

/** An instance of an allowed class: `state` is what BUILD gave it (its `__dict__`). */
export class PyObject {
  state: PyValue = null;
  constructor(readonly cls: PyClass, readonly args: PyValue[]) {}
}

export type PyValue = null | boolean | number | bigint | string | PyValue[] | PyTuple | PyDict | PyClass | PyObject;

/** A pickle this reader will not read; `offset` is the byte of the opcode. */
export class PickleError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const MARK = Symbol("mark");
type Slot = PyValue | typeof MARK;

const OPCODE_NAMES: Record<number, string> = {
  0x52: "REDUCE", 0x69: "INST", 0x6f: "OBJ", 0x63: "GLOBAL", 0x50: "PERSID", 0x51: "BINPERSID",
  0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x92: "NEWOBJ_EX", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS",
  0x91: "FROZENSET", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER", 0x96: "BYTEARRAY8",
  0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x8e: "BINBYTES8", 0x49: "INT", 0x4c: "LONG", 0x46: "FLOAT",
  0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING", 0x56: "UNICODE", 0x64: "DICT", 0x6c: "LIST", 0x74: "TUPLE",
};

/** Reads `bytes` as a pickle; `allowed` lists the `module.name` classes it may name. */
export function parsePickle(bytes: Uint8Array, allowed: ReadonlySet<string>): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pos = 0;
  let at = 0;
  const fail = (what: string): never => {
    throw new PickleError(what, at);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail(`truncated at byte ${bytes.length}`);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = () => {
    need(8);
    const n = view.getBigUint64(pos, true);
    pos += 8;
    if (n > BigInt(bytes.length)) fail(`truncated at byte ${bytes.length}`);
    return Number(n);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const text = (n: number) => {
    try {
      return decoder.decode(take(n));
    } catch {
      return fail("a string that is not UTF-8");
    }
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) fail("an opcode with too few values on the stack");
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail("an opcode with nothing to work on");
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("an opcode that needs a MARK");
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const put = (key: number) => memo.set(key, top());
  const get = (key: number) => {
    if (!memo.has(key)) fail(`memo ${key} used before it was set`);
    stack.push(memo.get(key)!);
  };
  const long = (n: number): number | bigint => {
    const b = take(n);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const global = (module: string, name: string) => {
    if (!allowed.has(`${module}.${name}`)) fail(`it names ${module}.${name}, which a line_profiler pickle never does`);
    stack.push(new PyClass(module, name));
  };
  const setItems = (dict: PyValue, items: PyValue[]) => {
    if (!(dict instanceof PyDict) || items.length % 2) fail("SETITEMS on something that is not a dict");
    for (let i = 0; i < items.length; i += 2) (dict as PyDict).entries.push([items[i], items[i + 1]]);
  };
  const append = (list: PyValue, items: PyValue[]) => {
    if (!Array.isArray(list)) fail("APPENDS on something that is not a list");
    for (const item of items) (list as PyValue[]).push(item);
  };

  for (;;) {
    at = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol < 2 || protocol > 5) fail(`pickle protocol ${protocol}; line_profiler writes protocols 2 to 5`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const result = pop();
        if (stack.length) fail("values left on the stack at STOP");
        return result;
      }
      case 0x28: stack.push(MARK); break;
      case 0x30: pop(); break; // POP
      case 0x32: stack.push(top()); break; // DUP
      case 0x94: put(memo.size); break; // MEMOIZE
      case 0x71: put(u8()); break; // BINPUT
      case 0x72: put(u32()); break; // LONG_BINPUT
      case 0x68: get(u8()); break; // BINGET
      case 0x6a: get(u32()); break; // LONG_BINGET
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: need(4); stack.push(view.getInt32(pos, true)); pos += 4; break; // BININT
      case 0x8a: stack.push(long(u8())); break; // LONG1
      case 0x8b: { // LONG4
        const n = u32();
        if (n > 64) fail("an integer of more than 64 bytes");
        stack.push(long(n));
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8d: stack.push(text(u64())); break; // BINUNICODE8
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { const d = new PyDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x63: { // GLOBAL "module\nname\n"
        const line = () => {
          const end = bytes.indexOf(0x0a, pos);
          if (end < 0) fail("truncated GLOBAL");
          const s = new TextDecoder().decode(bytes.subarray(pos, end));
          pos = end + 1;
          return s;
        };
        const module = line();
        global(module, line());
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL without two strings");
        global(module as string, name as string);
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args), which for these classes sets nothing
        const args = pop();
        const cls = pop();
        if (!(cls instanceof PyClass) || !(args instanceof PyTuple)) fail("NEWOBJ without a class and a tuple");
        stack.push(new PyObject(cls as PyClass, (args as PyTuple).items));
        break;
      }
      case 0x62: { // BUILD: obj.__dict__.update(state)
        const state = pop();
        const obj = top();
        if (!(obj instanceof PyObject)) fail("BUILD on something that is not an object");
        (obj as PyObject).state = state;
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        fail(`opcode 0x${op.toString(16).padStart(2, "0")}${name ? ` (${name})` : ""}, which a line_profiler pickle never uses`);
      }
    }
  }
}
