// The D-Bus wire format (the D-Bus specification, "Message Protocol"), as much of it as asking
// the systemd user manager for properties takes: method calls with string arguments written,
// replies and errors read with a general reader (every basic type, arrays, structs, dict
// entries and variants, each at its alignment), little-endian. Used over the manager's own
// socket by bus.ts; nothing here does I/O.

const enc = new TextEncoder();
const dec = new TextDecoder();

export const METHOD_CALL = 1;
export const METHOD_RETURN = 2;
export const ERROR = 3;

export interface Call {
  path: string;
  iface: string;
  member: string;
  /** the arguments, all strings ("s" each) */
  args: string[];
}

export interface Reply {
  type: number;
  replySerial: number;
  errorName?: string;
  body: unknown[];
}

class Writer {
  private bytes: number[] = [];
  get length(): number {
    return this.bytes.length;
  }
  pad(n: number): void {
    while (this.bytes.length % n) this.bytes.push(0);
  }
  byte(v: number): void {
    this.bytes.push(v & 0xff);
  }
  u32(v: number): void {
    this.pad(4);
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  string(s: string): void {
    const b = enc.encode(s);
    this.u32(b.length);
    for (const x of b) this.bytes.push(x);
    this.bytes.push(0);
  }
  signature(s: string): void {
    const b = enc.encode(s);
    this.byte(b.length);
    for (const x of b) this.bytes.push(x);
    this.bytes.push(0);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** One method call, serial `serial` (no reply flags: a reply is expected). */
export function encodeCall(serial: number, call: Call): Uint8Array {
  const body = new Writer();
  for (const a of call.args) body.string(a);
  const head = new Writer();
  head.byte("l".charCodeAt(0));
  head.byte(METHOD_CALL);
  head.byte(0);
  head.byte(1);
  head.u32(body.length);
  head.u32(serial);
  const fields = new Writer();
  const field = (code: number, sig: string, write: (w: Writer) => void) => {
    fields.pad(8);
    fields.byte(code);
    fields.signature(sig);
    write(fields);
  };
  field(1, "o", (w) => w.string(call.path));
  field(2, "s", (w) => w.string(call.iface));
  field(3, "s", (w) => w.string(call.member));
  if (call.args.length) field(8, "g", (w) => w.signature("s".repeat(call.args.length)));
  const f = fields.done(); // written from offset 16 (a multiple of 8), so its own padding is the message's
  head.u32(f.length);
  const out = new Uint8Array(16 + f.length + ((8 - (f.length % 8)) % 8) + body.length);
  out.set(head.done(), 0);
  out.set(f, 16);
  out.set(body.done(), out.length - body.length);
  return out;
}

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, v: 1, a: 4, "(": 8, "{": 8 };

/** The end of the single complete type starting at `sig[i]`. */
function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === "a") return typeEnd(sig, i + 1);
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}";
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new Error(`bad D-Bus signature ${sig}`);
      j = typeEnd(sig, j);
    }
    return j + 1;
  }
  if (!(c! in ALIGN)) throw new Error(`unknown D-Bus type ${c} in ${sig}`);
  return i + 1;
}

/** Splits a signature into its complete types. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const end = typeEnd(sig, i);
    out.push(sig.slice(i, end));
    i = end;
  }
  return out;
}

class Reader {
  constructor(
    private readonly view: DataView,
    private readonly bytes: Uint8Array,
    public pos: number,
  ) {}
  align(n: number): void {
    this.pos += (n - (this.pos % n)) % n;
  }
  private u32(): number {
    this.align(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private text(len: number): string {
    const s = dec.decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len + 1;
    return s;
  }
  read(type: string): unknown {
    const c = type[0]!;
    switch (c) {
      case "y":
        return this.bytes[this.pos++]!;
      case "b":
        return this.u32() !== 0;
      case "n":
      case "q": {
        this.align(2);
        const v = c === "n" ? this.view.getInt16(this.pos, true) : this.view.getUint16(this.pos, true);
        this.pos += 2;
        return v;
      }
      case "i":
        return (this.align(4), (this.pos += 4), this.view.getInt32(this.pos - 4, true));
      case "u":
      case "h":
        return this.u32();
      case "x":
      case "t": {
        this.align(8);
        const v = c === "x" ? this.view.getBigInt64(this.pos, true) : this.view.getBigUint64(this.pos, true);
        this.pos += 8;
        return Number(v);
      }
      case "d":
        return (this.align(8), (this.pos += 8), this.view.getFloat64(this.pos - 8, true));
      case "s":
      case "o":
        return this.text(this.u32());
      case "g":
        return this.text(this.bytes[this.pos++]!);
      case "v":
        return this.read(this.read("g") as string);
      case "a": {
        const len = this.u32();
        const elem = type.slice(1);
        this.align(ALIGN[elem[0]!]!);
        const end = this.pos + len;
        if (elem[0] === "{") {
          const [k, v] = splitSignature(elem.slice(1, -1));
          const out: Record<string, unknown> = {};
          while (this.pos < end) {
            this.align(8);
            const key = this.read(k!);
            out[String(key)] = this.read(v!);
          }
          return out;
        }
        const out: unknown[] = [];
        while (this.pos < end) out.push(this.read(elem));
        return out;
      }
      case "(": {
        this.align(8);
        return splitSignature(type.slice(1, -1)).map((t) => this.read(t));
      }
      default:
        throw new Error(`unknown D-Bus type ${c}`);
    }
  }
}

/** The length of the message at the start of `buf`, or null while its header is still incomplete. */
function messageLength(buf: Uint8Array): number | null {
  if (buf.length < 16) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fields = view.getUint32(12, true);
  return 16 + fields + ((8 - (fields % 8)) % 8) + view.getUint32(4, true);
}

/** The complete messages in `buf` (little-endian replies, errors and signals), and how many bytes they took. */
export function decodeMessages(buf: Uint8Array): { messages: Reply[]; used: number } {
  const messages: Reply[] = [];
  let at = 0;
  for (;;) {
    const rest = buf.subarray(at);
    const len = messageLength(rest);
    if (len === null || rest.length < len) break;
    if (rest[0] !== "l".charCodeAt(0)) throw new Error("big-endian D-Bus message");
    const view = new DataView(rest.buffer, rest.byteOffset, len);
    const r = new Reader(view, rest.subarray(0, len), 12);
    const fields = r.read("a(yv)") as [number, unknown][];
    const get = (code: number) => fields.find(([c]) => c === code)?.[1];
    r.align(8);
    const sig = (get(8) as string | undefined) ?? "";
    messages.push({ type: rest[1]!, replySerial: Number(get(5) ?? 0), errorName: get(4) as string | undefined, body: splitSignature(sig).map((t) => r.read(t)) });
    at += len;
  }
  return { messages, used: at };
}
