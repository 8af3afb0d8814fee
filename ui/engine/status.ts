// What is installed now: our containerd unit (by its marker), its state, the add-ons, and
// the RootlessKit settings set in its drop-ins.
import type { Host } from "../../src/core/host.ts";
import type { Paths } from "../../src/core/paths.ts";
import { CONTAINERD_UNIT, unitPath } from "../../src/core/paths.ts";
import { isActive, isOwned, unitStates } from "../../src/core/systemd.ts";
import { effectiveSettings, readDropIns } from "../../src/core/rootlesskit-dropin.ts";
import { plugins, type PluginContext } from "../../src/plugins/registry.ts";
import type { InstalledState } from "./types.ts";

export async function installedState(host: Host, paths: Paths): Promise<InstalledState> {
  const unitText = await host.readText(unitPath(paths, CONTAINERD_UNIT));
  const installed = isOwned(unitText);
  const ctx: PluginContext = { host, paths };
  const [state, dropIns, addons] = await Promise.all([
    installed ? unitStates(host, [CONTAINERD_UNIT]).then((s) => s[0]) : Promise.resolve(undefined),
    readDropIns(host, paths),
    Promise.all(plugins().map(async (p) => ({ id: p.id, title: p.title, ...(await p.status(ctx).catch(() => ({ installed: false }))) }))),
  ]);
  const settings: Record<string, string> = {};
  for (const s of effectiveSettings(dropIns, {})) if (s.source === "drop-in" && s.value !== undefined) settings[s.key] = s.value;
  const detail: string[] = [];
  if (state) {
    detail.push(`${state.activeState} (${state.subState})${state.mainPid ? `, pid ${state.mainPid}` : ""}${state.activeSince ? `, since ${state.activeSince}` : ""}`);
    detail.push(`unit file ${state.unitFileState || "unknown"}: ${unitPath(paths, CONTAINERD_UNIT)}`);
    detail.push(`socket ${paths.containerdSocket}`);
  }
  return {
    installed,
    active: state ? isActive(state) : false,
    detail,
    addons: addons.map((a) => ({ id: a.id, title: a.title, installed: a.installed, active: "active" in a ? a.active : undefined })),
    settings,
  };
}
