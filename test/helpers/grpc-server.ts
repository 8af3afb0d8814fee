// A scripted gRPC server on a unix socket under a test host's root, for unit tests of decisions
// that ask a daemon (containerd's Version call, a snapshot call through containerd, BuildKit's
// ListWorkers). It speaks HTTP/2 as a real server does where the client depends on it: SETTINGS
// first, then the call's response HEADERS, a DATA frame with the message and trailers with
// grpc-status and grpc-message (as a Trailers-Only answer for an error, as grpc-go does). The
// real servers (containerd, the proxy snapshotter) are met in test/e2e/grpc-probes.test.ts.
import { frame, parseFrames } from "../../src/core/os/grpc.ts";
import { HpackDecoder, encodeString } from "../../src/core/os/hpack.ts";
import { decodeStrings, encodeMessage } from "../../src/core/os/protobuf-wire.ts";
import { dirname } from "node:path";
import type { Host } from "../../src/core/os/host.ts";
import type { TestHost } from "./test-host.ts";

export interface GrpcCall {
  method: string;
  metadata: Record<string, string>;
  message: Uint8Array;
}

export interface GrpcReply {
  status?: number;
  message?: string;
  body?: Uint8Array;
}

export type GrpcHandler = (call: GrpcCall) => GrpcReply | Promise<GrpcReply>;

const literal = (name: string, value: string) => [0x00, ...encodeString(name), ...encodeString(value)];

function answer(reply: GrpcReply): Uint8Array {
  const status = reply.status ?? 0;
  const trailers = [...literal("grpc-status", String(status)), ...(reply.message ? literal("grpc-message", encodeURIComponent(reply.message)) : [])];
  const parts: Uint8Array[] = [frame(4, 0, 0, new Uint8Array(0))];
  if (status !== 0) {
    parts.push(frame(1, 0x5, 1, new Uint8Array([0x88, ...literal("content-type", "application/grpc"), ...trailers])));
  } else {
    const body = reply.body ?? new Uint8Array(0);
    const data = new Uint8Array(5 + body.length);
    new DataView(data.buffer).setUint32(1, body.length);
    data.set(body, 5);
    parts.push(frame(1, 0x4, 1, new Uint8Array([0x88, ...literal("content-type", "application/grpc")])), frame(0, 0, 1, data), frame(1, 0x5, 1, new Uint8Array(trailers)));
  }
  return Buffer.concat(parts);
}

/** The call in a client's bytes once its request is complete (after the 24-byte preface). */
function callIn(received: Uint8Array): GrpcCall | null {
  const frames = parseFrames(received.subarray(24));
  const headers = frames.find((f) => f.type === 1 && f.stream === 1);
  const data = frames.find((f) => f.type === 0 && f.stream === 1 && f.flags & 0x1);
  if (!headers || !data) return null;
  const fields = new HpackDecoder().decode(headers.payload);
  return {
    method: fields.find(([n]) => n === ":path")?.[1] ?? "",
    metadata: Object.fromEntries(fields.filter(([n]) => !n.startsWith(":"))),
    message: data.payload.subarray(5),
  };
}

/** Serves `handler` on `socket` (a path of the test host); stop() ends it. */
export function serveGrpc(host: Host, socket: string, handler: GrpcHandler): { stop(): void; calls: GrpcCall[] } {
  const calls: GrpcCall[] = [];
  const buffers = new Map<unknown, Uint8Array>();
  const server = Bun.listen({
    unix: host.path(socket),
    socket: {
      async data(s, chunk) {
        const received = Buffer.concat([buffers.get(s) ?? new Uint8Array(0), chunk]);
        buffers.set(s, received);
        const call = callIn(received);
        if (!call || received.length === 0) return;
        buffers.set(s, new Uint8Array(0));
        calls.push(call);
        s.write(answer(await handler(call)));
      },
    },
  });
  return { stop: () => server.stop(true), calls };
}

export interface ContainerdApiOptions {
  version?: string;
  revision?: string;
  /** whether a proxy snapshotter's daemon is reachable through containerd (unset: none is registered) */
  snapshotterUp?: (name: string) => boolean | Promise<boolean>;
}

/**
 * containerd's API as its answers go: Version; a snapshot Prepare under a lease that does not exist
 * answered as containerd answers it (metadata/snapshot.go: NotFound once the daemon served the
 * Prepare, Unavailable with the dial error when it cannot be reached, InvalidArgument when no such
 * snapshotter is loaded); every other method UNIMPLEMENTED, as grpc-go answers an unknown one.
 */
export function containerdApiHandler(opts: ContainerdApiOptions = {}): GrpcHandler {
  return async (call) => {
    if (call.method === "/containerd.services.version.v1.Version/Version") return { body: encodeMessage({ 1: opts.version ?? "1.6.20~ds1", 2: opts.revision ?? "1.6.20~ds1-1+b1" }) };
    if (call.method === "/containerd.services.snapshots.v1.Snapshots/Prepare") {
      const name = decodeStrings(call.message)?.[1] ?? "";
      if (!opts.snapshotterUp) return { status: 3, message: `snapshotter not loaded: ${name}: invalid argument` };
      if (!(await opts.snapshotterUp(name))) return { status: 14, message: `connection error: desc = "transport: Error while dialing dial unix /run/user/1000/${name}.sock: connect: connection refused"` };
      return call.metadata["containerd-lease"] ? { status: 5, message: "lease does not exist: not found" } : { body: new Uint8Array(0) };
    }
    return { status: 12, message: `unknown service ${call.method.split("/")[1]}` };
  };
}

/** containerd's API on `socket` of a test host, brought up and down as a scripted systemd starts and stops containerd. */
export function fakeContainerdApi(host: TestHost, socket: string, handler: GrpcHandler = containerdApiHandler()) {
  let server: { stop(): void } | null = null;
  const api = {
    get up() {
      return server !== null;
    },
    async start(): Promise<void> {
      if (server) return;
      await host.mkdirp(dirname(socket));
      await host.remove(socket).catch(() => {});
      server = serveGrpc(host, socket, handler);
    },
    /** containerd stopped: it closes its listener, which removes the socket file */
    async stop(): Promise<void> {
      server?.stop();
      server = null;
      await host.remove(socket).catch(() => {});
    },
  };
  host.atCleanup(() => api.stop());
  return api;
}
