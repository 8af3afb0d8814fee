// A unit's output where there is no journal. systemd connects a service's standard output and
// error to journald; when journald is not running (containers, some WSL and CI machines, the
// test machines here) it gives the service /dev/null instead and sets no JOURNAL_STREAM, and
// what a daemon says when it exits at once is lost. The units' own first process (this binary's
// `launch` for containerd, `nsenter --wait` for the add-ons in its namespace) sees that and
// points the output at ~/.local/share/containerd-rootless-systemd/logs/UNIT.log, emptied at
// each start, before it becomes the daemon; a failure then shows that file's last lines.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";

export const unitLogPath = (paths: Paths, unit: string) => join(paths.stateDir, "logs", `${unit}.log`);

/** The unit this process runs in, from its cgroup (…/app.slice/NAME.service). */
async function ownUnit(host: Host): Promise<string | null> {
  const cgroup = (await host.readText("/proc/self/cgroup").catch(() => null)) ?? "";
  return /\/([^/\s]+\.service)$/m.exec(cgroup)?.[1] ?? null;
}

/**
 * The log file to send this process's output to: set when systemd runs it (INVOCATION_ID) with
 * no journal connected (no JOURNAL_STREAM) and standard error on /dev/null; its directory made.
 * Null otherwise (a terminal, the journal, or a unit that discards output on purpose is left as is).
 */
export async function discardedOutputLog(host: Host, paths: Paths): Promise<string | null> {
  if (!host.env.INVOCATION_ID || host.env.JOURNAL_STREAM) return null;
  if ((await host.readlink("/proc/self/fd/2").catch(() => null)) !== "/dev/null") return null;
  const unit = await ownUnit(host);
  if (!unit) return null;
  const path = unitLogPath(paths, unit);
  await host.mkdirp(join(paths.stateDir, "logs"), 0o700);
  return path;
}

/** The last lines of a unit's log ("" when there is none). */
export async function lastUnitOutput(host: Host, paths: Paths, unit: string, lines = 20): Promise<string> {
  const text = (await host.readText(unitLogPath(paths, unit)).catch(() => null)) ?? "";
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
