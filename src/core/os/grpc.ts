// One gRPC call over a unix socket, as a client of HTTP/2 without TLS ("h2c" with prior
// knowledge, what grpc-go clients do on unix sockets): the connection preface and SETTINGS, the
// call's HEADERS (method, metadata) and one DATA frame with the request message, then the
// server's answer read to the end of the call's stream. The answer is judged by what gRPC puts
// in it (github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): `:status 200` and then
// `grpc-status` in the trailers (or in the only header block, "Trailers-Only"); anything but 0
// is the server's error, with its `grpc-message`. Frames: RFC 9113; header blocks, which may
// continue in CONTINUATION frames: hpack.ts.
import type { Host } from "./host.ts";
import { HpackDecoder, encodeInteger, encodeString, staticNameIndex, type HeaderField } from "./hpack.ts";

/** The server answered the call (any grpc-status), or no gRPC answer came, and why. */
export type GrpcResult = { answered: true; status: number; message: string; body: Uint8Array } | { answered: false; detail: string };

export interface GrpcCallOptions {
  /** the request message, protobuf-encoded (protobuf-wire.ts); empty by default */
  message?: Uint8Array;
  /** custom metadata (lower-case names), e.g. containerd-namespace */
  metadata?: Record<string, string>;
  timeoutMs?: number;
}

const T = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, CONTINUATION: 9 } as const;
const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const CALL = 1; // the stream of our one call

/** gRPC's status codes (grpc/grpc doc/statuscodes.md), by number. */
const STATUS_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];
export const GRPC = { OK: 0, NOT_FOUND: 5, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

export function frame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out.set([(payload.length >> 16) & 0xff, (payload.length >> 8) & 0xff, payload.length & 0xff, type, flags], 0);
  new DataView(out.buffer).setUint32(5, stream & 0x7fffffff);
  out.set(payload, 9);
  return out;
}

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Uint8Array;
}

/** The complete frames at the start of `data` (a partial last frame is left out). */
export function parseFrames(data: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  for (let at = 0; at + 9 <= data.length; ) {
    const len = (data[at]! << 16) | (data[at + 1]! << 8) | data[at + 2]!;
    if (at + 9 + len > data.length) break;
    frames.push({ type: data[at + 3]!, flags: data[at + 4]!, stream: new DataView(data.buffer, data.byteOffset + at + 5, 4).getUint32(0) & 0x7fffffff, payload: data.subarray(at + 9, at + 9 + len) });
    at += 9 + len;
  }
  return frames;
}

/** The request headers of a call: static-table names where there are, literals never indexed by us. */
export function grpcRequestHeaders(method: string, metadata: Record<string, string> = {}, timeoutMs?: number): Uint8Array {
  const indexed = (name: string, value: string) => [...encodeInteger(staticNameIndex(name), 4), ...encodeString(value)];
  const literal = (name: string, value: string) => [0x00, ...encodeString(name), ...encodeString(value)];
  return new Uint8Array([
    0x83, // :method POST
    0x86, // :scheme http
    ...indexed(":path", method),
    ...indexed(":authority", "localhost"),
    ...indexed("content-type", "application/grpc"),
    ...literal("te", "trailers"),
    ...(timeoutMs ? literal("grpc-timeout", `${Math.max(1, Math.ceil(timeoutMs))}m`) : []),
    ...Object.entries(metadata).flatMap(([n, v]) => literal(n.toLowerCase(), v)),
  ]);
}

/** The bytes a client sends for one call: preface, SETTINGS, HEADERS, and DATA with the length-prefixed message. */
export function grpcRequest(method: string, opts: GrpcCallOptions = {}): Uint8Array {
  const message = opts.message ?? new Uint8Array(0);
  const data = new Uint8Array(5 + message.length);
  new DataView(data.buffer).setUint32(1, message.length);
  data.set(message, 5);
  const parts = [PREFACE, frame(T.SETTINGS, 0, 0, new Uint8Array(0)), frame(T.HEADERS, F.END_HEADERS, CALL, grpcRequestHeaders(method, opts.metadata, opts.timeoutMs)), frame(T.DATA, F.END_STREAM, CALL, data)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

/** A HEADERS or DATA payload without its padding (and a HEADERS' priority fields). */
function content(f: Frame): Uint8Array {
  const pad = f.flags & F.PADDED ? f.payload[0]! : 0;
  const start = (f.flags & F.PADDED ? 1 : 0) + (f.type === T.HEADERS && f.flags & F.PRIORITY ? 5 : 0);
  return f.payload.subarray(start, Math.max(start, f.payload.length - pad));
}

/** Our call's stream ended (END_STREAM, and no header block left open), was reset, or the connection went away. */
function callEnded(frames: Frame[]): boolean {
  let open = false;
  let endStream = false;
  for (const f of frames) {
    if (f.type === T.GOAWAY || (f.type === T.RST_STREAM && f.stream === CALL)) return true;
    if (f.type === T.HEADERS) open = !(f.flags & F.END_HEADERS);
    else if (f.type === T.CONTINUATION && f.flags & F.END_HEADERS) open = false;
    if ((f.type === T.HEADERS || f.type === T.DATA) && f.stream === CALL && f.flags & F.END_STREAM) endStream = true;
  }
  return endStream && !open;
}

const errorCode = (f: Frame, at: number) => (f.payload.length >= at + 4 ? new DataView(f.payload.buffer, f.payload.byteOffset + at, 4).getUint32(0) : 0);

/** gRPC's grpc-message is percent-encoded UTF-8. */
function percentDecoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** What a server's bytes say about our call. */
export function readGrpcAnswer(data: Uint8Array | null): GrpcResult {
  if (data === null) return { answered: false, detail: "no connection (refused, reset, or no socket)" };
  const frames = parseFrames(data);
  const first = frames[0];
  if (!first) return { answered: false, detail: `no HTTP/2 frames in the answer (${data.length} bytes)` };
  if (first.type !== T.SETTINGS || first.stream !== 0 || first.flags & F.ACK) return { answered: false, detail: "the server did not open with HTTP/2 SETTINGS" };
  const decoder = new HpackDecoder();
  const blocks: HeaderField[][] = [];
  const body: Uint8Array[] = [];
  let pending: { stream: number; parts: Uint8Array[] } | null = null;
  let ended = false;
  try {
    for (const f of frames) {
      if (f.type === T.RST_STREAM && f.stream === CALL && !ended) return { answered: false, detail: `the server reset the call (HTTP/2 error code ${errorCode(f, 0)})` };
      if (f.type === T.GOAWAY && !ended) return { answered: false, detail: `the server sent GOAWAY (HTTP/2 error code ${errorCode(f, 4)})` };
      if (f.type === T.HEADERS) pending = { stream: f.stream, parts: [content(f)] };
      else if (f.type === T.CONTINUATION && pending) pending.parts.push(f.payload);
      else if (f.type === T.DATA && f.stream === CALL) body.push(content(f));
      if (pending && (f.type === T.HEADERS || f.type === T.CONTINUATION) && f.flags & F.END_HEADERS) {
        // every block is decoded, in order: they share the connection's dynamic table
        const fields = decoder.decode(Buffer.concat(pending.parts));
        if (pending.stream === CALL) blocks.push(fields);
        pending = null;
      }
      if ((f.type === T.HEADERS || f.type === T.DATA) && f.stream === CALL && f.flags & F.END_STREAM) ended = true;
    }
  } catch (e) {
    return { answered: false, detail: `an HTTP/2 answer whose headers cannot be decoded: ${(e as Error).message}` };
  }
  if (blocks.length === 0) return { answered: false, detail: ended ? "the call ended without headers" : "HTTP/2 SETTINGS, but no answer to the call" };
  const header = (name: string) => blocks.flat().findLast(([n]) => n === name)?.[1];
  const status = blocks[0]!.find(([n]) => n === ":status")?.[1];
  if (status !== "200") return { answered: false, detail: `the call was answered with HTTP status ${status ?? "(none)"}, not 200` };
  const grpcStatus = header("grpc-status");
  if (grpcStatus === undefined || !/^\d+$/.test(grpcStatus)) return { answered: false, detail: ended ? "the call ended without a grpc-status" : "the answer did not reach the end of the call (no trailers)" };
  const all = Buffer.concat(body);
  const length = all.length >= 5 ? new DataView(all.buffer, all.byteOffset + 1, 4).getUint32(0) : 0;
  return { answered: true, status: Number(grpcStatus), message: percentDecoded(header("grpc-message") ?? ""), body: new Uint8Array(all.subarray(5, 5 + length)) };
}

export const grpcStatusName = (code: number) => STATUS_NAMES[code] ?? `status ${code}`;

/** "UNIMPLEMENTED: unknown service no.such.Service" (the server's own words), or why no answer came. */
export function describeGrpc(r: GrpcResult): string {
  if (!r.answered) return r.detail;
  return `${grpcStatusName(r.status)}${r.message ? `: ${r.message}` : ""}`;
}

/** Acknowledge the server's SETTINGS and PINGs as a client must (RFC 9113 6.5.3, 6.7), each once. */
function acknowledger(): (received: Uint8Array) => Uint8Array | null {
  let seen = 0;
  return (received) => {
    const frames = parseFrames(received);
    const acks = frames.slice(seen).flatMap((f) => (f.type === T.SETTINGS && !(f.flags & F.ACK) ? [frame(T.SETTINGS, F.ACK, 0, new Uint8Array(0))] : f.type === T.PING && !(f.flags & F.ACK) ? [frame(T.PING, F.ACK, 0, f.payload)] : []));
    seen = frames.length;
    return acks.length ? Buffer.concat(acks) : null;
  };
}

/** One call (`/package.Service/Method`) on the unix socket at `socket`. */
export async function grpcCall(host: Host, socket: string, method: string, opts: GrpcCallOptions = {}): Promise<GrpcResult> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const data = await host.unixSocketExchange(socket, grpcRequest(method, { ...opts, timeoutMs }), { timeoutMs, done: (d) => callEnded(parseFrames(d)), more: acknowledger() });
  return readGrpcAnswer(data);
}
