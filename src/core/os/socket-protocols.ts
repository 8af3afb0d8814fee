// Asking a daemon's unix socket a real question in its own protocol, so that "it answers"
// means more than "something accepted a connection" (a listener that accepts and closes, or a
// socket file left behind, is not a daemon that serves):
// - gRPC (BuildKit, proxy snapshotters): the HTTP/2 connection preface and a SETTINGS exchange,
//   then one unary/streaming call with an empty request message, answered with HEADERS
//   `:status 200` on its stream (RFC 9113 framing, RFC 7541 HPACK without Huffman coding);
// - HTTP/1.1 over the socket (bypass4netnsd's REST API): a GET answered with a 2xx status.
import type { Host } from "./host.ts";

export interface ProbeResult {
  ok: boolean;
  /** what was seen: the reason it failed, or what answered */
  detail: string;
}

const enc = new TextEncoder();
const PREFACE = enc.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const T = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7 } as const;

function frame(type: number, flags: number, stream: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  out[0] = (payload.length >> 16) & 0xff;
  out[1] = (payload.length >> 8) & 0xff;
  out[2] = payload.length & 0xff;
  out[3] = type;
  out[4] = flags;
  new DataView(out.buffer).setUint32(5, stream & 0x7fffffff);
  out.set(payload, 9);
  return out;
}

/** An HPACK integer with an n-bit prefix whose high bits are `mask`. */
function hpackInt(value: number, prefix: number, mask: number): number[] {
  const max = (1 << prefix) - 1;
  if (value < max) return [mask | value];
  const out = [mask | max];
  for (value -= max; value >= 128; value >>= 7) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return out;
}
const hpackString = (s: string) => [...hpackInt(enc.encode(s).length, 7, 0), ...enc.encode(s)];

/** The request headers of a gRPC call: static-table names, literal values, never indexed. */
export function grpcRequestHeaders(method: string): Uint8Array {
  return new Uint8Array([
    0x83, // :method POST
    0x86, // :scheme http
    ...hpackInt(4, 4, 0), ...hpackString(method), // :path
    ...hpackInt(1, 4, 0), ...hpackString("localhost"), // :authority
    ...hpackInt(31, 4, 0), ...hpackString("application/grpc"), // content-type
    0x00, ...hpackString("te"), ...hpackString("trailers"),
  ]);
}

/** The bytes a client sends for one gRPC call with an empty request message. */
export function grpcRequest(method: string): Uint8Array {
  const parts = [PREFACE, frame(T.SETTINGS, 0, 0, new Uint8Array(0)), frame(T.HEADERS, 0x4, 1, grpcRequestHeaders(method)), frame(T.DATA, 0x1, 1, new Uint8Array(5))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
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

/** What a server's bytes say about the call on stream 1. */
export function judgeGrpc(data: Uint8Array | null): ProbeResult {
  if (data === null) return { ok: false, detail: "no connection (refused, reset, or no socket)" };
  const frames = parseFrames(data);
  if (frames.length === 0) return { ok: false, detail: `no HTTP/2 frames in the answer (${data.length} bytes)` };
  const first = frames[0]!;
  if (first.type !== T.SETTINGS || first.stream !== 0 || first.flags & 0x1) return { ok: false, detail: "the server did not open with HTTP/2 SETTINGS" };
  const gone = frames.find((f) => f.type === T.GOAWAY || (f.type === T.RST_STREAM && f.stream === 1));
  if (gone) return { ok: false, detail: gone.type === T.GOAWAY ? "the server sent GOAWAY" : "the server reset the call" };
  const headers = frames.find((f) => f.type === T.HEADERS && f.stream === 1);
  if (!headers) return { ok: false, detail: "HTTP/2 SETTINGS, but no answer to the call" };
  // :status 200 is static-table entry 8, sent as the single byte 0x88 (after the pad length and priority fields, when flagged)
  const block = headers.payload.subarray((headers.flags & 0x8 ? 1 : 0) + (headers.flags & 0x20 ? 5 : 0));
  if (block[0] !== 0x88) return { ok: false, detail: "the call was answered without :status 200" };
  return { ok: true, detail: "answered a gRPC call over HTTP/2" };
}

const grpcDone = (data: Uint8Array) => parseFrames(data).some((f) => (f.type === T.HEADERS && f.stream === 1) || f.type === T.GOAWAY || (f.type === T.RST_STREAM && f.stream === 1));

/** One gRPC call (`/package.Service/Method`) with an empty request on the unix socket. */
export async function grpcProbe(host: Host, socket: string, method: string, timeoutMs = 2000): Promise<ProbeResult> {
  return judgeGrpc(await host.unixSocketExchange(socket, grpcRequest(method), { timeoutMs, done: grpcDone }));
}

/** `GET path` over HTTP/1.1 on the unix socket; ok on a 2xx status. */
export async function httpProbe(host: Host, socket: string, path: string, hostHeader: string, timeoutMs = 2000): Promise<ProbeResult> {
  const request = enc.encode(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`);
  const data = await host.unixSocketExchange(socket, request, { timeoutMs, done: (d) => new TextDecoder().decode(d).includes("\r\n\r\n") });
  if (data === null) return { ok: false, detail: "no connection (refused, reset, or no socket)" };
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(new TextDecoder().decode(data));
  if (!status) return { ok: false, detail: `not an HTTP answer (${data.length} bytes)` };
  return status[1]!.startsWith("2") ? { ok: true, detail: `GET ${path}: HTTP ${status[1]}` } : { ok: false, detail: `GET ${path}: HTTP ${status[1]}` };
}
