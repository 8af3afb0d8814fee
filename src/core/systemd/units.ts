// systemd user units: a generic unit model rendered to text (containerd and every add-on
// unit use it), `systemctl --user` and its `show` properties, and diagnostics for a unit
// that did not start (`systemctl --user status` and the journal tail, which may be empty).
import { busLoadStates, busQueueJobs, busUnitStates } from "./bus-queries.ts";
import type { Host, RunResult } from "../os/host.ts";
import { BINARY_NAME, resolvePaths } from "../os/paths.ts";
import { lastUnitOutput } from "./unit-log.ts";
import { UserError } from "../os/errors.ts";
import { environmentAssignment, execLine } from "./syntax.ts";
import { runStopping } from "./stop-watch.ts";

/** Marks files this tool wrote; uninstall removes only files that carry it. */
export const OWNED_MARKER = `# Created by ${BINARY_NAME}`;

export const isOwned = (text: string | null): boolean => text !== null && text.split("\n").slice(0, 5).some((l) => l.startsWith(OWNED_MARKER));

export type Directive = [key: string, value: string];

export interface UnitModel {
  /** e.g. containerd.service */
  name: string;
  /** extra comment lines after the marker (without "# ") */
  comment?: string[];
  unit: Directive[];
  service: Directive[];
  install: Directive[];
}

/** Environment=NAME=VALUE, quoted when the value needs it. */
export function environment(name: string, value: string): Directive {
  return ["Environment", environmentAssignment(name, value, "when-needed")];
}

export function renderUnit(model: UnitModel): string {
  const lines = [OWNED_MARKER + "; edit settings in a drop-in (`systemctl --user edit " + model.name + "`), not here.", ...(model.comment ?? []).map((c) => `# ${c}`)];
  const section = (name: string, ds: Directive[]) => {
    if (ds.length === 0) return;
    lines.push("", `[${name}]`, ...ds.map(([k, v]) => `${k}=${v}`));
  };
  section("Unit", model.unit);
  section("Service", model.service);
  section("Install", model.install);
  return lines.join("\n") + "\n";
}

export interface ServiceUnitOptions {
  name: string;
  description: string;
  execStart: string[];
  /** Environment= lines, in order */
  env?: [string, string][];
  requires?: string[];
  partOf?: string[];
  after?: string[];
  /** extra [Service] directives appended after the common ones */
  extraService?: Directive[];
  comment?: string[];
}

/** The common shape of every unit this tool writes (behaviour.md: containerd and the add-ons). */
export function serviceUnit(o: ServiceUnitOptions): UnitModel {
  const unit: Directive[] = [["Description", o.description]];
  for (const u of o.partOf ?? []) unit.push(["PartOf", u]);
  for (const u of o.requires ?? []) unit.push(["Requires", u]);
  for (const u of o.after ?? []) unit.push(["After", u]);
  return {
    name: o.name,
    comment: o.comment,
    unit,
    service: [
      ...(o.env ?? []).map(([k, v]) => environment(k, v)),
      ["ExecStart", execLine(o.execStart)],
      ["ExecReload", "/bin/kill -s HUP $MAINPID"],
      ...(o.extraService ?? []),
      ["RestartSec", "2"],
      ["Restart", "always"],
      ["Type", "simple"],
      ["KillMode", "mixed"],
    ],
    install: [["WantedBy", "default.target"]],
  };
}

export interface ContainerdUnitOptions {
  execStart: string[];
  /** PATH for the service (service-path.ts: where its programs are, plus the standard dirs) */
  path: string;
  /** the user has a dbus.socket unit */
  dbusSocket: boolean;
}

/** The reference containerd user unit (behaviour.md), with ExecStart = this binary's launcher. */
export function containerdUnit(o: ContainerdUnitOptions): UnitModel {
  return {
    name: "containerd.service",
    comment: ["ExecStart runs this tool's launcher: rootlesskit, then containerd inside the user namespace."],
    unit: [["Description", "containerd (Rootless)"], ...(o.dbusSocket ? ([["Requires", "dbus.socket"]] as Directive[]) : [])],
    service: [
      environment("PATH", o.path),
      ["ExecStart", execLine(o.execStart)],
      ["ExecReload", "/bin/kill -s HUP $MAINPID"],
      ["TimeoutSec", "0"],
      ["RestartSec", "2"],
      ["Restart", "always"],
      ["StartLimitBurst", "3"],
      ["StartLimitInterval", "60s"],
      ["LimitNOFILE", "infinity"],
      ["LimitNPROC", "infinity"],
      ["LimitCORE", "infinity"],
      ["TasksMax", "infinity"],
      ["Delegate", "yes"],
      ["Type", "simple"],
      ["KillMode", "mixed"],
    ],
    install: [["WantedBy", "default.target"]],
  };
}

// ---- systemctl --user ---------------------------------------------------------

/** The verbs that start units (enable and reenable only with --now). */
const STARTS = ["start", "restart", "try-restart", "reload-or-restart", "try-reload-or-restart"];
const startsUnits = (args: string[]) => STARTS.includes(args[0] ?? "") || ((args[0] === "enable" || args[0] === "reenable") && args.includes("--now"));

/**
 * `systemctl --user ARGS`. A start or restart this tool asks for (a run's, an undo's, a switch
 * back) is deliberate, so it first clears the unit's start rate limit (`reset-failed`, which
 * resets it: unit_reset_failed in systemd's src/core/unit.c): StartLimitBurst=3 in 60 s is meant
 * to stop a crash loop, not a user who changes three settings in a minute, nor a rollback's start
 * after the run's own restarts. systemd 252 forgot the count at every daemon-reload; systemd 257
 * keeps it, and refused such a start (Result=start-limit-hit). A call that stops units is watched
 * for RootlessKit's hang on a stop during its start (stop-watch.ts).
 */
export async function systemctl(host: Host, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  const units = args.slice(1).filter((a) => !a.startsWith("-"));
  // a start or stop only queued is asked on the manager's socket (no process; the reset goes with it); systemctl when that cannot be done
  const queued = (args[0] === "start" || args[0] === "stop") && args.includes("--no-block") ? units : [];
  if (queued.length && (await busQueueJobs(host, args[0] as "start" | "stop", queued).catch(() => false))) return { code: 0, stdout: "", stderr: "" };
  if (startsUnits(args) && units.length) await host.run(["systemctl", "--user", "reset-failed", ...units], { timeoutMs });
  return runStopping(host, args, timeoutMs);
}

export interface UnitState {
  name: string;
  /** loaded, not-found, masked, error */
  loadState: string;
  /** active, inactive, failed, activating, deactivating, reloading */
  activeState: string;
  /** running, dead, auto-restart, start, ... */
  subState: string;
  mainPid: number;
  /** ActiveEnterTimestamp as systemd prints it; "" when never active */
  activeSince: string;
  /** enabled, disabled, static, ""... */
  unitFileState: string;
  fragmentPath: string;
  needDaemonReload: boolean;
  nRestarts: number;
  /** how the last run ended: success, exit-code, signal, start-limit-hit, ... ("" when unknown) */
  result?: string;
  /** Restart= (no, always, on-failure, ...) and StartLimitBurst=, when asked for */
  restart?: string;
  startLimitBurst?: number;
  /** ControlGroup: the unit's cgroup path ("" when it has no processes) */
  controlGroup?: string;
}

export const UNIT_PROPERTIES = ["Id", "LoadState", "ActiveState", "SubState", "MainPID", "ActiveEnterTimestamp", "UnitFileState", "FragmentPath", "NeedDaemonReload", "NRestarts", "Result", "Restart", "StartLimitBurst", "ControlGroup"];

/** Parses `systemctl show -p ...` output for one or more units (blocks separated by blank lines). */
export function parseShow(text: string, names: readonly string[]): UnitState[] {
  const blocks = text.split(/\n\s*\n/).map((b) => {
    const props: Record<string, string> = {};
    for (const line of b.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return props;
  });
  return names.map((name, i) => {
    const p = blocks.find((b) => b.Id === name) ?? blocks[i] ?? {};
    return {
      name,
      loadState: p.LoadState ?? "not-found",
      activeState: p.ActiveState ?? "inactive",
      subState: p.SubState ?? "dead",
      mainPid: Number(p.MainPID ?? 0) || 0,
      activeSince: p.ActiveEnterTimestamp && p.ActiveEnterTimestamp !== "n/a" ? p.ActiveEnterTimestamp : "",
      unitFileState: p.UnitFileState ?? "",
      fragmentPath: p.FragmentPath ?? "",
      needDaemonReload: p.NeedDaemonReload === "yes",
      nRestarts: Number(p.NRestarts ?? 0) || 0,
      result: p.Result ?? "",
      restart: p.Restart ?? "",
      startLimitBurst: Number(p.StartLimitBurst ?? 0) || 0,
      controlGroup: p.ControlGroup ?? "",
    };
  });
}

/** The state of several units, asked on the manager's socket (no process), else by `systemctl --user show`. Throws when the manager is unreachable. */
export async function unitStates(host: Host, names: readonly string[]): Promise<UnitState[]> {
  return (await busUnitStates(host, names).catch(() => null)) ?? showUnitStates(host, names);
}

/** The state of several units in one `systemctl --user show` call, whose error words an unreachable manager. */
async function showUnitStates(host: Host, names: readonly string[]): Promise<UnitState[]> {
  const r = await systemctl(host, ["show", ...UNIT_PROPERTIES.flatMap((p) => ["-p", p]), "--", ...names], 15_000);
  if (r.code !== 0) {
    throw new UserError(
      `cannot reach the systemd user manager (systemctl --user show: ${(r.stderr || r.stdout).trim() || `exit code ${r.code}`})`,
      "Run `containerd-rootless-systemd check`: it tells why (a su/sudo session without XDG_RUNTIME_DIR, no user manager, ...).",
    );
  }
  return parseShow(r.stdout, names);
}

/** Whether systemd has none of `names` loaded (each not-found: it forgot them); a manager it cannot ask has not. */
export async function unitsForgotten(host: Host, names: readonly string[]): Promise<boolean> {
  const loadStates = (await busLoadStates(host, names).catch(() => null)) ?? (await showUnitStates(host, names).catch(() => null))?.map((s) => s.loadState);
  return loadStates !== undefined && loadStates.every((s) => s === "not-found");
}

export const isActive = (s: UnitState) => s.activeState === "active" || s.activeState === "reloading";
export const isEnabled = (s: UnitState) => s.unitFileState === "enabled" || s.unitFileState === "enabled-runtime";

/** Why a unit that was asked to start is not coming up, or undefined while it still may. */
export function startFailure(s: UnitState): string | undefined {
  if (s.activeState === "failed") return `${s.name} failed (${s.subState})`;
  if (s.subState === "auto-restart" || s.nRestarts > 0) return `${s.name} exited and systemd is restarting it (${s.activeState}/${s.subState})`;
  if (s.activeState === "inactive") return `${s.name} stopped (${s.subState})`;
  return undefined;
}

/**
 * `systemctl --user status` and the journal tail, for a failure message. Without journald the
 * journal is empty: then `log` is the unit's last output from its own log file (unit-log.ts).
 */
export async function unitDiagnostics(host: Host, unit: string): Promise<{ status: string; journal: string; log: string }> {
  const [status, journal, log] = await Promise.all([
    systemctl(host, ["status", "--no-pager", "--full", "--lines=20", unit], 15_000),
    host.run(["journalctl", "--user", "-u", unit, "-n", "20", "--no-pager", "--quiet"], { timeoutMs: 15_000 }),
    lastUnitOutput(host, resolvePaths(host.env, host.uid), unit),
  ]);
  const journalText = journal.code === 0 ? journal.stdout.trim() : "";
  const noJournal = /^(-- No entries --)?$/.test(journalText);
  return { status: (status.stdout + status.stderr).trim(), journal: noJournal ? "" : journalText, log: noJournal ? log : "" };
}
