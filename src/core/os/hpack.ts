// HPACK (RFC 7541), the header compression of HTTP/2: decoding a server's header blocks as a
// client must to read a gRPC answer (its :status, grpc-status and grpc-message), and the few
// encodings our own requests use. The decoder keeps the dynamic table across the blocks of one
// connection (section 2.3.2), takes every representation of section 6 (indexed fields, literals
// with incremental, without or never indexing, table size updates) and Huffman-coded strings
// (hpack-huffman.ts). Real servers use all of them: grpc-go indexes what it sends and
// Huffman-codes strings when that is shorter.
import { huffmanDecode } from "./hpack-huffman.ts";

export class HpackError extends Error {}

/** Appendix A: the static table; entry i is at index i + 1. */
const STATIC: readonly (readonly [string, string])[] = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];

/** The static-table index of a name, for our requests' literals with an indexed name. */
export function staticNameIndex(name: string): number {
  const i = STATIC.findIndex(([n]) => n === name);
  if (i < 0) throw new HpackError(`${name} is not in HPACK's static table`);
  return i + 1;
}

export type HeaderField = [name: string, value: string];

const utf8 = new TextEncoder();
const text = new TextDecoder();
/** Section 4.1: an entry's size is its name's and value's octets plus 32. */
const entrySize = ([n, v]: HeaderField) => utf8.encode(n).length + utf8.encode(v).length + 32;

/** Section 5.1: an integer with an N-bit prefix, encoded (the prefix's high bits are `mask`). */
export function encodeInteger(value: number, prefix: number, mask = 0): number[] {
  const max = 2 ** prefix - 1;
  if (value < max) return [mask | value];
  const out = [mask | max];
  for (value -= max; value >= 128; value = Math.floor(value / 128)) out.push((value % 128) | 0x80);
  out.push(value);
  return out;
}

/** Section 5.2: a string literal without Huffman coding. */
export function encodeString(s: string): number[] {
  const bytes = utf8.encode(s);
  return [...encodeInteger(bytes.length, 7), ...bytes];
}

/** Decodes the header blocks of one connection, in the order the server sent them. */
export class HpackDecoder {
  private dynamic: HeaderField[] = [];
  private size = 0;
  /** `maxSize`: our SETTINGS_HEADER_TABLE_SIZE (4096 unless we said otherwise) */
  constructor(private maxSize = 4096) {}

  private at = 0;
  private block: Uint8Array = new Uint8Array(0);

  decode(block: Uint8Array): HeaderField[] {
    this.block = block;
    this.at = 0;
    const fields: HeaderField[] = [];
    let fieldSeen = false;
    while (this.at < block.length) {
      const b = block[this.at]!;
      if (b & 0x80) {
        fields.push(this.entry(this.integer(7)));
      } else if (b & 0x40) {
        const field = this.literal(6);
        this.insert(field);
        fields.push(field);
      } else if (b & 0x20) {
        // section 4.2: a size update comes only at the start of a block
        if (fieldSeen) throw new HpackError("a dynamic table size update after a header field");
        const size = this.integer(5);
        if (size > this.maxSize) throw new HpackError(`a dynamic table size update to ${size}, above the ${this.maxSize} allowed`);
        this.resize(size);
        continue;
      } else {
        fields.push(this.literal(4)); // without indexing (0000) or never indexed (0001)
      }
      fieldSeen = true;
    }
    return fields;
  }

  private byte(): number {
    if (this.at >= this.block.length) throw new HpackError("a header block that ends inside a field");
    return this.block[this.at++]!;
  }

  private integer(prefix: number): number {
    const max = 2 ** prefix - 1;
    let value = this.byte() & max;
    if (value < max) return value;
    for (let shift = 0; ; shift += 7) {
      if (shift > 28) throw new HpackError("an integer too large");
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return value;
    }
  }

  private string(): string {
    const huffman = (this.block[this.at] ?? 0) & 0x80;
    const length = this.integer(7);
    if (this.at + length > this.block.length) throw new HpackError("a string longer than its header block");
    const raw = this.block.subarray(this.at, this.at + length);
    this.at += length;
    return text.decode(huffman ? huffmanDecode(raw) : raw);
  }

  /** A literal field whose name is indexed (an index > 0 in the N-bit prefix) or a string. */
  private literal(prefix: number): HeaderField {
    const index = this.integer(prefix);
    const name = index === 0 ? this.string() : this.entry(index)[0];
    return [name, this.string()];
  }

  /** Section 2.3.3: index 1..61 is the static table, then the dynamic table, newest first. */
  private entry(index: number): HeaderField {
    if (index === 0) throw new HpackError("index 0");
    if (index <= STATIC.length) return [...STATIC[index - 1]!] as HeaderField;
    const field = this.dynamic[index - STATIC.length - 1];
    if (!field) throw new HpackError(`index ${index} is beyond the tables (dynamic table of ${this.dynamic.length})`);
    return [...field] as HeaderField;
  }

  /** Section 4.4: evict the oldest entries to make room; an entry larger than the table empties it. */
  private insert(field: HeaderField): void {
    const size = entrySize(field);
    this.evictTo(this.maxSize - size);
    if (size <= this.maxSize) {
      this.dynamic.unshift(field);
      this.size += size;
    }
  }

  private resize(size: number): void {
    this.maxSize = size;
    this.evictTo(size);
  }

  private evictTo(limit: number): void {
    while (this.size > Math.max(limit, 0) && this.dynamic.length) this.size -= entrySize(this.dynamic.pop()!);
  }

  /** The dynamic table, newest first, and its size (for tests against RFC 7541 Appendix C). */
  table(): { entries: HeaderField[]; size: number } {
    return { entries: this.dynamic.map((f) => [...f] as HeaderField), size: this.size };
  }
}
