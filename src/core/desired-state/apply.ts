// Runs `apply`: decide (plan.ts), show the plan for --dry-run, else phase A (containerd
// through the lifecycle engine, with the settings written before it starts) and phase B
// (one journaled plan under the lock), then report per item what changed.
import type { RunContext } from "../plan/run-context.ts";
import { CONTAINERD_UNIT } from "../os/paths.ts";
import type { StepOutcome } from "../plan/steps.ts";
import { applyPlan, ApplyError } from "../plan/execute.ts";
import { UserError } from "../os/errors.ts";
import { diagnoseStart } from "../systemd/diagnose.ts";
import { environmentValues, serviceEnvironment } from "../systemd/service-environment.ts";
import { previewPlan, renderPlan, renderPreviews, unifiedDiff } from "../plan/render.ts";
import { withRunLock } from "../plan/recover.ts";
import { interruptedOr } from "../plan/interrupt.ts";
import { planInstall } from "../lifecycle/install-plan.ts";
import { install } from "../lifecycle/install.ts";
import { uninstall } from "../lifecycle/uninstall.ts";
import type { RootlessKitFacts } from "../rootlesskit/facts.ts";
import type { ParsedDesiredState } from "./parse.ts";
import { installComponents } from "../components/actions.ts";
import { resolveRequest } from "../components/provision.ts";
import { activeVersion } from "../components/store.ts";
import { settingsFileSteps } from "../rootlesskit/configure-steps.ts";
import { isContainerdRestart } from "../containerd/restart.ts";
import { decideApply, phaseASteps, phaseBSteps, type ApplyDecision, type ApplyItem, type ApplyReport } from "./plan.ts";
import { proxyWarnings } from "../rootlesskit/proxy.ts";
import { changedSettings, plural, summaryLine } from "../lifecycle/summary.ts";

/** `apply -f`'s own options (not the plan engine's ApplyOptions). */
export interface RunApplyOptions {
  dryRun?: boolean;
  /** RootlessKit facts (tests); probed when absent */
  facts?: RootlessKitFacts;
}

/** One entry per managed part of the file, with what apply does to it. */
export function planItems(d: ApplyDecision): ApplyItem[] {
  const items: ApplyItem[] = [];
  items.push({ item: "containerd", action: d.containerd.action, changed: d.containerd.action !== "none", detail: d.containerd.installed ? (d.containerd.active ? "installed, running" : "installed, not running") : "not installed" });
  if (d.settings) items.push({ item: "settings", action: d.settings.changed ? "update" : "none", changed: d.settings.changed, detail: d.settings.path, diff: d.settings.diff || undefined });
  for (const a of d.addons.install) items.push({ item: `addon:${a.id}`, action: "install", changed: true, detail: Object.entries(a.options).map(([k, v]) => `${k}=${v}`).join(" ") || undefined });
  for (const id of d.addons.remove) items.push({ item: `addon:${id}`, action: "remove", changed: true });
  for (const id of d.addons.keep) items.push({ item: `addon:${id}`, action: "none", changed: false });
  if (d.snapshotter) {
    const { from, to, before, after } = d.snapshotter;
    items.push({ item: "snapshotter", action: from === to ? "none" : "set", changed: from !== to, detail: from === to ? to : `${from} -> ${to}`, diff: unifiedDiff(d.snapshotter.path, before, after) || undefined });
  }
  return items;
}

/** What the run changed, in the words of the other commands' summary line (lifecycle/summary.ts). */
export function applyParts(items: readonly ApplyItem[]): string[] {
  const parts: string[] = [];
  for (const i of items.filter((x) => x.changed)) {
    if (i.item === "components") parts.push(`nerdctl-full ${(i.detail ?? "").replace(/^nerdctl-full /, "").split(" -> ").at(-1)} active`);
    else if (i.item === "containerd") parts.push({ install: "containerd installed and running", uninstall: "containerd uninstalled", update: "containerd updated and restarted" }[i.action as string] ?? "containerd changed");
    else if (i.item === "settings") parts.push(`${plural(Math.max(1, changedSettings(i.diff ?? "").length), "setting")} changed`);
    else if (i.item === "snapshotter") parts.push(`nerdctl's default snapshotter ${i.detail}`);
  }
  const addons = (action: string) => items.filter((x) => x.changed && x.action === action && x.item.startsWith("addon:")).map((x) => x.item.slice("addon:".length));
  if (addons("install").length) parts.push(`${addons("install").join(", ")} added`);
  if (addons("remove").length) parts.push(`${addons("remove").join(", ")} removed`);
  return parts;
}

const restartedContainerd = (steps: StepOutcome[]) => steps.some((s) => s.changed && /^systemctl --user (re)?start containerd\.service$/.test(s.target));

export async function runApply(ctx: RunContext, parsed: ParsedDesiredState, opts: RunApplyOptions = {}): Promise<ApplyReport> {
  const { host, paths, reporter } = ctx;
  let d = await decideApply(host, paths, parsed, opts.facts);
  const items = planItems(d);
  const components = parsed.state.components;
  if (components) {
    const want = resolveRequest(host, components).version;
    const active = await activeVersion(host, paths);
    items.unshift({ item: "components", action: active === want ? "none" : "install", changed: active !== want, detail: active === want ? `nerdctl-full ${want}` : `nerdctl-full ${active ?? "(none)"} -> ${want}` });
  }
  const base = { command: "apply" as const, file: parsed.file, format: parsed.format };
  // a loopback proxy containerd cannot reach is worth saying, but not a reason to refuse the file
  const proxy = d.settings ? proxyWarnings(d.settings.effective, d.settings.settings) : [];
  for (const w of proxy) reporter.warn(w);

  if (opts.dryRun) {
    reporter.info(`Dry run of ${parsed.file}: nothing is changed.`);
    for (const i of items) {
      reporter.info(`${i.item}: ${i.action === "none" ? "as desired" : i.action}${i.detail ? ` (${i.detail})` : ""}`);
      if (i.diff) reporter.plain(i.diff);
    }
    const warnings: string[] = [...proxy];
    if (d.containerd.action === "install") {
      reporter.info("containerd plan (after the checks):");
      reporter.plain(renderPreviews(await previewPlan(host, phaseASteps(d.settings, await planInstall(host, paths)))));
      if (d.addons.install.length) reporter.info(`The add-ons' steps are planned once containerd runs: ${d.addons.install.map((a) => a.id).join(", ")}.`);
    } else if ((d.containerd.action === "none" || d.containerd.action === "update") && d.containerd.active) {
      const b = await phaseBSteps(host, paths, d, false, false);
      warnings.push(...b.warnings);
      for (const w of b.warnings) reporter.warn(w);
      if (b.steps.length) reporter.plain(await renderPlan(host, b.steps));
    }
    return { ...base, dryRun: true, changed: false, restartedContainerd: false, items, steps: [], warnings };
  }

  // phase 0: the bundle the service runs (fetched, verified, switched with rollback), so that
  // phase A writes a unit with it on PATH
  const steps: StepOutcome[] = [];
  if (components && items[0]!.changed) {
    const r = await installComponents(ctx, components);
    steps.push({ kind: "run", description: `Activate nerdctl-full ${r.active}`, result: r.changed ? `nerdctl-full ${r.active} is active` : `nerdctl-full ${r.active} was already active`, changed: r.changed, target: "components", ms: 0 });
    d = await decideApply(host, paths, parsed, opts.facts); // the unit's PATH now names the bundle
  }

  // phase A: containerd itself
  let settingsDone = false;
  let restartedInA = false;
  if (d.containerd.action === "install") {
    if (d.settings?.changed) {
      steps.push(...(await withRunLock(host, paths, { purpose: "apply" }, reporter, () => applyPlan(host, settingsFileSteps(d.settings!), { signal: ctx.signal }).catch((e) => Promise.reject(interruptedOr(e))))).steps);
      settingsDone = true;
    }
    try {
      const r = await install(ctx, {});
      const outcomes = r.steps as StepOutcome[];
      steps.push(...outcomes);
      restartedInA = restartedContainerd(outcomes);
    } catch (e) {
      if (settingsDone) {
        const s = d.settings!;
        await (s.before === null ? host.remove(s.path) : host.writeFileAtomic(s.path, s.before, 0o644)).catch(() => {});
        reporter.warn(`Restored ${s.path}`);
      }
      throw e;
    }
  } else if (d.containerd.action === "uninstall") {
    const r = await uninstall(ctx, {});
    steps.push(...(r.steps as StepOutcome[]));
  }

  // Phase A is complete and consistent by itself (containerd installed and answering, or
  // uninstalled): an interrupt in phase B undoes phase B only and names what phase A kept.
  const keptFromA: string[] = [];
  if (steps.some((s) => s.changed)) {
    if (settingsDone) keptFromA.push(`the settings in ${d.settings!.path}`);
    keptFromA.push(d.containerd.action === "uninstall" ? `${CONTAINERD_UNIT} uninstalled` : `${CONTAINERD_UNIT} installed and running`);
  }

  // phase B: settings of a running containerd, add-ons, snapshotter, at most one restart
  const warnings: string[] = [...proxy];
  const b = await withRunLock(host, paths, { purpose: "apply" }, reporter, async () => {
    const plan = await phaseBSteps(host, paths, d, settingsDone, restartedInA);
    warnings.push(...plan.warnings);
    for (const w of plan.warnings) reporter.warn(w);
    if (plan.steps.some(isContainerdRestart)) {
      reporter.info(`${CONTAINERD_UNIT} will be restarted once to apply the changes (running containers stop).`);
    }
    const launch = await planInstall(host, paths);
    let result;
    try {
      result = await applyPlan(host, plan.steps, {
        onEvent: (e) => {
          if (e.type === "done" && e.outcome.changed) reporter.info(e.outcome.description);
          if (e.type === "rollback") reporter.warn(`Undoing: ${e.description}`);
        },
        signal: ctx.signal,
        // containerd did not come back: say why while the failed state is still there
        beforeRollback: async (f) => {
          if (f.cancelled || (f.step.kind !== "wait" && !(f.step.kind === "systemctl" && f.step.args.includes(CONTAINERD_UNIT)))) return undefined;
          // what systemd recorded, and the launcher's checks with the service's environment (nothing started)
          return diagnoseStart(host, CONTAINERD_UNIT, { argv: launch.execStart, env: environmentValues(await serviceEnvironment(host, paths)) });
        },
      });
    } catch (e) {
      if (!(e instanceof ApplyError) || e.failure.cancelled) throw interruptedOr(e, keptFromA);
      throw new UserError(
        [`applying ${parsed.file} failed: ${e.message}`, ...(e.failure.output ? [e.failure.output] : []), ...(e.diagnostics ? ["", e.diagnostics] : []), "", e.rolledBack.length ? `Undone: ${e.rolledBack.join("; ")}.` : "Nothing had been changed in this phase."].join("\n"),
        "Fix the cause shown above (`containerd-rootless-systemd configure --show` lists the settings in effect) and run apply again.",
      );
    }
    for (const n of plan.notes) reporter.info(n);
    return result;
  });
  steps.push(...b.steps);

  const changed = steps.some((s) => s.changed);
  reporter.info(changed ? `Applied ${parsed.file}. Summary: ${summaryLine(applyParts(items))}.` : `${parsed.file}: everything is already as desired; nothing changed.`);
  return { ...base, dryRun: false, changed, restartedContainerd: restartedContainerd(steps), items, steps, warnings };
}
