// containerd's own gRPC API, asked on its unix socket from the host: no `ctr`, no nsenter. A
// socket file is reachable by its path whatever network namespace containerd runs in, and a
// call costs about a millisecond. "containerd runs" means it answered one of these, never that
// its socket file exists (a stale file, or another listener on it, answers nothing).
import type { Host } from "../os/host.ts";
import { describeGrpc, grpcCall, GRPC } from "../os/grpc.ts";
import { concat, decodeStrings, encodeMessage, field, num } from "../os/protobuf-wire.ts";
import type { Paths } from "../os/paths.ts";
import { judgeGrpc, type ProbeResult } from "../os/socket-protocols.ts";

export interface ServerVersion {
  version: string;
  revision?: string;
}

/** containerd's Version service (api/services/version/v1/version.proto: VersionResponse{version = 1, revision = 2}). */
const VERSION = "/containerd.services.version.v1.Version/Version";
/** api/services/snapshots/v1/snapshots.proto: PrepareSnapshotRequest{snapshotter = 1, key = 2, parent = 3, labels = 4} */
const PREPARE = "/containerd.services.snapshots.v1.Snapshots/Prepare";
const CLEANUP = "/containerd.services.snapshots.v1.Snapshots/Cleanup";

/** The server's version, or why no containerd answered (the server's words: "no connection (…)", "UNIMPLEMENTED: …"). */
export async function containerdVersion(host: Host, socket: string, timeoutMs = 2000): Promise<{ ok: true; server: ServerVersion } | { ok: false; detail: string }> {
  const r = await grpcCall(host, socket, VERSION, { timeoutMs });
  if (!r.answered || r.status !== GRPC.OK) return { ok: false, detail: describeGrpc(r) };
  const fields = decodeStrings(r.body);
  if (!fields?.[1]) return { ok: false, detail: `an answer to ${VERSION} without a version: not containerd` };
  return { ok: true, server: { version: fields[1], ...(fields[2] ? { revision: fields[2] } : {}) } };
}

/**
 * Whether a call through containerd reaches the proxy snapshotter `name` (the whole chain a
 * client uses: containerd, its connection to the daemon, the daemon). Listing snapshots does not
 * show it: containerd answers a list from its own metadata store and asks the daemon only about
 * snapshots that exist (metadata/snapshot.go, Walk), so an empty list comes back while the
 * daemon is down or containerd's connection to it is still waiting to retry.
 *
 * So: Prepare a new snapshot under a lease that does not exist. containerd records the key, has
 * the daemon create the snapshot, then fails to attach it to the lease, removes it from the
 * daemon again and answers NotFound "lease does not exist" (metadata/snapshot.go, createSnapshot,
 * and metadata/leases.go, addSnapshotLease; the same in containerd 1.6, 1.7 and 2.x). That answer
 * means the daemon served a real request; an unreachable daemon is Unavailable with containerd's
 * connection error, an unregistered one InvalidArgument. A daemon that removes asynchronously
 * (stargz does) keeps the removed snapshot's directory until its Cleanup, which containerd runs
 * only in a garbage collection: the probe asks the daemon for it on `daemonSocket` at once, so
 * nothing is left behind (a daemon without Cleanup removes at once; UNIMPLEMENTED is fine then).
 */
export async function snapshotterThroughContainerd(host: Host, socket: string, name: string, daemonSocket: string, timeoutMs = 5000): Promise<ProbeResult> {
  const nonce = `${host.pid}-${Math.floor(Math.random() * 2 ** 32).toString(16)}`;
  const r = await grpcCall(host, socket, PREPARE, {
    timeoutMs,
    message: encodeMessage({ 1: name, 2: `containerd-rootless-systemd-probe-${nonce}` }),
    metadata: { "containerd-namespace": "default", "containerd-lease": `containerd-rootless-systemd-no-such-lease-${nonce}` },
  });
  const probe = judgeGrpc(`a snapshot call through containerd to ${name}`, r, (a) => a.status === GRPC.NOT_FOUND && /lease does not exist/.test(a.message));
  if (!probe.ok) return probe;
  // api/services/snapshots/v1/snapshots.proto: CleanupRequest{snapshotter = 1}
  await grpcCall(host, daemonSocket, CLEANUP, { timeoutMs, message: encodeMessage({ 1: name }) });
  return { ok: true, detail: `a snapshot call through containerd reached the ${name} snapshotter` };
}

// Two calls verify's end makes (no ctr process): removing an image with its garbage collection
// done before the answer (Images/Delete with sync, what `ctr images rm --sync` sends) and removing
// an empty namespace (Namespaces/Delete). Fields from containerd's api/services/images/v1/images.proto
// (DeleteImageRequest: name 1, sync 2) and api/services/namespaces/v1/namespace.proto
// (DeleteNamespaceRequest: name 1); a call's namespace is its `containerd-namespace` metadata.
export async function deleteImage(host: Host, paths: Paths, namespace: string, name: string): Promise<ProbeResult> {
  const method = "/containerd.services.images.v1.Images/Delete";
  return judgeGrpc(method, await grpcCall(host, paths.containerdSocket, method, { message: concat([field(1, name), num(2, 1)]), timeoutMs: 30_000, metadata: { "containerd-namespace": namespace } }));
}

export async function deleteNamespace(host: Host, paths: Paths, namespace: string): Promise<ProbeResult> {
  const method = "/containerd.services.namespaces.v1.Namespaces/Delete";
  return judgeGrpc(method, await grpcCall(host, paths.containerdSocket, method, { message: field(1, namespace), timeoutMs: 10_000 }));
}
