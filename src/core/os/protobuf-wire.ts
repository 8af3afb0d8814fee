// The protobuf wire format (protobuf.dev/programming-guides/encoding), only as far as our gRPC
// calls need it: messages of string fields and string maps out, string fields back (containerd's
// calls); varints (negative int64 as ten bytes), length-delimited fields and map entries out,
// and the length-delimited fields of a message back (BuildKit's, for verify). Other wire types in
// an answer are skipped as the format says.

const utf8 = new TextEncoder();

/** A protobuf varint; negative int64 values as their 64-bit two's complement (ten bytes). */
export function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return out;
}

export const concat = (parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};
/** A length-delimited field (string, bytes, message). */
export const field = (n: number, bytes: Uint8Array | string) => {
  const b = typeof bytes === "string" ? utf8.encode(bytes) : bytes;
  return concat([varint((n << 3) | 2), varint(b.length), b]);
};
/** A varint field (int32, int64, bool). */
export const num = (n: number, value: number | bigint) => new Uint8Array([...varint(n << 3), ...varint(value)]);
/** A map<string,string> entry. */
export const entry = (n: number, key: string, value: Uint8Array | string) => field(n, concat([field(1, key), field(2, value)]));

/** The length-delimited field 1 values of a message (ListWorkersResponse.record, WorkerRecord.ID...). */
export function repeatedField(msg: Uint8Array, wanted: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < msg.length; ) {
    let key = 0;
    let shift = 0;
    for (let b = 0x80; b & 0x80; shift += 7) key |= ((b = msg[at++]!) & 0x7f) << shift;
    const wire = key & 7;
    if (wire === 0) while (msg[at++]! & 0x80);
    else if (wire === 2) {
      let len = 0;
      shift = 0;
      for (let b = 0x80; b & 0x80; shift += 7) len |= ((b = msg[at++]!) & 0x7f) << shift;
      if (key >> 3 === wanted) out.push(msg.subarray(at, at + len));
      at += len;
    } else if (wire === 5) at += 4;
    else if (wire === 1) at += 8;
    else break;
  }
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
