// The protobuf wire format (protobuf.dev/programming-guides/encoding), only as far as our gRPC
// calls need it: messages of string fields and string maps out, string fields back. Other
// wire types in an answer are skipped as the format says.

const utf8 = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return out;
}

/** A length-delimited field (wire type 2) holding `bytes`. */
function lengthDelimited(field: number, bytes: ArrayLike<number>): number[] {
  return [...varint(field * 8 + 2), ...varint(bytes.length), ...Array.from(bytes)];
}

/** A message of string fields (empty strings are left out, as proto3 does) and map<string,string> fields. */
export function encodeMessage(fields: Record<number, string | Record<string, string>>): Uint8Array {
  const out: number[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const field = Number(key);
    if (typeof value === "string") {
      if (value !== "") out.push(...lengthDelimited(field, utf8.encode(value)));
      continue;
    }
    // a map entry is a message of key = 1, value = 2
    for (const [k, v] of Object.entries(value)) out.push(...lengthDelimited(field, [...lengthDelimited(1, utf8.encode(k)), ...lengthDelimited(2, utf8.encode(v))]));
  }
  return new Uint8Array(out);
}

/** The string fields of a message by field number (the last one wins); null when it is not protobuf. */
export function decodeStrings(data: Uint8Array): Record<number, string> | null {
  const out: Record<number, string> = {};
  let at = 0;
  const readVarint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (at >= data.length) throw new RangeError("truncated");
      const b = data[at++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return value;
    }
    throw new RangeError("varint too long");
  };
  try {
    while (at < data.length) {
      const key = readVarint();
      const [field, type] = [Math.floor(key / 8), key % 8];
      if (type === 0) readVarint();
      else if (type === 1) at += 8;
      else if (type === 5) at += 4;
      else if (type === 2) {
        const length = readVarint();
        if (at + length > data.length) return null;
        out[field] = new TextDecoder().decode(data.subarray(at, at + length));
        at += length;
      } else return null;
    }
  } catch {
    return null;
  }
  return at === data.length ? out : null;
}
