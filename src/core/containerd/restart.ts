// Restarting containerd as plan steps: the restart (on rollback, restarted again once the old
// files are back: a late undo, waited for until containerd answers), the wait for its API, and a
// wait for each running add-on the restart takes down and up with it (addon-waits.ts). Every
// command that restarts containerd (add-ons, configure, apply, detach-netns, install with a
// changed unit) plans it here, so "done" always means containerd and its add-ons answer again.
import type { Host } from "../os/host.ts";
import { CONTAINERD_UNIT, type Paths } from "../os/paths.ts";
import type { Step } from "../plan/steps.ts";
import { containerdBackStep, containerdReadyStep } from "./ready.ts";
import { restartedAddonWaits } from "./addon-waits.ts";

const WHY = "containerd reads its configuration only when it starts";

export const isContainerdRestart = (s: Step) => s.kind === "systemctl" && s.args[0] === "restart" && s.args.includes(CONTAINERD_UNIT);

/** The restart alone (for a plan whose own wait follows it, as configure's settings check). */
export function restartContainerdStep(paths: Paths, why = WHY): Step {
  return { kind: "systemctl", args: ["restart", CONTAINERD_UNIT], undo: ["restart", CONTAINERD_UNIT], undoLate: true, undoWait: containerdBackStep(paths), why };
}

/** The restart, containerd answering, then every running add-on restarted with it (a plan that removes one drops its wait: lifecycle/addons.ts, composeSteps). */
export async function restartContainerdSteps(host: Host, paths: Paths, why?: string): Promise<Step[]> {
  return [restartContainerdStep(paths, why), containerdReadyStep(paths), ...(await restartedAddonWaits(host, paths))];
}
