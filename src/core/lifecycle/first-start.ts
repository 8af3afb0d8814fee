// Applying a plan that starts containerd for the first time (install's, or the interactive
// installer's with its settings drop-in first): applyPlan with its journal and rollback, and
// after a failure the directories the launcher made for the failed start (its bind-mount
// sources, planInstall's `launcherDirs`) removed while still empty, so nothing is left behind.
// `install` and the interactive installer both apply through here.
import type { Host } from "../os/host.ts";
import type { ApplyResult, Step } from "../plan/steps.ts";
import { applyPlan, ApplyError, removeEmptyDirs, type ApplyOptions } from "../plan/execute.ts";

export async function applyInstallPlan(host: Host, steps: readonly Step[], launcherDirs: readonly string[], opts: ApplyOptions = {}): Promise<ApplyResult> {
  try {
    return await applyPlan(host, steps, opts);
  } catch (e) {
    // made by the launcher (or by `launch --validate` for the diagnosis), empty unless containerd wrote data
    if (e instanceof ApplyError) await removeEmptyDirs(host, launcherDirs);
    throw e;
  }
}
