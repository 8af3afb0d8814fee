// Asking a daemon's unix socket a real question in its own protocol, so that "it answers"
// means more than "something accepted a connection" (a listener that accepts and closes, or a
// socket file left behind, is not a daemon that serves):
// - gRPC (containerd, BuildKit, proxy snapshotters): one call (grpc.ts), answered with
//   grpc-status 0 — an error or UNIMPLEMENTED (e.g. another gRPC service on the socket) is not
//   ready, and the failure carries the server's grpc-message;
// - HTTP/1.1 over the socket (bypass4netnsd's REST API): a GET answered with a 2xx status.
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

/** `GET path` over HTTP/1.1 on the unix socket; ok on a 2xx status. */
export async function httpProbe(host: Host, socket: string, path: string, hostHeader: string, timeoutMs = 2000): Promise<ProbeResult> {
  const request = new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close\r\n\r\n`);
  const data = await host.unixSocketExchange(socket, request, { timeoutMs, done: (d) => new TextDecoder().decode(d).includes("\r\n\r\n") });
  if (data === null) return { ok: false, detail: "no connection (refused, reset, or no socket)" };
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(new TextDecoder().decode(data));
  if (!status) return { ok: false, detail: `not an HTTP answer (${data.length} bytes)` };
  return status[1]!.startsWith("2") ? { ok: true, detail: `GET ${path}: HTTP ${status[1]}` } : { ok: false, detail: `GET ${path}: HTTP ${status[1]}` };
}
