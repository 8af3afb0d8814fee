// Removing our containerd unit: stop, disable, remove the unit file and our settings
// drop-in, daemon-reload. Only files that carry our marker are touched.
import type { Host } from "../../src/core/host.ts";
import type { Paths } from "../../src/core/paths.ts";
import { CONTAINERD_UNIT, unitPath } from "../../src/core/paths.ts";
import type { Step } from "../../src/core/plan.ts";
import { isActive, isEnabled, isOwned, unitStates } from "../../src/core/systemd.ts";
import { overridePath } from "../../src/core/rootlesskit-dropin.ts";

export async function containerdRemovalSteps(host: Host, paths: Paths): Promise<Step[]> {
  const file = unitPath(paths, CONTAINERD_UNIT);
  if (!isOwned(await host.readText(file))) return [];
  const [state] = await unitStates(host, [CONTAINERD_UNIT]);
  const steps: Step[] = [];
  if (state && isActive(state)) steps.push({ kind: "systemctl", args: ["stop", CONTAINERD_UNIT], undo: ["start", CONTAINERD_UNIT], undoLate: true, why: "stop containerd" });
  if (state && isEnabled(state)) steps.push({ kind: "systemctl", args: ["disable", CONTAINERD_UNIT], undo: ["enable", CONTAINERD_UNIT], why: "no longer start it with the session" });
  steps.push({ kind: "remove", path: file, why: "the containerd user unit" });
  if (await host.exists(overridePath(paths))) steps.push({ kind: "remove", path: overridePath(paths), why: "the RootlessKit settings drop-in" });
  steps.push({ kind: "systemctl", args: ["daemon-reload"], why: "forget the removed unit" });
  return steps;
}
