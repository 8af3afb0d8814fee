// The questions asked of the user manager most, answered over its socket (bus.ts) in the shapes
// `systemctl --user show` and `show-environment` give them: a unit's state (the properties
// UNIT_PROPERTIES names, from the Unit interface and its type's: Service, Socket, ...), whether
// it is loaded at all, and the manager's environment; and the requests that only queue a job
// (`start --no-block`, `stop --no-block`). Null or false: ask systemctl (units.ts, service-environment.ts do).
import type { Host } from "../os/host.ts";
import { busCalls, getProperty, unitObjectPath } from "./bus.ts";
import type { UnitState } from "./units.ts";

const UNIT = "org.freedesktop.systemd1.Unit";

/** A realtime timestamp (µs) as systemctl prints one: "Mon 2026-11-30 03:02:45 UTC" (local time). */
export function formatTimestamp(us: number): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short" })
      .formatToParts(new Date(Math.floor(us / 1000)))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** The properties asked: those UNIT_PROPERTIES names on the Unit interface, the rest on the unit type's own. */
const UNIT_PROPS = ["Id", "LoadState", "ActiveState", "SubState", "ActiveEnterTimestamp", "UnitFileState", "FragmentPath", "NeedDaemonReload", "StartLimitBurst"];
const RESULT_CGROUP = ["Result", "ControlGroup"];
/** per unit type (its name's suffix): its interface and which of the rest it has (a Get of one it lacks is an error), as systemctl show merges them */
const TYPE_PROPS: Record<string, [string, string[]]> = {
  service: ["Service", ["MainPID", "NRestarts", "Result", "Restart", "ControlGroup"]],
  socket: ["Socket", RESULT_CGROUP],
  mount: ["Mount", RESULT_CGROUP],
  swap: ["Swap", RESULT_CGROUP],
  scope: ["Scope", RESULT_CGROUP],
  slice: ["Slice", ["ControlGroup"]],
  timer: ["Timer", ["Result"]],
  path: ["Path", ["Result"]],
  automount: ["Automount", ["Result"]],
};

/**
 * The state of each unit, or null when the manager could not be asked this way. One Get per
 * property (small answers: a GetAll is some 250 properties per unit, all decoded).
 */
export async function busUnitStates(host: Host, names: readonly string[]): Promise<UnitState[] | null> {
  const asked = names.map((n) => {
    const [type, props] = TYPE_PROPS[n.slice(n.lastIndexOf(".") + 1)] ?? ["", []];
    return [...UNIT_PROPS.map((p) => [UNIT, p] as const), ...props.map((p) => [`org.freedesktop.systemd1.${type}`, p] as const)];
  });
  const answers = await busCalls(host, names.flatMap((n, i) => asked[i]!.map(([iface, p]) => getProperty(unitObjectPath(n), iface, p))));
  if (!answers || answers.some((a) => !a.ok)) return null;
  let at = 0;
  return names.map((name, i) => {
    const p: Record<string, unknown> = {};
    for (const [, prop] of asked[i]!) {
      const a = answers[at++]!;
      if (a.ok) p[prop] = a.body[0];
    }
    const entered = num(p.ActiveEnterTimestamp);
    const state: UnitState = {
      name,
      loadState: str(p.LoadState) || "not-found",
      activeState: str(p.ActiveState) || "inactive",
      subState: str(p.SubState) || "dead",
      mainPid: num(p.MainPID),
      activeSince: "",
      unitFileState: str(p.UnitFileState),
      fragmentPath: str(p.FragmentPath),
      needDaemonReload: p.NeedDaemonReload === true,
      nRestarts: num(p.NRestarts),
      result: str(p.Result),
      restart: str(p.Restart),
      startLimitBurst: num(p.StartLimitBurst),
      controlGroup: str(p.ControlGroup),
    };
    // formatted only when read (status): the first Intl date format costs 8 ms and 7 MB, which install and uninstall never need
    if (entered > 0) Object.defineProperty(state, "activeSince", { get: () => formatTimestamp(entered), enumerable: true });
    return state;
  });
}

/** The manager's environment (`systemctl --user show-environment`), or null when it could not be asked this way. */
export async function busManagerEnvironment(host: Host): Promise<string[] | null> {
  const answers = await busCalls(host, [getProperty("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "Environment")]);
  const a = answers?.[0];
  if (!a?.ok || !Array.isArray(a.body[0])) return null;
  return (a.body[0] as unknown[]).filter((e): e is string => typeof e === "string");
}

/** Each unit's LoadState alone (whether systemd still holds it), or null. */
export async function busLoadStates(host: Host, names: readonly string[]): Promise<string[] | null> {
  const answers = await busCalls(host, names.map((n) => getProperty(unitObjectPath(n), UNIT, "LoadState")));
  if (!answers || answers.some((a) => !a.ok)) return null;
  return answers.map((a) => (a.ok ? str(a.body[0]) : ""));
}

const manager = (member: string, args: string[]) => ({ path: "/org/freedesktop/systemd1", iface: "org.freedesktop.systemd1.Manager", member, args });

/**
 * `systemctl --user start|stop --no-block UNITS`: each job queued (Manager.StartUnit/StopUnit, mode
 * replace); false when it could not be done this way. A start first clears each unit's start limit
 * (Manager.ResetFailedUnit, as `systemctl reset-failed`; units.ts says why); a unit systemd has not
 * loaded yet has none and answers with an error, which is no failure of the start.
 */
export async function busQueueJobs(host: Host, verb: "start" | "stop", names: readonly string[]): Promise<boolean> {
  const resets = verb === "start" ? names.map((n) => manager("ResetFailedUnit", [n])) : [];
  const answers = await busCalls(host, [...resets, ...names.map((n) => manager(verb === "start" ? "StartUnit" : "StopUnit", [n, "replace"]))]);
  return answers !== null && answers.slice(resets.length).every((a) => a.ok);
}
