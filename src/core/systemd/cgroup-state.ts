// Where a unit's processes are, read from its cgroup's own files: the stop wait's answer without
// asking systemd at each look. systemd's unified hierarchy is /sys/fs/cgroup/unified (hybrid
// layout) or /sys/fs/cgroup (cgroup v2). cgroup.events says "populated 0" once no process is left
// in the unit's cgroup or below it (the kernel writes it as the last one exits); systemd removes
// the directory once it has seen that and put the unit down (unit_prune_cgroup, on the unit's way
// to inactive), so a directory gone is a stop systemd has finished. Anything else (legacy cgroup
// v1, no ControlGroup known): null, ask systemd.
import { dirname } from "node:path";
import type { Host } from "../os/host.ts";

const UNIFIED_ROOTS = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"];

/** "busy": processes left; "empty": none left, systemd not done yet; "gone": systemd removed it; null: the files cannot tell. */
export type CgroupState = "busy" | "empty" | "gone";

export async function cgroupState(host: Host, controlGroup: string): Promise<CgroupState | null> {
  if (!controlGroup.startsWith("/") || controlGroup === "/") return null;
  for (const root of UNIFIED_ROOTS) {
    const events = await host.readText(`${root}${controlGroup}/cgroup.events`).catch(() => null);
    if (events !== null) return /^populated 0$/m.test(events) ? "empty" : "busy";
    // its slice is there but the unit's directory is not: systemd removed it
    if (await host.exists(`${root}${dirname(controlGroup)}/cgroup.events`)) return "gone";
  }
  return null;
}
