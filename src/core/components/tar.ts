// A streaming reader of tar archives (ustar, with the PAX and GNU long-name extensions that
// GNU tar writes). It yields each entry's header before a byte of its body is read, so the
// unpacker can refuse an entry before anything is written. Why not node-tar: its extractor
// writes files itself (through node:fs, outside the Host), and its parser would still need
// this module's checks; nerdctl-full's archives use a small subset of the format, which
// ~100 lines read fully, with no dependency and at constant memory.

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char-device" | "block-device" | "fifo" | "other";

export interface TarEntry {
  path: string;
  type: EntryType;
  mode: number;
  size: number;
  linkpath: string;
}

const TYPES: Record<string, EntryType> = { "0": "file", "\0": "file", "7": "file", "5": "dir", "2": "symlink", "1": "hardlink", "3": "char-device", "4": "block-device", "6": "fifo" };

export class TarFormatError extends Error {}

/** Reads exactly n bytes at a time from a stream of chunks. */
class Bytes {
  private buf: Uint8Array[] = [];
  private have = 0;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.have < n) {
      const r = await this.it.next();
      if (r.done) return false;
      this.buf.push(r.value);
      this.have += r.value.byteLength;
    }
    return true;
  }

  /** Up to `max` bytes (at least 1), or null at the end. */
  async some(max: number): Promise<Uint8Array | null> {
    if (!(await this.fill(1))) return null;
    const first = this.buf[0]!;
    if (first.byteLength <= max) {
      this.buf.shift();
      this.have -= first.byteLength;
      return first;
    }
    this.buf[0] = first.subarray(max);
    this.have -= max;
    return first.subarray(0, max);
  }

  async exactly(n: number): Promise<Uint8Array | null> {
    if (!(await this.fill(n))) return null;
    const out = new Uint8Array(n);
    for (let off = 0; off < n; ) {
      const c = (await this.some(n - off))!;
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }
}

const text = (b: Uint8Array, start: number, len: number) => {
  const s = b.subarray(start, start + len);
  const end = s.indexOf(0);
  return new TextDecoder().decode(end < 0 ? s : s.subarray(0, end));
};

function number(b: Uint8Array, start: number, len: number): number {
  if (b[start]! & 0x80) {
    let v = 0; // GNU base-256 for sizes over 8 GiB
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = text(b, start, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === number(h, 148, 8);
}

function paxRecords(body: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const s = new TextDecoder().decode(body);
  for (let i = 0; i < s.length; ) {
    const sp = s.indexOf(" ", i);
    const len = Number(s.slice(i, sp));
    if (sp < 0 || !(len > 0)) break;
    const rec = s.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf("=");
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * The entries of an uncompressed tar stream. Each yielded entry's `body` must be read to the
 * end (or not at all) before asking for the next one.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Uint8Array> }> {
  const bytes = new Bytes(source[Symbol.asyncIterator]());
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  for (;;) {
    const h = await bytes.exactly(512);
    if (!h) throw new TarFormatError("the archive ends without its end-of-archive marker (truncated)");
    if (h.every((x) => x === 0)) return;
    if (!checksumOk(h)) throw new TarFormatError("a tar header's checksum is wrong (not a tar archive, or corrupted)");
    const flag = String.fromCharCode(h[156]!);
    const size = pax.size ? Number(pax.size) : number(h, 124, 12);
    const padded = Math.ceil(size / 512) * 512;
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > 1 << 20) throw new TarFormatError("an extended header is larger than 1 MiB");
      const body = await bytes.exactly(padded);
      if (!body) throw new TarFormatError("the archive is truncated inside an extended header");
      const data = body.subarray(0, size);
      if (flag === "x") pax = { ...pax, ...paxRecords(data) };
      else if (flag === "L") longName = text(data, 0, size);
      else if (flag === "K") longLink = text(data, 0, size);
      continue;
    }
    const prefix = text(h, 257, 6).startsWith("ustar") ? text(h, 345, 155) : "";
    const name = text(h, 0, 100);
    const entry: TarEntry = {
      path: pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name),
      type: TYPES[flag] ?? "other",
      mode: number(h, 100, 8),
      size,
      linkpath: pax.linkpath ?? longLink ?? text(h, 157, 100),
    };
    pax = {};
    longName = longLink = undefined;
    let left = padded;
    let consumed = false;
    const body = {
      async *[Symbol.asyncIterator]() {
        consumed = true;
        let data = size;
        while (left > 0) {
          const c = await bytes.some(left);
          if (!c) throw new TarFormatError(`the archive is truncated inside ${entry.path}`);
          left -= c.byteLength;
          const keep = Math.min(data, c.byteLength);
          data -= keep;
          if (keep > 0) yield c.subarray(0, keep);
        }
      },
    };
    yield { entry, body };
    if (!consumed || left > 0) for await (const _ of body) void _;
  }
}
