// Reading a gRPC answer from a server's HTTP/2 bytes (os/grpc.ts): the grpc-status and
// grpc-message of the trailers (or of a Trailers-Only answer), header blocks that continue in
// CONTINUATION frames, padding and priority fields, the dynamic table carried from the response
// headers to the trailers, Huffman-coded values; and what is no answer (no grpc-status, not 200,
// a reset, GOAWAY). Real servers (containerd, the proxy snapshotter) in test/e2e/grpc-probes.test.ts.
import { describe, expect, test } from "bun:test";
import { grpcRequest, readGrpcAnswer } from "../../src/core/os/grpc.ts";
import { encodeString } from "../../src/core/os/hpack.ts";
import { decodeStrings, encodeMessage } from "../../src/core/os/protobuf-wire.ts";

const f = (type: number, flags: number, stream: number, payload: number[] = []) => [payload.length >> 16, (payload.length >> 8) & 0xff, payload.length & 0xff, type, flags, 0, 0, 0, stream, ...payload];
const bytes = (...frames: number[][]) => new Uint8Array(frames.flat());
const SETTINGS = f(4, 0, 0, [0, 3, 0, 0, 0, 100]); // MAX_CONCURRENT_STREAMS 100
/** response headers: :status 200 (static 8), content-type application/grpc with incremental indexing (dynamic 62) */
const RESPONSE = [0x88, 0x5f, ...encodeString("application/grpc")];
const grpcStatus = (code: string) => [0x40, ...encodeString("grpc-status"), ...encodeString(code)];
/** "no-cache", Huffman-coded (RFC 7541 C.4.2) */
const HUFFMAN_NO_CACHE = [0x86, 0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf];
const message = (body: number[]) => [0, 0, 0, 0, body.length, ...body];

describe("an answer", () => {
  test("headers, DATA, trailers: grpc-status and a Huffman-coded grpc-message from the trailers; the body is the message", () => {
    const body = [...encodeMessage({ 1: "1.7.24~ds1", 2: "rev" })];
    const r = readGrpcAnswer(bytes(SETTINGS, f(1, 0x4, 1, RESPONSE), f(0, 0, 1, message(body)), f(1, 0x5, 1, [...grpcStatus("0"), 0x00, ...encodeString("grpc-message"), ...HUFFMAN_NO_CACHE, 0xbf])));
    expect(r).toMatchObject({ answered: true, status: 0, message: "no-cache" });
    expect(decodeStrings((r as { body: Uint8Array }).body)).toEqual({ 1: "1.7.24~ds1", 2: "rev" });
  });

  test("Trailers-Only, split into HEADERS and CONTINUATION, padded and with priority fields", () => {
    const block = [...RESPONSE, ...grpcStatus("12"), 0x00, ...encodeString("grpc-message"), ...encodeString("unknown%20service%20no.such.Service")];
    const [a, b] = [block.slice(0, 7), block.slice(7)];
    // PADDED (2 octets of padding) | PRIORITY (5 octets) | END_STREAM, no END_HEADERS
    const headers = f(1, 0x8 | 0x20 | 0x1, 1, [2, 0, 0, 0, 0, 16, ...a, 0, 0]);
    const r = readGrpcAnswer(bytes(SETTINGS, headers, f(9, 0x4, 1, b)));
    expect(r).toEqual({ answered: true, status: 12, message: "unknown service no.such.Service", body: new Uint8Array(0) });
  });

  test("the trailers may name what the response headers put in the dynamic table", () => {
    // trailers: grpc-status 5, then index 63 (content-type, pushed down by grpc-status at 62)
    const r = readGrpcAnswer(bytes(SETTINGS, f(1, 0x4, 1, RESPONSE), f(1, 0x5, 1, [...grpcStatus("5"), 0xbf, 0x00, ...encodeString("grpc-message"), ...encodeString("lease does not exist: not found")])));
    expect(r).toMatchObject({ answered: true, status: 5, message: "lease does not exist: not found" });
  });
});

describe("no answer", () => {
  test("not HTTP/2, not SETTINGS first, or nothing at all", () => {
    expect(readGrpcAnswer(null)).toEqual({ answered: false, detail: "no connection (refused, reset, or no socket)" });
    expect(readGrpcAnswer(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"))).toMatchObject({ answered: false, detail: expect.stringMatching(/SETTINGS|frames/) });
    expect(readGrpcAnswer(bytes(f(1, 0x5, 1, [0x88])))).toEqual({ answered: false, detail: "the server did not open with HTTP/2 SETTINGS" });
  });
  test(":status 200 without grpc-status, a 404, an answer cut before its trailers", () => {
    expect(readGrpcAnswer(bytes(SETTINGS, f(1, 0x5, 1, [0x88])))).toEqual({ answered: false, detail: "the call ended without a grpc-status" });
    expect(readGrpcAnswer(bytes(SETTINGS, f(1, 0x5, 1, [0x8d])))).toEqual({ answered: false, detail: "the call was answered with HTTP status 404, not 200" });
    expect(readGrpcAnswer(bytes(SETTINGS, f(1, 0x4, 1, RESPONSE), f(0, 0, 1, message([]))))).toEqual({ answered: false, detail: "the answer did not reach the end of the call (no trailers)" });
    expect(readGrpcAnswer(bytes(SETTINGS))).toEqual({ answered: false, detail: "HTTP/2 SETTINGS, but no answer to the call" });
  });
  test("the call reset, the connection going away, a header block that cannot be decoded", () => {
    expect(readGrpcAnswer(bytes(SETTINGS, f(3, 0, 1, [0, 0, 0, 2])))).toEqual({ answered: false, detail: "the server reset the call (HTTP/2 error code 2)" });
    expect(readGrpcAnswer(bytes(SETTINGS, f(7, 0, 0, [0, 0, 0, 0, 0, 0, 0, 1])))).toEqual({ answered: false, detail: "the server sent GOAWAY (HTTP/2 error code 1)" });
    expect(readGrpcAnswer(bytes(SETTINGS, f(1, 0x5, 1, [0xff, 0xff])))).toMatchObject({ answered: false, detail: expect.stringContaining("headers cannot be decoded") });
  });
});

test("the request: preface, SETTINGS, HEADERS with the method and metadata, DATA with the length-prefixed message", () => {
  const req = grpcRequest("/containerd.services.snapshots.v1.Snapshots/Prepare", { message: encodeMessage({ 1: "stargz", 2: "k" }), metadata: { "containerd-namespace": "default" }, timeoutMs: 2000 });
  const text = new TextDecoder().decode(req);
  expect(text.startsWith("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).toBe(true);
  for (const s of ["/containerd.services.snapshots.v1.Snapshots/Prepare", "application/grpc", "trailers", "grpc-timeout", "2000m", "containerd-namespace", "default"]) expect(text).toContain(s);
  // the DATA frame closes the stream and carries [0][length][message]
  expect([...req.subarray(-16)]).toEqual([0, 0, 0, 0, 11, 0x0a, 6, ...new TextEncoder().encode("stargz"), 0x12, 1, 0x6b]);
});
