// Is an add-on usable, not just running? One probe per kind of add-on, shared by the plan's
// readiness wait (after every restart the plan causes) and by `status`:
// - a snapshotter: a snapshot call THROUGH containerd reaches it (api.ts): a client's request
//   must get through containerd's connection to the daemon, which a check of the daemon's own
//   socket cannot see (after a restart containerd waits up to 3 s to reconnect);
// - a gRPC daemon (BuildKit): a gRPC call on its socket returns OK (os/socket-protocols.ts);
// - an HTTP daemon (bypass4netnsd): its REST API answers a GET.
import type { Paths } from "../os/paths.ts";
import type { Host } from "../os/host.ts";
import { grpcProbe, httpProbe, type ProbeResult } from "../os/socket-protocols.ts";
import { snapshotterThroughContainerd } from "./api.ts";

export type { ProbeResult } from "../os/socket-protocols.ts";

export interface AddonProbe {
  /** for humans: "snapshotter stargz through containerd" */
  what: string;
  check(host: Host): Promise<ProbeResult>;
}

export function snapshotterProbe(paths: Paths, name: string): AddonProbe {
  return { what: `the ${name} snapshotter through containerd`, check: (host) => snapshotterThroughContainerd(host, paths.containerdSocket, name) };
}

/** BuildKit's control API: ListWorkers (what `buildctl debug workers` calls). */
export function buildkitProbe(socket: string): AddonProbe {
  return { what: `buildkitd's gRPC API (${socket})`, check: (host) => grpcProbe(host, socket, "/moby.buildkit.v1.Control/ListWorkers") };
}

/** A proxy snapshotter's own gRPC socket, before containerd is restarted to use it. */
export function snapshotsServiceProbe(socket: string): AddonProbe {
  return { what: `the snapshots gRPC service (${socket})`, check: (host) => grpcProbe(host, socket, "/containerd.services.snapshots.v1.Snapshots/List") };
}

/** bypass4netnsd's REST API: `GET /v1/bypass` (rootless-containers/bypass4netns pkg/api/daemon/router). */
export function bypass4netnsdProbe(socket: string): AddonProbe {
  return { what: `bypass4netnsd's API (${socket})`, check: (host) => httpProbe(host, socket, "/v1/bypass", "bypass4netnsd") };
}
