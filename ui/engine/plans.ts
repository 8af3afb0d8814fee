// The plan for what the user chose, composed from the engine's planners in the order the
// headless commands use: RootlessKit settings (the override drop-in), then containerd
// (planInstall, exactly what `install` applies), then each add-on's own install or
// uninstall plan. The review screen and the headless path therefore show the same steps.
import type { Host } from "../../src/core/host.ts";
import type { Paths } from "../../src/core/paths.ts";
import { CONTAINERD_UNIT } from "../../src/core/paths.ts";
import type { Step } from "../../src/core/plan.ts";
import { planInstall } from "../../src/core/install-plan.ts";
import { containerdRemovalSteps } from "./uninstall-steps.ts";
import { containerdReadyStep, serviceStateDir } from "../../src/core/containerd-ready.ts";
import { overridePath, updateDropIn, dropInSettings, isEmptyDropIn } from "../../src/core/rootlesskit-dropin.ts";
import { parseSettings, SETTINGS, type RawSettings, type SettingKey } from "../../src/core/rootlesskit-settings.ts";
import { resolveSettings } from "../../src/core/rootlesskit.ts";
import { probeRootlessKitFacts } from "../../src/core/rootlesskit-facts.ts";
import { plugins, type PluginContext } from "../../src/plugins/registry.ts";
import type { EnvironmentFacts as Facts } from "../../src/core/checks/facts.ts";
import type { Choices, PlanView } from "./types.ts";
import { planView } from "./plan-view.ts";

/** The override drop-in's steps for the chosen settings; [] when they are already so. */
export async function settingsSteps(host: Host, paths: Paths, wanted: RawSettings): Promise<Step[]> {
  const file = overridePath(paths);
  const text = (await host.readText(file)) ?? "";
  const current = dropInSettings(text);
  const changes: Partial<Record<SettingKey, string | null>> = {};
  for (const s of SETTINGS) {
    const want = wanted[s.key];
    if (want !== current[s.key]) changes[s.key] = want ?? null;
  }
  if (Object.keys(changes).length === 0) return [];
  // refuse what `configure` would refuse, before anything is planned
  resolveSettings(parseSettings(wanted), await probeRootlessKitFacts(host), paths);
  const next = updateDropIn(text, changes);
  const write: Step = isEmptyDropIn(next) ? { kind: "remove", path: file, why: "RootlessKit settings back to their defaults" } : { kind: "write", path: file, content: next, mode: 0o644, why: "RootlessKit settings" };
  return [write, { kind: "systemctl", args: ["daemon-reload"], why: "load the changed settings" }];
}

export async function planForChoices(host: Host, paths: Paths, choices: Choices): Promise<PlanView> {
  const ctx: PluginContext = { host, paths };
  const settings = await settingsSteps(host, paths, choices.settings as RawSettings);
  const install = await planInstall(host, paths);
  const steps: Step[] = [...settings, ...install.steps.filter((s) => !(settings.length && s.kind === "systemctl" && s.args[0] === "daemon-reload"))];
  // new settings for a running containerd that the install plan does not (re)start
  if (settings.length && !install.steps.some((s) => s.kind === "systemctl" && /^(re)?start$/.test(s.args[0]!))) {
    steps.push({ kind: "systemctl", args: ["restart", CONTAINERD_UNIT], why: "run containerd with the new settings" });
    steps.push(containerdReadyStep(paths, await serviceStateDir(host, paths)));
  }
  const all = plugins();
  const installed = new Map(await Promise.all(all.map(async (p) => [p.id, (await p.status(ctx).catch(() => ({ installed: false }))).installed] as const)));
  const installing = all.filter((p) => choices.addons.includes(p.id) && !installed.get(p.id)).map((p) => p.id);
  const removing = all.filter((p) => !choices.addons.includes(p.id) && installed.get(p.id)).map((p) => p.id);
  const batch = { ...ctx, batch: { installing, removing } };
  const notes: string[] = [];
  for (const id of removing) {
    const p = await all.find((x) => x.id === id)!.uninstallPlan(batch);
    steps.push(...p.steps);
    notes.push(...p.notes);
  }
  for (const id of installing) {
    const p = await all.find((x) => x.id === id)!.installPlan(batch, choices.addonOptions[id] ?? {});
    steps.push(...p.steps);
    notes.push(...p.warnings.map((w) => `Warning: ${w}`), ...p.notes);
  }
  return { ...(await planView(host, installing.length || removing.length ? "Install containerd and add-ons" : "Install containerd", steps)), notes };
}

/** The seed's closing lines after an install, plus the add-ons' notes. */
export function nextStepsFor(facts: Facts, plan: PlanView | null): string[] {
  const lines = [
    `To control ${CONTAINERD_UNIT}, run: \`systemctl --user (start|stop|restart) ${CONTAINERD_UNIT}\``,
    facts.linger ? `Linger is on: ${CONTAINERD_UNIT} starts with the system.` : `To run ${CONTAINERD_UNIT} on system startup, run: \`sudo loginctl enable-linger ${facts.user}\``,
    "Use `nerdctl` to connect to the rootless containerd (no $CONTAINERD_ADDRESS needed), e.g. `nerdctl run -it --rm alpine`.",
  ];
  if (facts.snapshotter !== "overlayfs") lines.push(`overlayfs does not work rootless here: use another snapshotter, e.g. \`export CONTAINERD_SNAPSHOTTER=${facts.snapshotter}\` (or install the fuse-overlayfs add-on).`);
  return [...lines, ...(plan?.notes ?? [])];
}

/**
 * Everything this tool installed, add-ons first, then containerd's unit (only when it is
 * ours). Images and containers are kept.
 */
export async function planForUninstall(host: Host, paths: Paths, _purge: boolean): Promise<PlanView> {
  const ctx: PluginContext = { host, paths };
  const all = plugins();
  const removing: string[] = [];
  for (const p of all) if ((await p.status(ctx).catch(() => ({ installed: false }))).installed) removing.push(p.id);
  const steps: Step[] = [];
  const notes: string[] = [];
  for (const id of removing) {
    const p = await all.find((x) => x.id === id)!.uninstallPlan({ ...ctx, batch: { installing: [], removing } });
    steps.push(...p.steps);
    notes.push(...p.notes);
  }
  steps.push(...(await containerdRemovalSteps(host, paths)));
  notes.push(`Images and containers are kept in ${paths.containerdData}.`);
  return { ...(await planView(host, "Uninstall", steps)), notes };
}
