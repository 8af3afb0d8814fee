// The plan for what the user chose, composed from the engine's planners in the order the
// headless commands use: RootlessKit settings (the override drop-in), then containerd
// (planInstall, exactly what `install` applies), then each add-on's own install or
// uninstall plan. The review screen and the headless path therefore show the same steps.
import type { Host } from "../../src/core/host.ts";
import type { Paths } from "../../src/core/paths.ts";
import { BINARY_NAME, CONTAINERD_UNIT } from "../../src/core/paths.ts";
import type { Step } from "../../src/core/plan.ts";
import { planInstall } from "../../src/core/install-plan.ts";
import { planUninstall } from "../../src/core/uninstall.ts";
import { planConfigure } from "../../src/core/rootlesskit-configure.ts";
import { containerdReadyStep, serviceStateDir } from "../../src/core/containerd-ready.ts";
import { dropInSettings, readDropIns } from "../../src/core/rootlesskit-dropin.ts";
import { SETTINGS, type RawSettings } from "../../src/core/rootlesskit-settings.ts";
import { plugins, type PluginContext } from "../../src/plugins/registry.ts";
import { composeSteps, planAddons } from "../../src/core/addons.ts";
import type { EnvironmentFacts as Facts } from "../../src/core/checks/facts.ts";
import type { Choices, PlanView } from "./types.ts";
import { planView } from "./plan-view.ts";

/** The override drop-in's steps for the chosen settings (planConfigure: what `configure` plans); [] when unchanged. */
export async function settingsSteps(host: Host, paths: Paths, wanted: RawSettings): Promise<Step[]> {
  const current: RawSettings = Object.assign({}, ...(await readDropIns(host, paths)).map((d) => dropInSettings(d.text)));
  const reset = SETTINGS.filter((s) => current[s.key] !== undefined && wanted[s.key] === undefined).map((s) => s.key);
  const plan = await planConfigure(host, paths, { set: wanted, reset });
  if (!plan.changed) return [];
  const write: Step = plan.after === null ? { kind: "remove", path: plan.path, why: "RootlessKit settings back to their defaults" } : { kind: "write", path: plan.path, content: plan.after, mode: 0o644, why: "RootlessKit settings" };
  return [write];
}

export async function planForChoices(host: Host, paths: Paths, choices: Choices): Promise<PlanView> {
  const ctx: PluginContext = { host, paths };
  const settings = await settingsSteps(host, paths, choices.settings as RawSettings);
  const install = await planInstall(host, paths);
  const reloads = install.steps.some((s) => s.kind === "systemctl" && s.args[0] === "daemon-reload");
  const reload: Step[] = settings.length && !reloads ? [{ kind: "systemctl", args: ["daemon-reload"], why: "load the changed settings" }] : [];
  // settings first, so the install's daemon-reload and start already use them
  const steps: Step[] = [...settings, ...reload, ...install.steps];
  // new settings for a running containerd that the install plan does not (re)start
  if (settings.length && !install.steps.some((s) => s.kind === "systemctl" && /^(re)?start$/.test(s.args[0]!))) {
    steps.push({ kind: "systemctl", args: ["restart", CONTAINERD_UNIT], undo: ["restart", CONTAINERD_UNIT], undoLate: true, why: "run containerd with the new settings" });
    steps.push(containerdReadyStep(paths, await serviceStateDir(host, paths)));
  }
  const all = plugins();
  const installed = new Map(await Promise.all(all.map(async (p) => [p.id, (await p.status(ctx).catch(() => ({ installed: false }))).installed] as const)));
  const installing = all.filter((p) => choices.addons.includes(p.id) && !installed.get(p.id)).map((p) => p.id);
  const removing = all.filter((p) => !choices.addons.includes(p.id) && installed.get(p.id)).map((p) => p.id);
  const starts = install.steps.some((s) => s.kind === "systemctl" && s.args[0] === "start");
  if (starts && (installing.length || removing.length)) {
    // add-ons that run in containerd's namespace are planned against a running containerd:
    // containerd first, then their own plan, reviewed before it is applied
    const view = await planView(host, "Install containerd (add-ons next)", composeSteps([steps]));
    return { ...view, deferred: [...installing, ...removing] };
  }
  // the same planner as `install ADDON...` / `uninstall ADDON...`
  const off = removing.length ? await planAddons(host, paths, removing, "uninstall") : null;
  const on = installing.length ? await planAddons(host, paths, installing, "install", choices.addonOptions) : null;
  const all2 = composeSteps([steps, off?.steps ?? [], on?.steps ?? []]);
  const notes = [...(off?.notes ?? []), ...(on?.warnings ?? []).map((w) => `Warning: ${w}`), ...(on?.notes ?? [])];
  const title = installing.length || removing.length ? `Install containerd${installing.length ? `, add ${installing.join(", ")}` : ""}${removing.length ? `, remove ${removing.join(", ")}` : ""}` : "Install containerd";
  return { ...(await planView(host, title, all2)), notes };
}

/** The seed's closing lines after an install, plus the add-ons' notes. */
export function nextStepsFor(facts: Facts, plan: PlanView | null): string[] {
  const lines = [
    `To control ${CONTAINERD_UNIT}, run: \`systemctl --user (start|stop|restart) ${CONTAINERD_UNIT}\``,
    facts.linger ? `Linger is on: ${CONTAINERD_UNIT} starts with the system.` : `To run ${CONTAINERD_UNIT} on system startup, run: \`sudo loginctl enable-linger ${facts.user}\``,
    "Use `nerdctl` to connect to the rootless containerd (no $CONTAINERD_ADDRESS needed), e.g. `nerdctl run -it --rm alpine`.",
  ];
  lines.push(
    facts.snapshotter === "overlayfs"
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
