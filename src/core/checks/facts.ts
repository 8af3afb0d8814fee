// What the checks learned about this machine, typed for reuse: install picks the network
// driver and snapshotter from it, the UI's welcome screen shows it. Filled by runChecks.
import type { Distro } from "./distro.ts";
import type { Tool } from "./context.ts";

export type CgroupVersion = "v2" | "hybrid" | "v1" | "unknown";
export type Snapshotter = "overlayfs" | "fuse-overlayfs" | "native";
export type NetworkDriver = "slirp4netns" | "vpnkit" | "pasta" | "lxc-user-nic" | "gvisor-tap-vsock";

export interface EnvironmentFacts {
  user: string;
  uid: number;
  distro: Distro | null;
  /** /proc/sys/kernel/osrelease as is, and as X.Y.Z */
  kernelRelease: string | null;
  kernelVersion: string | null;
  ubuntuKernel: boolean;
  selinux: boolean;
  cgroup: CgroupVersion;
  /** controllers delegated to user@UID.service (cgroup v2 only) */
  delegatedControllers: string[];
  systemdUser: boolean;
  dbusSession: boolean;
  linger: boolean;
  tools: {
    rootlesskit: Tool | null;
    containerd: Tool | null;
    runc: Tool | null;
    crun: Tool | null;
    slirp4netns: Tool | null;
    vpnkit: Tool | null;
    pasta: Tool | null;
    fuseOverlayfs: Tool | null;
    newuidmap: string | null;
    newgidmap: string | null;
    nsenter: string | null;
    mount: string | null;
  };
  /** the driver the launcher will use (rootlesskit/network.ts chooses, the service's settings apply) */
  networkDriver: NetworkDriver | null;
  /** `rootlesskit --help` lists --detach-netns (RootlessKit >= 2.0) */
  detachNetnsSupported: boolean;
  /** the smoke test: null when it could not run (no rootlesskit, or skipped) */
  rootlesskitWorks: boolean | null;
  /** the real overlay mount inside RootlessKit: null when it could not run */
  overlayMountWorks: boolean | null;
  /** the seed's kernel rule for rootless overlayfs */
  overlayKernelRule: boolean;
  snapshotter: Snapshotter;
  /** a rootless containerd is already running (ours or not) */
  rootlessContainerdRunning: boolean;
}

export function emptyFacts(user: string, uid: number): EnvironmentFacts {
  return {
    user,
    uid,
    distro: null,
    kernelRelease: null,
    kernelVersion: null,
    ubuntuKernel: false,
    selinux: false,
    cgroup: "unknown",
    delegatedControllers: [],
    systemdUser: false,
    dbusSession: false,
    linger: false,
    tools: {
      rootlesskit: null,
      containerd: null,
      runc: null,
      crun: null,
      slirp4netns: null,
      vpnkit: null,
      pasta: null,
      fuseOverlayfs: null,
      newuidmap: null,
      newgidmap: null,
      nsenter: null,
      mount: null,
    },
    networkDriver: null,
    detachNetnsSupported: false,
    rootlesskitWorks: null,
    overlayMountWorks: null,
    overlayKernelRule: false,
    snapshotter: "native",
    rootlessContainerdRunning: false,
  };
}

/** What one probe contributes. */
export type FactsPart = Partial<Omit<EnvironmentFacts, "tools">> & { tools?: Partial<EnvironmentFacts["tools"]> };

/** Merges what each probe found; `tools` is merged key by key. */
export function mergeFacts(base: EnvironmentFacts, parts: (FactsPart | undefined)[]): EnvironmentFacts {
  const out: EnvironmentFacts = { ...base, tools: { ...base.tools } };
  for (const p of parts) {
    if (!p) continue;
    const { tools, ...rest } = p;
    Object.assign(out, rest);
    if (tools) Object.assign(out.tools, tools);
  }
  return out;
}
