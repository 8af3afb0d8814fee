// Asking a daemon's unix socket a real question in its own protocol, so that "it answers"
// means more than "something accepted a connection" (a listener that accepts and closes, or a
// socket file left behind, is not a daemon that serves):
// - gRPC (containerd, BuildKit, proxy snapshotters): one call (grpc.ts), answered with
//   grpc-status 0 — an error or UNIMPLEMENTED (e.g. another gRPC service on the socket) is not
//   ready, and the failure carries the server's grpc-message;
// - HTTP/1.1 over the socket (bypass4netnsd's and RootlessKit's REST APIs): a request answered
//   with its status and body.
import type { Host } from "./host.ts";
import { describeGrpc, grpcCall, GRPC, type GrpcCallOptions, type GrpcResult } from "./grpc.ts";

export interface ProbeResult {
  ok: boolean;
  /** what was seen: the reason it failed, or what answered */
  detail: string;
}

/** A gRPC answer as a probe: ok on grpc-status OK (or the status `expect` names), else what the server said. */
export function judgeGrpc(method: string, r: GrpcResult, expect: (r: GrpcResult & { answered: true }) => boolean = (a) => a.status === GRPC.OK): ProbeResult {
  if (!r.answered) return { ok: false, detail: r.detail };
  return { ok: expect(r), detail: `${method}: ${describeGrpc(r)}` };
}

/** One gRPC call (`/package.Service/Method`) on the unix socket; ok when it returns grpc-status OK. */
export async function grpcProbe(host: Host, socket: string, method: string, opts: GrpcCallOptions = {}): Promise<ProbeResult> {
  return judgeGrpc(method, await grpcCall(host, socket, method, opts));
}

const enc = new TextEncoder();

export interface HttpAnswer {
  status: number;
  body: string;
}

/** The body of an HTTP/1.1 response: by Content-Length, de-chunked, or up to the close. */
export function httpBody(head: string, rest: string): string {
  if (!/^transfer-encoding:\s*chunked/im.test(head)) {
    const length = /^content-length:\s*(\d+)/im.exec(head);
    return length ? rest.slice(0, Number(length[1])) : rest;
  }
  let body = "";
  for (let at = 0; ; ) {
    const nl = rest.indexOf("\r\n", at);
    const size = nl === -1 ? 0 : parseInt(rest.slice(at, nl), 16);
    if (!size) return body;
    body += rest.slice(nl + 2, nl + 2 + size);
    at = nl + 2 + size + 2;
  }
}

/** Whether `text` holds a whole response: the head, then the body by its Content-Length or chunked end (else: until the close). */
function httpComplete(text: string): boolean {
  const split = text.indexOf("\r\n\r\n");
  if (split === -1) return false;
  const head = text.slice(0, split);
  if (/^transfer-encoding:\s*chunked/im.test(head)) return text.endsWith("0\r\n\r\n");
  const length = /^content-length:\s*(\d+)/im.exec(head);
  return length !== null && enc.encode(text.slice(split + 4)).length >= Number(length[1]);
}

/** One HTTP/1.1 request on the unix socket (`Connection: close`: the answer ends with the connection); null when nothing answered. */
export async function httpRequest(host: Host, socket: string, method: string, path: string, hostHeader: string, body?: string, timeoutMs = 2000): Promise<HttpAnswer | null> {
  const payload = body === undefined ? "" : body;
  const headers = [`${method} ${path} HTTP/1.1`, `Host: ${hostHeader}`, "Connection: close", ...(body === undefined ? [] : ["Content-Type: application/json", `Content-Length: ${enc.encode(payload).length}`])];
  const data = await host.unixSocketExchange(socket, enc.encode(`${headers.join("\r\n")}\r\n\r\n${payload}`), { timeoutMs, done: (d) => httpComplete(new TextDecoder().decode(d)) });
  if (data === null) return null;
  const text = new TextDecoder().decode(data);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  const split = text.indexOf("\r\n\r\n");
  if (!status || split === -1) return { status: 0, body: text };
  return { status: Number(status[1]), body: httpBody(text.slice(0, split), text.slice(split + 4)) };
}

/** `GET path` over HTTP/1.1 on the unix socket; ok on a 2xx status. */
export async function httpProbe(host: Host, socket: string, path: string, hostHeader: string, timeoutMs = 2000): Promise<ProbeResult> {
  const answer = await httpRequest(host, socket, "GET", path, hostHeader, undefined, timeoutMs);
  if (answer === null) return { ok: false, detail: "no connection (refused, reset, or no socket)" };
  if (answer.status === 0) return { ok: false, detail: `not an HTTP answer (${answer.body.length} bytes)` };
  return { ok: answer.status >= 200 && answer.status < 300, detail: `GET ${path}: HTTP ${answer.status}` };
}
