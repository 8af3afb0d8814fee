// What add-ons with a daemon share: finding their programs (or a clear error naming the
// upstream project and the distro package), their user unit (ordered after containerd and
// part of it when the daemon runs inside the RootlessKit namespace), the steps that install,
// start, and remove it, and "installed" meaning the add-on answers a real request (its probe).
import { dirname } from "node:path";
import type { Host } from "../../core/os/host.ts";
import type { Paths } from "../../core/os/paths.ts";
import { backupPath, CONTAINERD_UNIT, unitPath } from "../../core/os/paths.ts";
import { UserError } from "../../core/os/errors.ts";
import type { Step } from "../../core/plan/steps.ts";
import { isActive, isEnabled, isOwned, renderUnit, serviceUnit, unitStates, type UnitModel } from "../../core/systemd/units.ts";
import { servicePath } from "../../core/systemd/service-path.ts";
import type { AddonProbe } from "../../core/containerd/addon-ready.ts";
import { readinessWait, type ReadinessOptions } from "../../core/containerd/addon-waits.ts";
import { findProgram } from "../../core/os/programs.ts";
import type { Availability, PluginStatus, Requirement } from "../registry.ts";
import { currentBin } from "../../core/components/store.ts";

/** Where each required program is; throws one UserError listing every missing one with where to get it. */
export async function findRequired(host: Host, reqs: readonly Requirement[]): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const missing: Requirement[] = [];
  for (const r of reqs) {
    const p = await findProgram(host, r.binary);
    if (p) found[r.binary] = p;
    else missing.push(r);
  }
  if (missing.length) {
    throw new UserError(
      `${missing.map((m) => m.binary).join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed (not found in ~/.local/bin, on PATH or in the standard directories)`,
      missing.map(missingFix).join("\n"),
    );
  }
  return found;
}

export function missingFix(r: Requirement): string {
  const pkg = r.debianPackage ? `Debian/Ubuntu: \`sudo apt-get install ${r.debianPackage}\`; otherwise ` : "No distribution package: ";
  return `${r.binary}: ${pkg}download it from ${r.project} (${r.url}) into ~/.local/bin (found there whatever your PATH) or another directory on your PATH.`;
}

/** Whether the add-on can be installed here: every required program found, else the reason. */
export async function requirementsAvailability(host: Host, reqs: readonly Requirement[]): Promise<Availability> {
  try {
    await findRequired(host, reqs);
    return { available: true };
  } catch (e) {
    return { available: false, reason: e instanceof UserError ? `${e.message}. ${e.fix ?? ""}`.trim() : String(e) };
  }
}

/** containerd.service must be running before an add-on that lives in its namespace is installed. */
export async function requireContainerdActive(host: Host, addon: string): Promise<void> {
  const [s] = await unitStates(host, [CONTAINERD_UNIT]).catch((e: Error) => {
    throw new UserError(`cannot ask systemd about ${CONTAINERD_UNIT}: ${e.message}`, "Run this in the user's login session (ssh or `machinectl shell USER@`), with XDG_RUNTIME_DIR set.");
  });
  if (!s || !isActive(s)) {
    throw new UserError(
      `${addon} runs inside rootless containerd's namespace, but ${CONTAINERD_UNIT} is not running (${s?.activeState ?? "not found"})`,
      s?.loadState === "loaded" ? "Start it: `systemctl --user start containerd.service`, then run this again." : "Install it first: `containerd-rootless-systemd install`, then run this again.",
    );
  }
}

export interface DaemonUnit {
  name: string;
  description: string;
  /** the daemon's command line (absolute program path first) */
  argv: string[];
  /** inside the RootlessKit namespace (through this binary's nsenter) or on the host */
  inNamespace: boolean;
  /** directories of other programs the daemon runs (e.g. where bypass4netns or fuse-overlayfs lives); with the daemon's own, they and the standard dirs make the unit's PATH (never the caller's PATH) */
  pathDirs?: string[];
  /** directories to put first on the unit's PATH (a component bundle's bin dir) */
  preferredDirs?: string[];
  comment?: string[];
}

/** How long an in-namespace daemon waits for a containerd that is (re)starting before it fails. */
export const NAMESPACE_WAIT_S = 60;

/**
 * The unit: in-namespace daemons start through `<installed binary> nsenter --wait=S --`, which
 * waits for containerd to answer and then replaces itself (execve) with nsenter and the daemon,
 * so the daemon is the unit's main process. After and part of containerd.
 */
export function daemonUnit(paths: Paths, host: Host, d: DaemonUnit): UnitModel {
  const binDir = dirname(paths.installedBinary);
  return serviceUnit({
    name: d.name,
    description: d.description,
    comment: d.comment,
    // a daemon run from the active nerdctl-full bundle finds its helpers (runc, CNI, ...) there first
    env: [["PATH", servicePath([dirname(d.argv[0]!), ...(d.pathDirs ?? []), binDir], [...(d.preferredDirs ?? []), ...(d.argv[0]?.startsWith(currentBin(paths) + "/") ? [currentBin(paths)] : [])])]],
    execStart: d.inNamespace ? [paths.installedBinary, "nsenter", `--wait=${NAMESPACE_WAIT_S}`, "--", ...d.argv] : d.argv,
    ...(d.inNamespace ? { partOf: [CONTAINERD_UNIT], after: [CONTAINERD_UNIT] } : {}),
  });
}

/**
 * Write the unit, reload, enable and start it, wait until it answers. A unit file of the same
 * name that this tool did not write (e.g. the reference installer's) is replaced only as part
 * of a plan the user confirms (the plan shows the diff), and kept as a backup; the warning says so.
 */
export async function daemonInstallSteps(paths: Paths, host: Host, d: DaemonUnit, probe: AddonProbe, opts: ReadinessOptions = {}): Promise<{ steps: Step[]; warnings: string[] }> {
  const path = unitPath(paths, d.name);
  const current = await host.readText(path);
  const backupTo = current !== null && !isOwned(current) ? backupPath(paths, path) : undefined;
  const warnings = backupTo ? [`${path} was not written by this tool (e.g. left by the reference installer): it is replaced by ours (the plan's diff shows how) and kept as ${backupTo}.`] : [];
  const content = renderUnit(daemonUnit(paths, host, d));
  const steps: Step[] = [
    { kind: "write", path, content, ...(backupTo ? { backupTo } : {}), why: `the ${d.description} service` },
    { kind: "systemctl", args: ["daemon-reload"] },
    { kind: "systemctl", args: ["enable", "--now", d.name], undo: ["disable", "--now", d.name] },
    // `enable --now` leaves a running daemon as it is: one started from the old (or a foreign) unit must not answer for ours
    ...(current !== null && current !== content ? [{ kind: "systemctl" as const, args: ["restart", d.name], undo: ["restart", d.name], why: "it runs from the unit as it was before" }] : []),
    readinessWait(d.name, probe, opts),
  ];
  return { steps, warnings };
}

/** Stop, disable and remove a unit we wrote (a unit without our marker is left alone). */
export async function daemonUninstallSteps(host: Host, paths: Paths, unit: string): Promise<Step[]> {
  const path = unitPath(paths, unit);
  const text = await host.readText(path);
  if (text === null) return [];
  if (!isOwned(text)) throw new UserError(`${path} was not written by this tool; leaving it alone`, `Remove it yourself if you no longer want it: systemctl --user disable --now ${unit} && rm ${path}`);
  return [
    { kind: "systemctl", args: ["disable", "--now", unit], undo: ["enable", "--now", unit], undoLate: true },
    { kind: "remove", path },
    { kind: "systemctl", args: ["daemon-reload"] },
  ];
}

/** Installed = our unit exists and the add-on answers its probe (the same one install waits for); enabled/active from systemd. */
export async function daemonStatus(host: Host, paths: Paths, unit: string, probe: AddonProbe): Promise<PluginStatus> {
  const text = await host.readText(unitPath(paths, unit));
  if (text === null) return { installed: false, detail: `${unit} is not installed` };
  const [s] = await unitStates(host, [unit]).catch(() => []);
  const state = { enabled: s ? isEnabled(s) : undefined, active: s ? isActive(s) : undefined };
  if (!isOwned(text)) return { installed: false, ...state, detail: `${unitPath(paths, unit)} exists but was not written by this tool` };
  const answer = await probe.check(host);
  return {
    installed: answer.ok,
    ...state,
    detail: answer.ok ? `${unit}: ${answer.detail}` : `${unit} is ${s ? `${s.activeState}/${s.subState}` : "unknown"}; ${probe.what} does not answer: ${answer.detail}`,
  };
}

/** `NAME --version` (or other args): the output, "" when it fails. */
export async function programOutput(host: Host, argv: string[]): Promise<string> {
  const r = await host.run(argv, { timeoutMs: 10_000 });
  return r.code === 0 ? r.stdout + r.stderr : "";
}
