// A `systemctl --user` call that stops units (stop, restart, disable --now, ...) blocks until
// they are down. A containerd unit stopped while RootlessKit was still starting never gets
// there (src/core/rootlesskit/stuck.ts): with the reference unit's TimeoutSec=0 systemd waits
// for good. While such a call runs, each second the units it stops are looked at; one whose
// main process is that stuck RootlessKit (twice in a row) is killed with SIGKILL, which is
// all the stop was waiting for (its child, containerd, never ran).
import type { Host, RunResult } from "../os/host.ts";
import { rootlesskitOrphaned } from "../rootlesskit/stuck.ts";

const STOPPING_VERBS = new Set(["stop", "restart", "try-restart", "reload-or-restart", "try-reload-or-restart"]);

/** The units `args` stops (none for a call that stops nothing). */
export function unitsStopped(args: readonly string[]): string[] {
  const verb = args[0] ?? "";
  const stops = STOPPING_VERBS.has(verb) || ((verb === "disable" || verb === "mask") && args.includes("--now"));
  return stops ? args.slice(1).filter((a) => !a.startsWith("-")) : [];
}

async function mainPid(host: Host, unit: string): Promise<number> {
  const r = await host.run(["systemctl", "--user", "show", "-P", "MainPID", unit], { timeoutMs: 15_000 }).catch(() => null);
  return Number(r?.stdout.trim() ?? 0) || 0;
}

/** Runs `systemctl --user ARGS`, unsticking the units it stops from RootlessKit's hang. */
export async function runStopping(host: Host, args: string[], timeoutMs: number, everyMs = 1000): Promise<RunResult> {
  const units = unitsStopped(args);
  const call = host.run(["systemctl", "--user", ...args], { timeoutMs });
  if (units.length === 0) return call;
  let finished = false;
  void call.then(() => (finished = true), () => (finished = true));
  const sightings = new Map<string, number>();
  while (!finished) {
    await Promise.race([call.catch(() => undefined), host.sleep(everyMs)]);
    if (finished) break;
    for (const unit of units) {
      const pid = await mainPid(host, unit);
      const seen = pid > 0 && (await rootlesskitOrphaned(host, pid)) ? (sightings.get(unit) ?? 0) + 1 : 0;
      sightings.set(unit, seen);
      if (seen === 2) await host.run(["systemctl", "--user", "kill", "--signal=SIGKILL", unit], { timeoutMs: 15_000 });
    }
  }
  return call;
}
