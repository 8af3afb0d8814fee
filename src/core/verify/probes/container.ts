// 1. A container starts: from the throwaway image (imported without any download), through
// nerdctl's default snapshotter, containerd's shim and runc, with a writable root.
import { fail, pass } from "../outcome.ts";
import type { Probe } from "./probe.ts";
import { whyNoReport } from "./probe.ts";

const HINTS: [RegExp, string][] = [
  [/cgroup/i, "runc could not set up cgroups: see `containerd-rootless-systemd check` (cgroup v2 and delegation)"],
  [/overlay|mount/i, "the snapshot could not be mounted: see `containerd-rootless-systemd check` (overlayfs); the fuse-overlayfs snapshotter (`install fuse-overlayfs`) works where overlayfs does not"],
  [/newuidmap|newgidmap|subuid|subgid/i, "the user namespace could not be set up: see `containerd-rootless-systemd check` (subordinate ids)"],
];

export const containerProbe: Probe = {
  id: "container",
  title: "A container starts",
  async run(s) {
    const main = await s.main;
    const rootfs = await main?.part("rootfs");
    if (!main || !rootfs) {
      const why = await whyNoReport(s, main);
      const hint = HINTS.find(([re]) => re.test(why))?.[1];
      return fail(`no container started: ${why.split("\n")[0]}`, [why], hint ?? "See `systemctl --user status containerd.service` and `containerd-rootless-systemd check`.");
    }
    const after = await main.partAfterMs("rootfs");
    const where = `from a throwaway image on the ${s.facts.defaultSnapshotter} snapshotter${rootfs.fsType ? ` (its / is ${rootfs.fsType})` : ""}`;
    if (!rootfs.ok) return fail(`a container started ${where}, but its root is not writable: ${rootfs.detail}`, [rootfs.detail]);
    return pass(`a container started ${where} and answered after ${((after ?? 0) / 1000).toFixed(2)} s`, [(await s.imported).detail, rootfs.detail]);
  },
};
