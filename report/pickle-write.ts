/*
 * Writes the few pickle opcodes a line_profiler `LineStats` needs (protocol 4, as
 * `pickle.dump(stats, f, pickle.HIGHEST_PROTOCOL)` on Python 3.4–3.7 and readable by every
 * Python 3 since). No memo and no frames: both are optional to an unpickler.
 */

/** A value to write: tuples and lists are told apart, as Python needs them to be. */
export type PickleValue =
  | number // an int when integral, else a float
  | { float: number }
  | string
  | { tuple: PickleValue[] }
  | PickleValue[]
  | { dict: [PickleValue, PickleValue][] }
  | { object: { module: string; name: string }; state: PickleValue };

export class PickleWriter {
  private chunks: Buffer[] = [];

  private op(...bytes: number[]) {
    this.chunks.push(Buffer.from(bytes));
  }

  private string(s: string) {
    const b = Buffer.from(s, "utf8");
    if (b.length < 256) this.op(0x8c, b.length); // SHORT_BINUNICODE
    else {
      const head = Buffer.alloc(5);
      head[0] = 0x58; // BINUNICODE
      head.writeUInt32LE(b.length, 1);
      this.chunks.push(head);
    }
    this.chunks.push(b);
  }

  private int(n: number) {
    if (n >= 0 && n < 0x100) return this.op(0x4b, n); // BININT1
    if (n >= 0 && n < 0x10000) return this.op(0x4d, n & 0xff, n >> 8); // BININT2
    if (n >= -0x80000000 && n < 0x80000000) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(n, 1);
      this.chunks.push(b);
      return;
    }
    // LONG1: little-endian two's complement, as few bytes as keep the sign.
    let v = BigInt(n);
    const bytes: number[] = [];
    for (;;) {
      const byte = Number(v & 0xffn);
      bytes.push(byte);
      v >>= 8n;
      if ((v === 0n && !(byte & 0x80)) || (v === -1n && byte & 0x80)) break;
    }
    this.op(0x8a, bytes.length, ...bytes);
  }

  private float(x: number) {
    const b = Buffer.alloc(9);
    b[0] = 0x47; // BINFLOAT, big-endian
    b.writeDoubleBE(x, 1);
    this.chunks.push(b);
  }

  value(v: PickleValue): void {
    if (typeof v === "number") return void (Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? this.int(v) : this.float(v));
    if (typeof v === "string") return this.string(v);
    if (Array.isArray(v)) {
      this.op(0x5d); // EMPTY_LIST
      // APPENDS in batches of 1000, as Python's pickler writes them.
      for (let i = 0; i < v.length; i += 1000) {
        this.op(0x28);
        for (const item of v.slice(i, i + 1000)) this.value(item);
        this.op(0x65);
      }
      return;
    }
    if ("float" in v) return this.float(v.float);
    if ("tuple" in v) {
      const n = v.tuple.length;
      if (n === 0) return this.op(0x29);
      if (n > 3) this.op(0x28);
      for (const item of v.tuple) this.value(item);
      return this.op(n === 1 ? 0x85 : n === 2 ? 0x86 : n === 3 ? 0x87 : 0x74);
    }
    if ("dict" in v) {
      this.op(0x7d); // EMPTY_DICT
      for (let i = 0; i < v.dict.length; i += 1000) {
        this.op(0x28);
        for (const [k, val] of v.dict.slice(i, i + 1000)) {
          this.value(k);
          this.value(val);
        }
        this.op(0x75); // SETITEMS
      }
      return;
    }
    // cls.__new__(cls), then BUILD sets its __dict__: what copyreg.__reduce_ex__ gives for a plain class.
    this.string(v.object.module);
    this.string(v.object.name);
    this.op(0x93, 0x29, 0x81); // STACK_GLOBAL, EMPTY_TUPLE, NEWOBJ
    this.value(v.state);
    this.op(0x62); // BUILD
  }

  /** The whole pickle of `v`: PROTO 4 … STOP. */
  static dump(v: PickleValue): Buffer {
    const w = new PickleWriter();
    w.op(0x80, 4);
    w.value(v);
    w.op(0x2e);
    return Buffer.concat(w.chunks);
  }
}
