// `apply -f FILE`: converge this machine to a desired-state file (parse.ts).
// Everything is decided and validated before anything changes: the settings through the
// configure engine (against the installed RootlessKit), the add-ons' availability, the
// snapshotter. Then, in two phases:
//   A. containerd itself: the settings drop-in is written first, so that a fresh install
//      starts with them; then the lifecycle engine installs (or uninstalls) containerd.
//   B. with containerd running (add-ons need it to plan): the settings of a running
//      containerd, add-ons removed and installed through the add-on engine, nerdctl's
//      default snapshotter, and at most one containerd restart at the end, after which the
//      running RootlessKit is checked for the new settings. One journal: a failure rolls B back.
// Idempotent: a second run finds nothing to do and reports changed: false.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT, backupPath, unitPath } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import type { Step, StepOutcome } from "../plan/steps.ts";
import { previewPlan } from "../plan/render.ts";
import { isActive, unitStates } from "../systemd/units.ts";
import { planInstall } from "../lifecycle/install-plan.ts";
import { SettingsError, SETTINGS, type RawSettings } from "../rootlesskit/settings.ts";
import { planConfigure, type ConfigurePlan } from "../rootlesskit/configure.ts";
import { restartForSettings, settingsFileSteps, settingsInEffectStep } from "../rootlesskit/configure-steps.ts";
import { isContainerdRestart } from "../containerd/restart.ts";
import { restartedAddonWaits } from "../containerd/addon-waits.ts";
import { rootlesskitFlags } from "../rootlesskit/resolve.ts";
import { dropInSettings, overridePath, unitSpecifiers } from "../rootlesskit/dropin.ts";
import type { RootlessKitFacts } from "../rootlesskit/facts.ts";
import { composeSteps, planAddons } from "../lifecycle/addons.ts";
import { currentSnapshotter, setSnapshotter } from "../containerd/nerdctl-config.ts";
import { containerdReadyStep } from "../containerd/ready.ts";
import { networkWorksStep } from "../rootlesskit/network-health.ts";
import { userConfigFile } from "../containerd/proxy-plugins.ts";
import { getPlugin, plugins, snapshotterIds } from "../../plugins/registry.ts";
import { ADDON_SNAPSHOTTERS, DesiredStateError, settingFileKey, type DesiredAddon, type DesiredProblem, type ParsedDesiredState } from "./parse.ts";

export type ItemAction = "install" | "uninstall" | "update" | "remove" | "set" | "none";

export interface ApplyItem {
  /** "containerd", "settings", "addon:<id>", "snapshotter" */
  item: string;
  action: ItemAction;
  changed: boolean;
  detail?: string;
  diff?: string;
}

/** What apply will do, decided from the machine's state; nothing is changed while deciding. */
export interface ApplyDecision {
  /** the desired-state file, for problems found later */
  file: string;
  /** install: not installed or not running (phase A, with the checks); update: running, its unit or binary changed (phase B, so its restart is the one restart) */
  containerd: { action: "install" | "update" | "uninstall" | "none"; installed: boolean; active: boolean };
  settings?: ConfigurePlan;
  addons: { install: DesiredAddon[]; remove: string[]; keep: string[] };
  snapshotter?: { path: string; from: string; to: string; before: string | null; after: string | null };
  /**
   * The snapshotter add-on the run makes nerdctl's default: none when the file's `snapshotter`
   * key decides; else the last one newly installed. An add-on already here never takes the
   * default back, so applying the same file again changes nothing.
   */
  snapshotterDefault: string | null;
}

/**
 * The add-ons whose files are here: removing them would change a file (their unit, their
 * containerd drop-in). detach-netns is a setting of containerd.service, not counted here.
 */
export async function presentAddons(host: Host, paths: Paths): Promise<string[]> {
  const out: string[] = [];
  for (const p of plugins()) {
    if (p.runs === "none") continue;
    const plan = await p.uninstallPlan({ host, paths }).catch(() => null);
    const files = plan?.steps.filter((s) => s.kind === "write" || s.kind === "remove") ?? [];
    if ((await previewPlan(host, files)).some((x) => x.willChange)) out.push(p.id);
  }
  return out;
}

/**
 * Would installing `addon` as desired change anything? (status not working, or a file of its plan
 * differs). Planned without touching nerdctl's default: that is the `snapshotter` key's to decide.
 */
async function addonNeedsInstall(host: Host, paths: Paths, addon: DesiredAddon): Promise<boolean> {
  const plugin = getPlugin(addon.id)!;
  const st = await plugin.status({ host, paths }).catch(() => ({ installed: false }));
  if (!st.installed) return true;
  const plan = await plugin.installPlan({ host, paths, batch: { installing: [addon.id], removing: [], snapshotterDefault: null } }, addon.options);
  const files = plan.steps.filter((s) => (s.kind === "write" && !s.path.startsWith(paths.backupDir)) || s.kind === "remove");
  return (await previewPlan(host, files)).some((p) => p.willChange);
}

/**
 * The configure request that makes override.conf say exactly `desired`: only keys whose value
 * differs are set, only keys it sets are reset, so a converged file's text is left as written.
 */
async function settingsRequest(host: Host, paths: Paths, desired: RawSettings) {
  const current = dropInSettings((await host.readText(overridePath(paths))) ?? "", unitSpecifiers(paths));
  const keys = SETTINGS.map((s) => s.key);
  const set: RawSettings = {};
  for (const k of keys) if (desired[k] !== undefined && desired[k] !== current[k]) set[k] = desired[k];
  return { set, reset: keys.filter((k) => desired[k] === undefined && current[k] !== undefined) };
}

/** Decides everything; refuses (DesiredStateError naming key and line) what cannot work here. */
export async function decideApply(host: Host, paths: Paths, parsed: ParsedDesiredState, facts?: RootlessKitFacts): Promise<ApplyDecision> {
  const { state } = parsed;
  const problems: DesiredProblem[] = [];
  const at = (key: string, path: Parameters<typeof parsed.position>[0]) => ({ key, position: parsed.position(path) });

  const [unit] = await unitStates(host, [CONTAINERD_UNIT]);
  const installed = (await host.readText(unitPath(paths, CONTAINERD_UNIT))) !== null;
  const active = isActive(unit!);
  let action: ApplyDecision["containerd"]["action"] = "none";
  if (state.containerd?.installed === true) {
    if (!installed || !active) action = "install";
    else if (await serviceDiffers(host, paths)) action = "update";
  } else if (state.containerd?.installed === false && installed) action = "uninstall";

  let settings: ConfigurePlan | undefined;
  if (state.settings) {
    try {
      settings = await planConfigure(host, paths, await settingsRequest(host, paths, state.settings), facts);
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      for (const p of e.problems) {
        const key = settingFileKey(p.key);
        problems.push({ ...at(`settings.${key}`, ["settings", key]), message: p.message });
      }
    }
  }

  const present = await presentAddons(host, paths);
  const willRun = state.containerd?.installed ?? installed;
  const addons: ApplyDecision["addons"] = { install: [], remove: [], keep: [] };
  if (state.addons && willRun) {
    for (const a of state.addons) {
      const avail = await getPlugin(a.id)!.availability({ host, paths }).catch((e: Error) => ({ available: false, reason: e.message }));
      if (!avail.available) {
        problems.push({ key: `addons: ${a.id}`, position: a.at, message: `cannot be installed here: ${avail.reason}` });
        continue;
      }
      const needs = !present.includes(a.id) || !active || action !== "none" || (await addonNeedsInstall(host, paths, a));
      if (needs) addons.install.push(a);
      else addons.keep.push(a.id);
    }
    addons.remove = present.filter((id) => !state.addons!.some((a) => a.id === id));
  }
  if (state.snapshotter && ADDON_SNAPSHOTTERS.includes(state.snapshotter) && !state.addons && !present.includes(state.snapshotter)) {
    problems.push({ ...at("snapshotter", ["snapshotter"]), message: `"${state.snapshotter}" needs the ${state.snapshotter} add-on, which is not installed; list it under addons` });
  }
  if (problems.length) throw new DesiredStateError(parsed.file, problems);

  let snapshotter: ApplyDecision["snapshotter"];
  if (state.snapshotter) {
    // through a symbolic link (dotfiles managers): its target is edited, the link stays
    const { file, text: before } = await userConfigFile(host, paths.nerdctlConfig);
    const from = currentSnapshotter(before, file).value ?? "overlayfs";
    snapshotter = { path: file, from, to: state.snapshotter, before, after: from === state.snapshotter ? before : setSnapshotter(before, state.snapshotter, file) };
  }
  const added = addons.install.map((a) => a.id).filter((id) => snapshotterIds().includes(id) && !present.includes(id));
  const snapshotterDefault = state.snapshotter ? null : (plugins().map((p) => p.id).filter((id) => added.includes(id)).at(-1) ?? null);
  return { file: parsed.file, containerd: { action, installed, active }, settings, addons, snapshotter, snapshotterDefault };
}

/**
 * Phase A's plan as one list (the UI's review and `apply --dry-run` show it): the settings
 * drop-in, then `install`'s own plan. Its daemon-reload covers the drop-in, as does the start of a
 * unit systemd has not loaded yet (it reads the drop-ins then): at most one reload.
 */
export function phaseASteps(settings: ConfigurePlan | undefined, install: { steps: readonly Step[]; loadsFresh: boolean }): Step[] {
  const reloads = install.loadsFresh || install.steps.some((s) => s.kind === "systemctl" && s.args[0] === "daemon-reload");
  const first = settings ? settingsFileSteps(settings) : [];
  return [...(reloads ? first.filter((s) => s.kind !== "systemctl") : first), ...install.steps];
}

/** Phase B's steps: settings of a running containerd, add-ons, snapshotter, one restart, the check. */
export async function phaseBSteps(host: Host, paths: Paths, d: ApplyDecision, settingsDone: boolean, restartedInA: boolean): Promise<{ steps: Step[]; warnings: string[]; notes: string[] }> {
  const lists: Step[][] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  const settingsChanged = Boolean(d.settings?.changed);
  if (d.settings && !settingsDone) lists.push(settingsFileSteps(d.settings));
  if (d.containerd.action === "update") lists.push((await planInstall(host, paths)).steps);
  if (d.addons.remove.length) {
    const p = await planAddons(host, paths, d.addons.remove, "uninstall");
    lists.push(p.steps);
    warnings.push(...p.warnings);
  }
  for (const a of d.addons.install) {
    try {
      const p = await planAddons(host, paths, [a.id], "install", { [a.id]: a.options }, d.snapshotterDefault);
      lists.push(p.steps);
      warnings.push(...p.warnings);
      notes.push(...p.notes);
    } catch (e) {
      if (e instanceof UserError && !(e instanceof DesiredStateError)) throw new DesiredStateError(d.file, [{ key: `addons: ${a.id}`, position: a.at, message: e.message + (e.fix ? ` (${e.fix})` : "") }]);
      throw e;
    }
  }
  const [s] = await unitStates(host, [CONTAINERD_UNIT]);
  const running = Boolean(s && isActive(s));
  if (settingsChanged && running && !restartedInA) {
    lists.push([restartForSettings(paths), containerdReadyStep(paths)]);
  }
  if (d.snapshotter) {
    const { path, before, after, to } = d.snapshotter;
    if (after !== before) lists.push([after === null ? { kind: "remove", path, why: "nerdctl's default snapshotter" } : { kind: "write", path, content: after, mode: 0o644, backupTo: before === null ? undefined : backupPath(paths, path), why: `nerdctl uses ${to} by default` }]);
  }
  if (settingsChanged && running && d.settings) lists.push([settingsInEffectStep(paths, rootlesskitFlags(d.settings.settings)), networkWorksStep(paths)]);
  // a containerd restart restarts the running add-ons that are PartOf it: each must answer again (the
  // ones this run installs have their own waits; composeSteps puts all of them after the last restart)
  if (lists.flat().some(isContainerdRestart)) lists.push(await restartedAddonWaits(host, paths));
  return { steps: composeSteps(lists), warnings, notes };
}

export interface ApplyReport {
  command: "apply";
  file: string;
  format: string;
  dryRun: boolean;
  changed: boolean;
  restartedContainerd: boolean;
  items: ApplyItem[];
  steps: StepOutcome[];
  warnings: string[];
}

/** Whether install would change the service (shell completion files alone are no reason to update it). */
async function serviceDiffers(host: Host, paths: Paths): Promise<boolean> {
  const plan = await planInstall(host, paths);
  return (await previewPlan(host, plan.steps.filter((s) => !plan.completionSteps.includes(s)))).some((p) => p.willChange);
}
