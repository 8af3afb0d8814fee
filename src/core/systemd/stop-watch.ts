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

/**
 * Kills `unit` once its main process has been seen twice, at least `everyMs` apart, as a
 * RootlessKit that cannot finish stopping. Call it as often as you like with the unit's MainPID
 * (a wait that polls faster looks only once per `everyMs`).
 */
export function stuckStopKiller(unit: string, everyMs = 1000): (host: Host, pid: number) => Promise<void> {
  let sightings = 0;
  let lastLook = -Infinity;
  return async (host, pid) => {
    if (host.now() - lastLook < everyMs) return;
    lastLook = host.now();
    sightings = pid > 0 && (await rootlesskitOrphaned(host, pid)) ? sightings + 1 : 0;
    if (sightings === 2) await host.run(["systemctl", "--user", "kill", "--signal=SIGKILL", unit], { timeoutMs: 15_000 });
  };
}

/** Runs `systemctl --user ARGS`, unsticking the units it stops from RootlessKit's hang. */
export async function runStopping(host: Host, args: string[], timeoutMs: number, everyMs = 1000): Promise<RunResult> {
  const units = unitsStopped(args);
  const call = host.run(["systemctl", "--user", ...args], { timeoutMs });
  if (units.length === 0) return call;
  let finished = false;
  // the pause between looks ends with the call: a timer left pending would hold the process's exit up to `everyMs`
  const ended = new AbortController();
  void call.then(() => (finished = true), () => (finished = true)).finally(() => ended.abort());
  const killers = units.map((unit) => ({ unit, unstick: stuckStopKiller(unit, 0) }));
  while (!finished) {
    await host.sleep(everyMs, ended.signal);
    if (finished) break;
    for (const k of killers) await k.unstick(host, await mainPid(host, k.unit));
  }
  return call;
}
