// Is an add-on usable, not just running? One probe per kind of add-on, shared by the plan's
// readiness wait (after every restart the plan causes) and by `status`:
// - a snapshotter: a snapshot call THROUGH containerd reaches it (api.ts): a client's request
//   must get through containerd's connection to the daemon, which a check of the daemon's own
//   socket cannot see (after a restart containerd waits up to 3 s to reconnect);
// - a gRPC daemon (BuildKit): a gRPC call on its socket returns OK (os/socket-protocols.ts);
// - an HTTP daemon (bypass4netnsd): its REST API answers a GET.
import type { Paths } from "../os/paths.ts";
import type { Host } from "../os/host.ts";
import { grpcProbe, httpProbe, judgeGrpc, type ProbeResult } from "../os/socket-protocols.ts";
import { grpcCall, GRPC } from "../os/grpc.ts";
import { encodeMessage } from "../os/protobuf-wire.ts";
import { snapshotterThroughContainerd } from "./api.ts";
import { buildkitBuilds } from "../verify/buildkit.ts";

export type { ProbeResult } from "../os/socket-protocols.ts";

export interface AddonProbe {
  /** for humans: "snapshotter stargz through containerd" */
  what: string;
  check(host: Host): Promise<ProbeResult>;
  /** what `verify` asks instead, when the daemon's real job takes more than the readiness answer (BuildKit: a build) */
  verify?(host: Host): Promise<ProbeResult>;
}

/** `daemonSocket`: the snapshotter daemon's own socket (its Cleanup is asked for after the call). */
export function snapshotterProbe(paths: Paths, name: string, daemonSocket: string): AddonProbe {
  return { what: `the ${name} snapshotter through containerd`, check: (host) => snapshotterThroughContainerd(host, paths.containerdSocket, name, daemonSocket) };
}

/** BuildKit's control API: ListWorkers (what `buildctl debug workers` calls); verify also builds (verify/buildkit.ts). */
export function buildkitProbe(socket: string): AddonProbe {
  return { what: `buildkitd's gRPC API (${socket})`, check: (host) => grpcProbe(host, socket, "/moby.buildkit.v1.Control/ListWorkers"), verify: (host) => buildkitBuilds(host, socket) };
}

/** A proxy snapshotter's own gRPC socket, before containerd is restarted to use it. */
/**
 * A proxy snapshotter's own gRPC socket, before containerd is restarted to use it: Stat of a
 * snapshot that does not exist, answered NotFound by a snapshots service that serves (containerd's
 * contrib/snapshotservice, which the real daemons use, maps its store's error with ToGRPC). Not
 * List: on a new, empty store it fails ("bucket does not exist", as UNKNOWN) although the daemon serves.
 */
export function snapshotsServiceProbe(socket: string): AddonProbe {
  const method = "/containerd.services.snapshots.v1.Snapshots/Stat";
  // api/services/snapshots/v1/snapshots.proto: StatSnapshotRequest{snapshotter = 1, key = 2}
  const message = encodeMessage({ 2: "containerd-rootless-systemd-probe-no-such-snapshot" });
  return { what: `the snapshots gRPC service (${socket})`, check: async (host) => judgeGrpc(method, await grpcCall(host, socket, method, { message }), (a) => a.status === GRPC.NOT_FOUND) };
}

/** bypass4netnsd's REST API: `GET /v1/bypass` (rootless-containers/bypass4netns pkg/api/daemon/router). */
export function bypass4netnsdProbe(socket: string): AddonProbe {
  return { what: `bypass4netnsd's API (${socket})`, check: (host) => httpProbe(host, socket, "/v1/bypass", "bypass4netnsd") };
}
