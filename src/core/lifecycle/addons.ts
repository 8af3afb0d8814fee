// Installing and removing add-ons by name: resolve the names (ids or the seed's verbs), compose
// their plans into one (containerd restarted once, at the end of the last plan that needs it),
// say what will happen (warnings, the restart), apply with rollback, then print the hints.
// The install/uninstall commands and the seed's install-X/uninstall-X verbs all call this.
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { BINARY_NAME, CONTAINERD_UNIT, unitPath } from "../os/paths.ts";
import { isOwned } from "../systemd/units.ts";
import type { Reporter } from "../plan/reporter.ts";
import { UsageError, UserError } from "../os/errors.ts";
import type { ApplyResult, Step } from "../plan/steps.ts";
import { applyPlan, ApplyError, removeEmptyDirs } from "../plan/execute.ts";
import { previewPlan, renderPlan } from "../plan/render.ts";
import { changeParts, summaryLine } from "./summary.ts";
import { withRunLock } from "../plan/recover.ts";
import { interruptedOr } from "../plan/interrupt.ts";
import { getPlugin, plugins, type Plugin, type PluginContext, type PluginStatus } from "../../plugins/registry.ts";
import { bundleBrings } from "../components/contents.ts";
import { DEFAULT_VERSION } from "../components/release.ts";
import { isContainerdRestart as isRestart } from "../containerd/restart.ts";

export type AddonAction = "install" | "uninstall";

export interface AddonRunOptions {
  dryRun?: boolean;
  /** per add-on options, e.g. { buildkit: { worker: "containerd", namespace: "default" } } */
  options?: Record<string, Record<string, string>>;
  /** asked before applying on a terminal (gets the rendered plan); false = do nothing */
  confirm?: (plan: string) => Promise<boolean>;
}

export interface AddonRunResult {
  action: AddonAction;
  addons: string[];
  changed: boolean;
  dryRun: boolean;
  restartsContainerd: boolean;
  warnings: string[];
  notes: string[];
  steps: ApplyResult["steps"];
  plan?: string;
}

/** The plugin for an id or a seed verb ("bypass4netnsd"); UsageError listing the known names otherwise. */
export function resolveAddon(name: string): Plugin {
  const p = getPlugin(name) ?? plugins().find((x) => x.seedVerb === name);
  if (!p) throw new UsageError(`unknown add-on "${name}"`, `Known add-ons: ${plugins().map((x) => x.id).join(", ")} (see \`${BINARY_NAME} plugins\`).`);
  return p;
}

/**
 * `install buildkit stargz --worker=containerd`: each flag goes to the named add-ons that offer
 * an option of that key; a flag none of them takes is a UsageError (nothing is changed).
 */
export function optionsFromFlags(names: string[], flags: Record<string, string | undefined>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const takers = names.map(resolveAddon).filter((p) => p.options?.some((o) => o.key === key));
    if (takers.length === 0) {
      const offering = plugins().filter((p) => p.options?.some((o) => o.key === key)).map((p) => p.id);
      throw new UsageError(`--${key} applies to none of: ${names.join(" ") || "(no add-on named)"}`, offering.length ? `--${key} is an option of ${offering.join(", ")}, e.g. \`${BINARY_NAME} install ${offering[0]} --${key}=...\`` : undefined);
    }
    for (const p of takers) (out[p.id] ??= {})[key] = value;
  }
  return out;
}

export function isAddonName(name: string): boolean {
  return Boolean(getPlugin(name) ?? plugins().find((x) => x.seedVerb === name));
}

const isContainerdWait = (s: Step) => s.kind === "wait" && s.what === "the containerd API";

/**
 * Concatenates plans; of the containerd restarts (each followed by its readiness wait) only the
 * last stays. Every add-on wait that must hold after containerd's restart (an add-on restarted
 * with it) goes after the last containerd readiness wait, once each, so each add-on is proven
 * usable after the restart that actually happens, not one that was dropped; a wait for a unit the
 * plan disables (an add-on it removes) goes.
 */
export function composeSteps(stepLists: Step[][]): Step[] {
  const all = stepLists.flat();
  const removed = new Set(all.flatMap((s) => (s.kind === "systemctl" && s.args[0] === "disable" ? s.args.slice(1).filter((a) => !a.startsWith("-")) : [])));
  const lastRestart = all.findLastIndex(isRestart);
  const kept = all.filter((s, i) => !(s.kind === "wait" && s.unit && removed.has(s.unit)) && (i === lastRestart || !(isRestart(s) || (isContainerdWait(s) && i < lastRestart))));
  const after = (s: Step) => s.kind === "wait" && s.afterContainerdRestart === true;
  if (lastRestart < 0) return kept;
  const moved = kept.filter(after).filter((s, i, list) => list.findIndex((o) => o.kind === "wait" && o.what === (s as { what: string }).what) === i);
  const rest = kept.filter((s) => !after(s));
  const at = Math.max(rest.findLastIndex(isContainerdWait), rest.findLastIndex(isRestart)) + 1;
  return [...rest.slice(0, at), ...moved, ...rest.slice(at)];
}

/** The steps without any containerd restart (for a plan that stops containerd afterwards anyway). */
export function withoutContainerdRestart(steps: Step[]): Step[] {
  return steps.filter((s) => !isRestart(s) && !isContainerdWait(s));
}

/**
 * Plans installing or removing the named add-ons together. Removal goes in reverse listing order.
 * `snapshotterDefault`: which snapshotter add-on becomes nerdctl's default (see becomesDefault).
 */
export async function planAddons(host: Host, paths: Paths, names: string[], action: AddonAction, options: AddonRunOptions["options"] = {}, snapshotterDefault?: string | null) {
  const chosen = [...new Map(names.map((n) => resolveAddon(n)).map((p) => [p.id, p])).values()];
  const order = plugins().map((p) => p.id);
  chosen.sort((a, b) => (order.indexOf(a.id) - order.indexOf(b.id)) * (action === "install" ? 1 : -1));
  const ids = chosen.map((p) => p.id);
  const ctx: PluginContext = { host, paths, batch: { installing: action === "install" ? ids : [], removing: action === "uninstall" ? ids : [], snapshotterDefault } };
  const plans = [];
  for (const p of chosen) plans.push(action === "install" ? await p.installPlan(ctx, options[p.id] ?? {}) : await p.uninstallPlan(ctx));
  return {
    ids,
    steps: composeSteps(plans.map((p) => p.steps)),
    warnings: plans.flatMap((p) => p.warnings),
    notes: plans.flatMap((p) => p.notes),
    restartsContainerd: plans.some((p) => p.restartsContainerd),
    emptyDirs: [...new Set(plans.flatMap((p) => p.emptyDirs ?? []))],
  };
}

/** Plan, tell, apply, report. Throws UserError/ApplyError on refusal or failure (nothing left half-done). */
export async function runAddons(ctx: { host: Host; paths: Paths; reporter: Reporter; signal?: AbortSignal }, names: string[], action: AddonAction, opts: AddonRunOptions = {}): Promise<AddonRunResult> {
  if (names.length === 0) throw new UsageError(`name the add-ons to ${action}`, `Known add-ons: ${plugins().map((x) => x.id).join(", ")}`);
  const { host, paths, reporter } = ctx;
  return withRunLock(host, paths, { purpose: `${action} ${names.join(" ")}` }, reporter, async () => {
    const plan = await planAddons(host, paths, names, action, opts.options);
    for (const w of plan.warnings) reporter.warn(w);
    const base = { action, addons: plan.ids, dryRun: Boolean(opts.dryRun), restartsContainerd: plan.restartsContainerd, warnings: plan.warnings, notes: plan.notes };
    if (opts.dryRun || opts.confirm) {
      const rendered = await renderPlan(host, plan.steps);
      if (opts.dryRun) {
        reporter.plain(rendered);
        return { ...base, changed: false, steps: [], plan: rendered };
      }
      if (!(await opts.confirm!(rendered))) {
        reporter.info("Nothing was changed.");
        return { ...base, changed: false, steps: [] };
      }
    }
    const previews = await previewPlan(host, plan.steps);
    if (plan.restartsContainerd) reporter.info(`${CONTAINERD_UNIT} will be restarted so that it reads its new configuration (running containers keep running; their management reconnects).`);
    const result = await applyPlan(host, plan.steps, {
      onEvent: (e) => {
        // a step's label; a wait says what it found ("… answered after 0.42 s")
        if (e.type === "done" && (e.outcome.changed || e.step.kind === "wait")) reporter.info(e.step.kind === "wait" ? e.outcome.result : e.outcome.description);
        if (e.type === "progress" && e.step.kind === "wait") reporter.info(`Still waiting for ${e.step.what} (${Math.round(e.elapsedMs / 1000)} s)`);
        if (e.type === "rollback") reporter.warn(`Rolling back: ${e.description}`);
      },
      signal: ctx.signal,
    }).catch((e) => Promise.reject(addonFailure(e)));
    await removeEmptyDirs(host, plan.emptyDirs);
    for (const id of plan.ids) reporter.info(`${action === "install" ? "Installed" : "Removed"} ${resolveAddon(id).title}${result.changed ? "" : " (nothing to change)"}.`);
    for (const n of plan.notes) reporter.info(n);
    if (result.changed) reporter.info(`Summary: ${summaryLine(changeParts({ steps: plan.steps, previews, home: host.env.HOME, ...(action === "install" ? { addonsAdded: plan.ids } : { addonsRemoved: plan.ids }) }))}.`);
    return { ...base, changed: result.changed, steps: result.steps };
  });
}

/**
 * A failed step as the user sees it: what failed, the add-on's status and its last answer (a
 * readiness wait's explanation), and what was undone. A cancelled run stays an interruption.
 */
function addonFailure(e: unknown): unknown {
  if (!(e instanceof ApplyError) || e.failure.cancelled) return interruptedOr(e);
  const lines = [e.message, ...(e.failure.output ? ["", e.failure.output] : []), "", e.rolledBack.length ? `Undone: ${e.rolledBack.join("; ")}.` : "Nothing had been changed."];
  return new UserError(lines.join("\n"), e.fix ?? "Fix the cause shown above and run the command again.");
}

/** Add-ons whose files are present (what `uninstall` with no names removes before containerd). */
export async function installedAddons(host: Host, paths: Paths): Promise<string[]> {
  // each add-on's removal planned at once (they only read), kept in the registry's order
  const found = await Promise.all(
    plugins().map(async (p) => {
      if (p.runs === "none") return null; // settings of containerd.service go with its own removal
      const plan = await p.uninstallPlan({ host, paths }).catch((e: Error) => e);
      if (plan instanceof Error) {
        // a unit that is not ours: not installed by us. Our unit whose removal cannot be planned
        // (e.g. config.toml no longer parses): refused, rather than left behind while containerd goes
        const unit = p.unit ? await host.readText(unitPath(paths, p.unit)).catch(() => null) : null;
        if (isOwned(unit)) throw plan;
        return null;
      }
      return plan.steps.some((s) => s.kind === "remove" || s.kind === "write") ? p.id : null;
    }),
  );
  return found.filter((id): id is string => id !== null);
}

export interface AddonListing {
  id: string;
  title: string;
  summary: string;
  unit?: string;
  runs: Plugin["runs"];
  available: boolean;
  reason?: string;
  /** missing here, but the nerdctl-full release `install --components` fetches brings it: "nerdctl-full v2.2.2" */
  via?: string;
  requires: Plugin["requires"];
  options: { key: string; label: string; choices?: string[]; default?: string }[];
  status?: PluginStatus;
}

/**
 * Every add-on with its availability here (and, with `withStatus`, its status). An add-on missing
 * here whose programs the default nerdctl-full release brings (components/contents.ts) says so
 * in `via`; with `components` (as if `install --components` fetched it) it counts as available.
 */
export async function listAddons(host: Host, paths: Paths, withStatus = false, opts: { components?: boolean } = {}): Promise<AddonListing[]> {
  const ctx: PluginContext = { host, paths };
  return Promise.all(
    plugins().map(async (p) => {
      let a: { available: boolean; reason?: string; via?: string; beyondPrograms?: boolean } = await p.availability(ctx).catch((e: Error) => ({ available: false, reason: e.message }));
      if (!a.available && !a.beyondPrograms && bundleBrings(DEFAULT_VERSION, p.requires)) a = opts.components ? { available: true, via: `nerdctl-full v${DEFAULT_VERSION}` } : { ...a, via: `nerdctl-full v${DEFAULT_VERSION}` };
      const status = withStatus ? await p.status(ctx).catch((e: Error) => ({ installed: false, detail: e.message })) : undefined;
      return {
        id: p.id,
        title: p.title,
        summary: p.summary,
        unit: p.unit,
        runs: p.runs,
        available: a.available,
        reason: a.reason,
        ...(a.via ? { via: a.via } : {}),
        requires: p.requires,
        options: (p.options ?? []).map(({ key, label, choices, default: d }) => ({ key, label, choices, default: d })),
        ...(status ? { status } : {}),
      };
    }),
  );
}
