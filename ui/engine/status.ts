// What is installed now, from collectStatus (what `status` prints), plus the RootlessKit
// settings our drop-ins set (the settings screen starts from them).
import type { Host } from "../../src/core/os/host.ts";
import type { Paths } from "../../src/core/os/paths.ts";
import { CONTAINERD_UNIT } from "../../src/core/os/paths.ts";
import { collectStatus } from "../../src/core/lifecycle/status.ts";
import { unitSettings } from "../../src/core/systemd/service-environment.ts";
import type { InstalledState } from "./types.ts";

export async function installedState(host: Host, paths: Paths): Promise<InstalledState> {
  const [report, settings] = await Promise.all([collectStatus(host, paths), unitSettings(host, paths)]);
  const unit = report.units.find((u) => u.name === CONTAINERD_UNIT)!;
  const c = report.containerd;
  const detail = [
    `${unit.state}${unit.pid ? `, pid ${unit.pid}` : ""}${unit.since ? `, since ${unit.since}` : ""}${unit.enabled ? ", enabled" : ", not enabled"}`,
    `containerd ${c.server ?? c.client ?? "?"}${c.answering ? " (answering)" : ""}, RootlessKit ${report.rootlesskit.version ?? "?"}`,
    `socket ${c.socket}${c.socketExists ? "" : " (absent)"}`,
    `snapshotter ${report.snapshotters.default}; linger ${report.linger ? "on" : "off"}`,
  ];
  return {
    installed: unit.ours,
    active: unit.active,
    detail,
    addons: report.addons.map((a) => ({ id: a.id, title: a.title, installed: a.installed, active: a.active })),
    settings,
  };
}
