// Is an add-on usable, not just running? One probe per kind of add-on, shared by the plan's
// readiness wait (after every restart the plan causes) and by `status`:
// - a snapshotter: containerd answers, and listing that snapshotter's snapshots THROUGH
//   containerd succeeds (`ctr -n default snapshots --snapshotter NAME ls` inside the namespace);
//   this fails while containerd's connection to the proxy plugin is refused, which a socket
//   check on the daemon alone cannot see;
// - a gRPC daemon (BuildKit): a gRPC call on its socket is answered (os/socket-protocols.ts);
// - an HTTP daemon (bypass4netnsd): its REST API answers a GET.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { grpcProbe, httpProbe, type ProbeResult } from "../os/socket-protocols.ts";
import { nsenterArgv } from "../rootlesskit/nsenter.ts";
import { serviceStateDir } from "./ready.ts";

export type { ProbeResult } from "../os/socket-protocols.ts";

export interface AddonProbe {
  /** for humans: "snapshotter stargz through containerd" */
  what: string;
  check(host: Host): Promise<ProbeResult>;
}

/** `ctr -n default snapshots --snapshotter NAME ls` through the namespace. */
export async function snapshotterAnswers(host: Host, paths: Paths, name: string, timeoutMs = 5000): Promise<ProbeResult> {
  if (!(await host.exists(paths.containerdSocket))) return { ok: false, detail: `containerd's socket ${paths.containerdSocket} does not exist` };
  const ctr = await host.which("ctr");
  if (!ctr) return { ok: false, detail: "ctr (containerd's client) is not on PATH; cannot ask containerd" };
  const argv = [ctr, "--address", paths.containerdSocket, "-n", "default", "snapshots", "--snapshotter", name, "ls"];
  const ns = await nsenterArgv(host, paths, argv, await serviceStateDir(host, paths)).catch((e: Error) => e);
  if (ns instanceof Error) return { ok: false, detail: ns.message };
  const r = await host.run(ns.argv, { env: ns.env, timeoutMs });
  const out = [r.stdout, r.stderr].map((s) => s.trim()).filter(Boolean).join("\n");
  return r.code === 0 ? { ok: true, detail: `containerd lists the ${name} snapshots` } : { ok: false, detail: `ctr snapshots --snapshotter ${name} ls: exit ${r.code}${out ? `: ${out}` : ""}` };
}

export function snapshotterProbe(paths: Paths, name: string): AddonProbe {
  return { what: `the ${name} snapshotter through containerd`, check: (host) => snapshotterAnswers(host, paths, name) };
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
