// `uninstall [--purge]`: stop, disable and remove the units and drop-ins this tool created
// (files carrying its marker, nothing else) and the binary copy it made; daemon-reload only when
// systemd still holds the removed unit.
// Images, containers and config stay unless --purge, which removes the data from inside the
// user namespace (it is owned by sub-UIDs) and the config. Says what was kept and how to purge.
import { join } from "node:path";
import type { RunContext } from "../plan/run-context.ts";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { BINARY_NAME, CONTAINERD_UNIT, unitPath, wantsLinkPath } from "../os/paths.ts";
import type { Step, StepOutcome, WaitStep } from "../plan/steps.ts";
import { shellLine } from "../os/shell.ts";
import { acquireRunLock } from "../plan/recover.ts";
import { lockMark } from "../os/lock.ts";
import { isActive, isEnabled, isOwned, unitStates, type UnitState } from "../systemd/units.ts";
import { launcherLocation } from "./install-plan.ts";
import { previewPlan, renderPreviews } from "../plan/render.ts";
import { changeParts, summaryLine } from "./summary.ts";
import { applyPlan, removeEmptyDirs } from "../plan/execute.ts";
import { stepPrinter } from "./transcript.ts";
import { installedAddons, planAddons, withoutContainerdRestart } from "./addons.ts";
import { UserError } from "../os/errors.ts";
import { interruptedOr } from "../plan/interrupt.ts";
import { containerdBackStep } from "../containerd/ready.ts";
import { stuckStopKiller } from "../systemd/stop-watch.ts";
import { cgroupState } from "../systemd/cgroup-state.ts";
import { completionRemovals } from "../completion/scripts.ts";

export interface UninstallOptions {
  purge?: boolean;
  dryRun?: boolean;
  confirm?: (planText: string) => Promise<boolean>;
}

export interface UninstallResult {
  command: "uninstall";
  ok: boolean;
  changed: boolean;
  dryRun: boolean;
  installed: boolean;
  steps: StepOutcome[] | { description: string; willChange: boolean }[];
  kept: string[];
  purgeCommand: string;
}

/** Removing sub-UID-owned trees: `rootlesskit rm -rf` maps our uid to root in a new user namespace. */
export async function purgeArgv(host: Host, dirs: string[]): Promise<string[]> {
  const rootlesskit = (await host.which("rootlesskit")) ?? "rootlesskit";
  return [rootlesskit, "rm", "-rf", ...dirs];
}

/** The unit's drop-ins: only those carrying our marker, or (for --purge) all of them. */
export async function dropInsOf(host: Host, paths: Paths, unit: string, onlyOurs: boolean): Promise<string[]> {
  const dir = join(paths.unitDir, `${unit}.d`);
  const out: string[] = [];
  for (const name of ((await host.readdir(dir)) ?? []).sort()) {
    if (name.endsWith(".conf") && (!onlyOurs || isOwned(await host.readText(join(dir, name))))) out.push(join(dir, name));
  }
  return out;
}

/**
 * The wait for containerd's stop, which was only queued: it is also what unsticks a RootlessKit that
 * cannot finish stopping (systemd/stop-watch.ts). Each look reads the unit's cgroup (files, every
 * 5 ms): systemd removing it ends the wait. systemd is asked once a second while it is still there
 * (a stuck stop), and at each look where the cgroup's files cannot tell.
 */
function stopWait(state: UnitState): WaitStep {
  const unstick = stuckStopKiller(CONTAINERD_UNIT);
  let asked: number | undefined;
  return { kind: "wait", what: `${CONTAINERD_UNIT} to stop`, settled: `Stopped ${CONTAINERD_UNIT}`, timeoutMs: 90_000, everyMs: 5, ready: async (h) => {
    const cgroup = await cgroupState(h, state.controlGroup ?? "");
    if (cgroup === "gone") return true;
    if (cgroup !== null && h.now() - (asked ??= h.now()) < 1000) return false;
    asked = h.now();
    const s = (await unitStates(h, [CONTAINERD_UNIT]))[0]!;
    if (["inactive", "failed"].includes(s.activeState)) return true;
    await unstick(h, s.mainPid);
    return false;
  } };
}

export async function planUninstall(host: Host, paths: Paths, opts: { purge?: boolean; /** asked before the run lock was taken (when it was free) */ states?: Promise<UnitState[]> }): Promise<{ steps: Step[]; installed: boolean; foreign: boolean; emptyDirs: string[] }> {
  const unitFile = unitPath(paths, CONTAINERD_UNIT);
  // everything the plan reads, at once: the one question to systemd overlaps the file reads
  const [text, [state], addonIds, where, completion, dropIns] = await Promise.all([
    host.readText(unitFile),
    opts.states ?? unitStates(host, [CONTAINERD_UNIT]),
    installedAddons(host, paths),
    launcherLocation(host, paths),
    completionRemovals(host, paths),
    // the user's own drop-ins (override.conf with RootlessKit settings) are config: kept unless --purge
    dropInsOf(host, paths, CONTAINERD_UNIT, !opts.purge),
  ]);
  const ours = isOwned(text);
  const steps: Step[] = [];
  let stopped: WaitStep | undefined;

  // add-ons first (every one whose files are ours, running or not): they are PartOf containerd
  // and run inside its namespace; composed into one plan, and no containerd restart when it stops anyway
  const addons = await planAddons(host, paths, addonIds, "uninstall");
  steps.push(...(ours ? withoutContainerdRestart(addons.steps) : addons.steps));
  const running = ours && (isActive(state!) || state!.activeState === "activating");
  // stopped first, only queued (--no-block): containerd shuts down while the files go, and the plan waits for it after them.
  // Undone after the files are back and systemd reloaded, then until containerd answers again
  if (running) {
    steps.push({ kind: "systemctl", args: ["stop", "--no-block", CONTAINERD_UNIT], undo: ["start", CONTAINERD_UNIT], undoWait: containerdBackStep(paths), why: "stop containerd" });
    stopped = stopWait(state!);
  }
  // the copy install made; a binary the user runs from that very place is theirs and stays. When it
  // is the running binary's copy, that one can put it back: no backup, and its slow unlink (20 ms) runs
  // on beside what follows (plan/execute.ts), so it goes first, while containerd stops
  const [copy, old, same] = where.copyTo ? await Promise.all([host.exists(where.copyTo), host.exists(`${where.copyTo}.old`), host.sameSizeAndMtime(where.copyFrom!, where.copyTo)]) : [false, false, false];
  if (copy) steps.push({ kind: "remove", path: where.copyTo!, ...(same ? { restoreFrom: where.copyFrom } : {}), why: "the copy of this binary that the unit ran" });
  if (old) steps.push({ kind: "remove", path: `${where.copyTo}.old`, why: "the previous binary self-update kept" });
  // disabled by removing the link enabling makes, a file step like the others; a unit enabled some other
  // way (another link) by systemctl disable, before its file goes (it reads the file's [Install])
  const link = wantsLinkPath(paths, CONTAINERD_UNIT);
  const ownLink = ours && (await host.readlink(link)) === unitFile;
  if (ours && isEnabled(state!) && !ownLink) steps.push({ kind: "systemctl", args: ["disable", "--no-reload", CONTAINERD_UNIT], undo: ["enable", CONTAINERD_UNIT], why: "do not start it with the session" });
  if (ours) steps.push({ kind: "remove", path: unitFile, why: "the unit this tool created" });
  if (ownLink) steps.push({ kind: "remove", path: link, disables: CONTAINERD_UNIT, why: "do not start it with the session" });
  for (const d of dropIns) steps.push({ kind: "remove", path: d, why: "a drop-in this tool created" });
  steps.push(...completion);
  if (ours || dropIns.length) {
    if (stopped) steps.push(stopped);
    if (state!.activeState === "failed") steps.push({ kind: "systemctl", args: ["reset-failed", CONTAINERD_UNIT] });
    // a unit that is down and that no loaded unit refers to is forgotten by systemd on its own (a fresh
    // install enables it without a reload, so default.target never took it in): the reload, 30-50 ms of
    // systemd's generators, runs only when systemd still holds it
    steps.push({ kind: "systemctl", args: ["daemon-reload"], unlessForgotten: [CONTAINERD_UNIT], why: "forget the removed unit" });
  }
  if (opts.purge) {
    const data = [paths.containerdData, paths.cniData];
    for (const d of data) steps.push({ kind: "remove-tree-in-namespace", path: d, argv: await purgeArgv(host, [d]), why: "images, containers and snapshots (owned by sub-UIDs)" });
    steps.push({ kind: "remove", path: paths.containerdConfigDir, recursive: true, why: "containerd's configuration" });
    steps.push({ kind: "remove", path: paths.stateDir, recursive: true, why: `${BINARY_NAME}'s own state (backups)` });
  }
  return { steps, installed: ours, foreign: text !== null && !ours, emptyDirs: addons.emptyDirs };
}

export async function uninstall(ctx: RunContext, opts: UninstallOptions = {}): Promise<UninstallResult> {
  const { host, paths, reporter } = ctx;
  // systemd's answer is asked while the lock is taken; asked again if another run held it since
  // `mark` or died holding it (its journal's recovery, under the lock, changes what systemd runs)
  const mark = await lockMark(host, paths);
  const early = unitStates(host, [CONTAINERD_UNIT]);
  early.catch(() => {});
  const lock = opts.dryRun ? null : await acquireRunLock(host, paths, { purpose: "uninstall", since: mark }, reporter);
  try {
    const { steps, installed, foreign, emptyDirs } = await planUninstall(host, paths, { ...opts, states: lock?.othersSince === false ? early : undefined });
    const previews = await previewPlan(host, steps);
    const purgeCommand = `${BINARY_NAME} uninstall --purge`;
    const dataDirs = [paths.containerdData, paths.cniData, paths.containerdConfigDir, ...(await dropInsOf(host, paths, CONTAINERD_UNIT, false))];
    const base = { command: "uninstall" as const, installed, purgeCommand };
    if (foreign) reporter.warn(`${unitPath(paths, CONTAINERD_UNIT)} was not created by ${BINARY_NAME}; leaving it alone.`);
    if (!previews.some((p) => p.willChange)) {
      if (!foreign) reporter.info(`${CONTAINERD_UNIT} is not installed; nothing to do.`);
      return { ...base, ok: true, changed: false, dryRun: Boolean(opts.dryRun), steps: [], kept: [] };
    }
    if (opts.dryRun) {
      reporter.info("Dry run: this is the plan; nothing was changed.");
      reporter.plain(renderPreviews(previews));
      return { ...base, ok: true, changed: false, dryRun: true, steps: previews.map(({ label, detail, effect, willChange }) => ({ description: label, detail, effect, willChange })), kept: [] };
    }
    if (opts.confirm && !(await opts.confirm(renderPreviews(previews)))) throw new UserError("cancelled; nothing was changed");
    const result = await applyPlan(host, steps, { onEvent: stepPrinter(reporter, previews), signal: ctx.signal }).catch((e) => Promise.reject(interruptedOr(e)));
    const [, present] = await Promise.all([removeEmptyDirs(host, [join(paths.unitDir, `${CONTAINERD_UNIT}.d`), ...emptyDirs]), Promise.all(dataDirs.map((d) => host.exists(d)))]);
    const kept = dataDirs.filter((_, i) => present[i]);
    if (installed) reporter.info(`Uninstalled ${CONTAINERD_UNIT}.`);
    if (kept.length) {
      reporter.info(`Kept images, containers and configuration: ${kept.join(", ")}`);
      const data = kept.filter((d) => d === paths.containerdData || d === paths.cniData);
      reporter.info(`To remove them too, run: \`${purgeCommand}\`${data.length ? ` (the data is owned by sub-UIDs; it runs \`${shellLine(await purgeArgv(host, data))}\`)` : ""}`);
    }
    reporter.info(`Summary: ${summaryLine(changeParts({ steps, previews, home: host.env.HOME }))}.`);
    return { ...base, ok: true, changed: result.changed, dryRun: false, steps: result.steps, kept };
  } finally {
    await lock?.release();
  }
}
