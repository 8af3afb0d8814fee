// The plan for what the user chose: the choices become a desired state, checked as an `apply -f`
// file is (src/core/desired-state/choices.ts), and the `apply -f` engine decides and plans it
// (settings through the configure engine, containerd through install's planner, add-ons through
// the add-on engine); uninstall is `uninstall`'s plan.
// The review screen and the headless commands therefore show the same steps.
import type { Host } from "../../src/core/os/host.ts";
import type { Paths } from "../../src/core/os/paths.ts";
import { BINARY_NAME, CONTAINERD_UNIT } from "../../src/core/os/paths.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { planUninstall } from "../../src/core/lifecycle/uninstall.ts";
import { decideApply, phaseASteps, phaseBSteps } from "../../src/core/desired-state/plan.ts";
import { DesiredStateError } from "../../src/core/desired-state/parse.ts";
import { choicesDesiredState } from "../../src/core/desired-state/choices.ts";
import { UserError } from "../../src/core/os/errors.ts";
import type { EnvironmentFacts as Facts } from "../../src/core/checks/facts.ts";
import type { Choices, PlanView } from "./types.ts";
import { planView } from "./plan-view.ts";
import { shellQuote as shq } from "../../src/core/os/shell.ts";
import { configuredSnapshotters } from "../../src/core/lifecycle/status.ts";
import { proxyWarnings } from "../../src/core/rootlesskit/proxy.ts";
import { componentsPlan } from "./components.ts";

/**
 * The plan for the choices, decided by the `apply -f` engine (decideApply): containerd not
 * running yet -> phase A, the settings drop-in then `install`'s own plan, with the add-ons
 * deferred until containerd runs; otherwise phase B (settings of the running containerd,
 * add-ons, one restart, the checks that the new settings are in effect and add-ons answer).
 */
export async function planForChoices(host: Host, paths: Paths, choices: Choices): Promise<PlanView> {
  // the bundle first (as `install --components`): containerd's plan then finds its programs
  const fetch = await componentsPlan(host, paths, choices);
  if (fetch) return fetch;
  let d;
  try {
    // checked and decided as the same keys in an `apply -f` file would be
    d = await decideApply(host, paths, await choicesDesiredState(host, paths, choices));
  } catch (e) {
    if (e instanceof DesiredStateError) throw new UserError(e.problems.map((p) => `${p.key}: ${p.message}`).join("\n"));
    throw e;
  }
  // a loopback proxy containerd cannot reach: said on the review screen, as `configure` and `apply` say it
  const proxy = (d.settings ? proxyWarnings(d.settings.effective, d.settings.settings) : []).map((w) => `Warning: ${w}`);
  const adding = d.addons.install.map((a) => a.id);
  const removing = d.addons.remove;
  const addonText = `${adding.length ? `, add ${adding.join(", ")}` : ""}${removing.length ? `, remove ${removing.join(", ")}` : ""}`;
  if (d.containerd.action === "install") {
    const install = await planInstall(host, paths);
    const steps = phaseASteps(d.settings, install);
    const deferred = [...adding, ...removing];
    const base = await planView(host, deferred.length ? "Install containerd (add-ons next)" : "Install containerd", steps);
    const view = { ...base, notes: [...proxy, ...base.notes], launcherDirs: install.launcherDirs };
    // with add-ons still to come, the plan that adds them is the one verified
    return deferred.length ? { ...view, deferred } : { ...view, verify: true };
  }
  const b = await phaseBSteps(host, paths, d, false, false);
  const title = d.containerd.action === "update" ? `Update containerd${addonText}` : addonText ? `Change add-ons: ${addonText.slice(2)}` : "Change settings";
  return { ...(await planView(host, title, b.steps, { added: adding, removed: removing })), notes: [...proxy, ...b.warnings.map((w) => `Warning: ${w}`), ...b.notes], verify: true };
}

/** nerdctl's default snapshotter as configured now (configuredSnapshotters), and where it is set; no `from` = nothing sets it (overlayfs). */
export interface SnapshotterDefault {
  name: string;
  from?: string;
}

/** nerdctl's default snapshotter after the apply: $CONTAINERD_SNAPSHOTTER, else nerdctl.toml (a snapshotter add-on sets it there). */
export async function snapshotterDefault(host: Host, paths: Paths): Promise<SnapshotterDefault> {
  const { default: name } = await configuredSnapshotters(host, paths);
  if (host.env.CONTAINERD_SNAPSHOTTER) return { name, from: "$CONTAINERD_SNAPSHOTTER" };
  return name === "overlayfs" ? { name } : { name, from: paths.nerdctlConfig };
}

/** The seed's closing lines after an install (`client`: how to reach containerd, lifecycle/client-hint.ts), plus the add-ons' notes; the snapshotter line says what is set, not what would work. */
export function nextStepsFor(facts: Facts, plan: PlanView | null, snapshotter: SnapshotterDefault = { name: "overlayfs" }, client: readonly string[] = []): string[] {
  const lines = [
    `To control ${CONTAINERD_UNIT}, run: \`systemctl --user (start|stop|restart) ${CONTAINERD_UNIT}\``,
    facts.linger ? `Linger is on: ${CONTAINERD_UNIT} starts with the system.` : `To run ${CONTAINERD_UNIT} on system startup, run: \`sudo loginctl enable-linger ${shq(facts.user)}\``,
    ...client,
  ];
  lines.push(
    snapshotter.from
      ? `Snapshotter: nerdctl uses ${snapshotter.name} (set in ${snapshotter.from}).`
      : facts.snapshotter === "overlayfs"
        ? "Snapshotter: the default overlayfs works rootless here; nothing to set."
        : `Snapshotter: overlayfs does not work rootless here; use \`export CONTAINERD_SNAPSHOTTER=${facts.snapshotter}\` (or add the fuse-overlayfs add-on).`,
  );
  return [...lines, ...(plan?.notes ?? [])];
}

/** `uninstall [--purge]`'s plan (planUninstall): add-ons first, then our units and drop-ins. */
export async function planForUninstall(host: Host, paths: Paths, purge: boolean): Promise<PlanView> {
  const { steps } = await planUninstall(host, paths, { purge });
  const notes = purge ? [] : [`Images, containers and configuration are kept (${paths.containerdData}, ${paths.containerdConfigDir}); to remove them too: ${BINARY_NAME} uninstall --purge`];
  return { ...(await planView(host, purge ? "Uninstall and purge" : "Uninstall", steps)), notes };
}
