// The two questions asked of the user manager most, answered over its socket (bus.ts) in the
// shapes `systemctl --user show` and `show-environment` give them: a unit's state (the
// properties UNIT_PROPERTIES names, from the Unit interface and its type's: Service, Socket, ...)
// and the manager's environment. Null: ask systemctl (units.ts, service-environment.ts do).
import type { Host } from "../os/host.ts";
import { busCalls, getAll, getProperty, unitObjectPath } from "./bus.ts";
import type { UnitState } from "./units.ts";

const UNIT = "org.freedesktop.systemd1.Unit";
/** the interface of each unit type with properties of its own (MainPID, Result, ControlGroup, ...), as systemctl show merges them */
const TYPE_INTERFACES: Record<string, string> = { service: "Service", socket: "Socket", mount: "Mount", swap: "Swap", timer: "Timer", path: "Path", scope: "Scope", slice: "Slice", automount: "Automount" };
const typeInterface = (name: string) => TYPE_INTERFACES[name.slice(name.lastIndexOf(".") + 1)];

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

/** The state of each unit, or null when the manager could not be asked this way. */
export async function busUnitStates(host: Host, names: readonly string[]): Promise<UnitState[] | null> {
  const calls = names.flatMap((n) => [getAll(unitObjectPath(n), UNIT), ...(typeInterface(n) ? [getAll(unitObjectPath(n), `org.freedesktop.systemd1.${typeInterface(n)}`)] : [])]);
  const answers = await busCalls(host, calls);
  if (!answers || answers.some((a) => !a.ok)) return null;
  let at = 0;
  const props = (): Record<string, unknown> => {
    const a = answers[at++]!;
    return a.ok && a.body[0] && typeof a.body[0] === "object" ? (a.body[0] as Record<string, unknown>) : {};
  };
  return names.map((name) => {
    const u = props();
    const s = typeInterface(name) ? props() : {};
    const entered = num(u.ActiveEnterTimestamp);
    const state: UnitState = {
      name,
      loadState: str(u.LoadState) || "not-found",
      activeState: str(u.ActiveState) || "inactive",
      subState: str(u.SubState) || "dead",
      mainPid: num(s.MainPID),
      activeSince: "",
      unitFileState: str(u.UnitFileState),
      fragmentPath: str(u.FragmentPath),
      needDaemonReload: u.NeedDaemonReload === true,
      nRestarts: num(s.NRestarts),
      result: str(s.Result),
      restart: str(s.Restart),
      startLimitBurst: num(u.StartLimitBurst),
      controlGroup: str(s.ControlGroup),
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
