// Where containerd's fixed directories come from inside RootlessKit's mount namespace: the
// launcher's child bind-mounts the user's own directories over them, and install creates them first.
import type { Paths } from "../os/paths.ts";

/** Entries RootlessKit's copy-up links to the host's; containerd needs its own. */
export const COPY_UP_SYMLINKS = ["/run/containerd", "/run/nri", "/run/xtables.lock", "/var/lib/containerd", "/var/lib/cni", "/etc/containerd"];

export interface BindMount {
  source: string;
  target: string;
}

export function bindMounts(paths: Paths): BindMount[] {
  return [
    { source: paths.containerdRunDir, target: "/run/containerd" },
    { source: paths.containerdData, target: "/var/lib/containerd" },
    { source: paths.cniData, target: "/var/lib/cni" },
    { source: paths.containerdConfigDir, target: "/etc/containerd" },
  ];
}
