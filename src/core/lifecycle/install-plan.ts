// What `install` will do, decided from the machine's current state: where the launcher
// binary lives, the unit text, and only the systemctl steps that are needed (a second
// install with nothing changed is a plan of unchanged writes and nothing else).
//
// Where the binary lives: the unit must not break when the user deletes their download, so
// a compiled binary copies itself to ~/.local/bin/containerd-rootless-systemd and the unit's
// ExecStart is `<that copy> launch`. Run from source (`bun src/cli.ts install`), there is
// nothing to copy: ExecStart is `<bun> <absolute path of src/cli.ts> launch` (development only).
import { dirname } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT, backupPath, unitPath, wantsLinkPath } from "../os/paths.ts";
import type { Step, WaitStep } from "../plan/steps.ts";
import { shellLine } from "../os/shell.ts";
import { completionSteps } from "../completion/scripts.ts";
import { UserError } from "../os/errors.ts";
import { containerdUnit, isActive, isEnabled, isOwned, renderUnit, unitStates, type UnitState } from "../systemd/units.ts";
import { containerdServicePath } from "../systemd/service-path.ts";
import { containerdReadyStep } from "../containerd/ready.ts";
import { restartContainerdStep } from "../containerd/restart.ts";
import { restartedAddonWaits } from "../containerd/addon-waits.ts";
import { networkWorksStep } from "../rootlesskit/network-health.ts";
import { bindMounts } from "../containerd/mounts.ts";
import { preferredBinDirs } from "../components/inventory.ts";
import { linkable, stageCopy } from "../plan/staging.ts";

export interface LauncherLocation {
  /** ExecStart without the "launch" argument */
  command: string[];
  /** copy the running binary here first (compiled binaries only) */
  copyFrom?: string;
  copyTo?: string;
}

export async function launcherLocation(host: Host, paths: Paths): Promise<LauncherLocation> {
  if (host.scriptPath) return { command: [host.execPath, host.scriptPath] };
  const self = (await host.realpath(host.execPath)) ?? host.execPath;
  const target = paths.installedBinary;
  if (self === ((await host.realpath(target)) ?? target)) return { command: [target] };
  return { command: [target], copyFrom: self, copyTo: target };
}

/**
 * The binary's copy, started now (beside the checks) when the plan will copy it: its copy step then only renames it
 * (plan/staging.ts). Not where the step can link it for the while instead (the same file system): the copy then goes
 * on beside containerd's start rather than beside the checks, which its 28 ms of the kernel's CPU held up most
 * (install 240 -> 228 ms here).
 */
export async function stageLauncherCopy(host: Host, paths: Paths): Promise<void> {
  const where = await launcherLocation(host, paths);
  if (where.copyFrom && !(await linkable(host, where.copyFrom, where.copyTo!))) await stageCopy(host, where.copyFrom, where.copyTo!, BINARY_MODE);
}

const BINARY_MODE = 0o755;

/** A symlink or directory where install writes a file: refused before anything changes (never written through, never replaced). */
async function refuseLink(host: Host, path: string): Promise<void> {
  const st = await host.stat(path);
  if (!st?.isSymlink && !st?.isDirectory) return;
  const what = st.isDirectory ? "a directory" : `a symbolic link (to ${(await host.realpath(path)) ?? "a file that does not exist"})`;
  throw new UserError(`${path} is ${what}; install writes its own file there and will not replace or write through it`, `Move it away (\`mv ${path} ${path}.mine\`) and run install again.`);
}

export interface InstallPlan {
  steps: Step[];
  /** the shell completion writes at the end of `steps` */
  completionSteps: Step[];
  /** systemd has not loaded the unit: starting it reads the files, no daemon-reload needed */
  loadsFresh: boolean;
  unitFile: string;
  unitText: string;
  execStart: string[];
  /** PATH given to the service */
  servicePath: string;
  state: UnitState;
  unitChanged: boolean;
  /** the existing unit was not written by this tool; where its backup goes */
  replacesForeignUnit?: string;
  /** directories the launcher will create on its first run (and their missing parents): a failed start removes them while empty */
  launcherDirs: string[];
}

/** The launcher's bind-mount sources that do not exist yet, with each missing parent. */
async function missingLauncherDirs(host: Host, paths: Paths): Promise<string[]> {
  const out = new Set<string>();
  for (const { source } of bindMounts(paths)) {
    for (let d = source; d !== "/" && d !== "." && !(await host.exists(d)); d = dirname(d)) out.add(d);
  }
  return [...out];
}

/** What planInstall asks systemd, asked early (install starts it with its checks, off the critical path). */
export interface InstallFacts {
  states: UnitState[];
}

export async function readInstallFacts(host: Host): Promise<InstallFacts> {
  return { states: await unitStates(host, [CONTAINERD_UNIT, "dbus.socket"]) };
}

export async function planInstall(host: Host, paths: Paths, opts: { readyTimeoutMs?: number; /** bin dirs to put first on the unit's PATH (a component bundle) */ preferredDirs?: string[]; facts?: InstallFacts } = {}): Promise<InstallPlan> {
  const facts = opts.facts ?? (await readInstallFacts(host));
  const [state, dbus] = facts.states;
  const where = await launcherLocation(host, paths);
  const execStart = [...where.command, "launch"];
  // the active nerdctl-full bundle (components/current/bin) comes before everything else
  const path = await containerdServicePath(host, paths, [...(opts.preferredDirs ?? []), ...(await preferredBinDirs(host, paths))]);
  const unitText = renderUnit(containerdUnit({ execStart, path, dbusSocket: dbus!.loadState === "loaded" }));
  const unitFile = unitPath(paths, CONTAINERD_UNIT);
  await refuseLink(host, unitFile);
  if (where.copyTo) await refuseLink(host, where.copyTo);
  const current = await host.readText(unitFile);
  const unitChanged = current !== unitText;
  const binaryChanged = where.copyFrom ? !(await host.sameSizeAndMtime(where.copyFrom, where.copyTo!)) : false;

  const steps: Step[] = [];
  if (where.copyFrom) steps.push({ kind: "copy", from: where.copyFrom, path: where.copyTo!, mode: BINARY_MODE, what: "the binary", why: "the unit runs this copy, so deleting the download does not break the service" });
  // a unit someone else wrote (e.g. the reference installer) is replaced, but kept as a backup
  const foreign = current !== null && !isOwned(current);
  const backupTo = foreign ? backupPath(paths, unitPath(paths, CONTAINERD_UNIT)) : undefined;
  steps.push({ kind: "write", path: unitFile, content: unitText, mode: 0o644, backupTo, why: "the systemd user unit that runs containerd (through RootlessKit)" });
  // a unit systemd has not loaded is read from its files (unit and drop-ins) when it is started: a reload
  // would only repeat that (checked with systemd 252: start, then is-enabled, with no reload at all)
  const loadsFresh = state!.loadState === "not-found";
  const reloads = (unitChanged || state!.needDaemonReload) && !loadsFresh;
  // enabled by the link `systemctl --user enable --no-reload` would make (default.target.wants/ pointing at the unit file:
  // `is-enabled` says "enabled" for both alike, checked with systemd 252), without a systemctl process
  const enable: Step[] = isEnabled(state!) ? [] : [{ kind: "link", path: wantsLinkPath(paths, CONTAINERD_UNIT), target: unitFile, enables: CONTAINERD_UNIT, why: "so containerd starts with your session" }];
  // enabled before a reload, which then reads the new link too
  if (reloads) steps.push(...enable, { kind: "systemctl", args: ["daemon-reload"], why: "so systemd reads the new unit file" });
  let starting = false;
  let restartedAddons: WaitStep[] = [];
  if (!isActive(state!)) {
    if (state!.activeState === "failed") steps.push({ kind: "systemctl", args: ["reset-failed", CONTAINERD_UNIT], why: "clear the earlier failure and its start limit" });
    // only queued (--no-block: systemd forks the launcher on its own): whether it comes up is the wait's to see, failure included
    steps.push({ kind: "systemctl", args: ["start", "--no-block", CONTAINERD_UNIT], undo: ["stop", CONTAINERD_UNIT], ...(loadsFresh ? { loadsUnit: true } : {}), why: "runs containerd now" });
    starting = true;
  } else if (unitChanged || binaryChanged) {
    // undone late: after the old unit file is back and systemd reloaded, run the old one again
    steps.push(restartContainerdStep(paths, "run the changed unit"));
    starting = true;
    // the running add-ons restart with it (PartOf=): done when they answer again too
    restartedAddons = await restartedAddonWaits(host, paths);
  }
  // what needs no reload and no running containerd (the enabling link without one, the shell
  // completion: a convenience that never decides whether the service needs a change) is done while
  // containerd starts, before the wait for its API, instead of after it
  const completion = completionSteps(paths, shellLine(where.command));
  steps.push(...(reloads ? [] : enable), ...completion);
  if (starting) steps.push(containerdReadyStep(paths, opts.readyTimeoutMs), networkWorksStep(paths), ...restartedAddons);
  return { steps, completionSteps: completion, loadsFresh, unitFile, unitText, execStart, servicePath: path, state: state!, unitChanged, replacesForeignUnit: backupTo, launcherDirs: await missingLauncherDirs(host, paths) };
}
