// A unit's output where there is no journal. systemd connects a service's standard output and
// error to journald; when journald is not running (containers, some WSL and CI machines, the
// test machines here) it gives the service /dev/null instead and sets no JOURNAL_STREAM, and
// what a daemon says when it exits at once is lost. The units' own first process (this binary's
// `launch` for containerd, `nsenter --wait` for the add-ons in its namespace) sees that and
// points the output at $XDG_RUNTIME_DIR/containerd-rootless-systemd/UNIT.log, emptied at each
// start, before it becomes the daemon; a failure then shows that file's last lines. The runtime
// directory, not the home: like a journal it is no part of the setup (a failed install leaves
// nothing in ~/.config or ~/.local), and it goes at logout or reboot.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";

const logDir = (paths: Paths) => join(paths.runtimeDir, "containerd-rootless-systemd");
export const unitLogPath = (paths: Paths, unit: string) => join(logDir(paths), `${unit}.log`);

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
  await host.mkdirp(logDir(paths), 0o700);
  return path;
}

/** The last lines of a unit's log ("" when there is none). */
export async function lastUnitOutput(host: Host, paths: Paths, unit: string, lines = 20): Promise<string> {
  const text = (await host.readText(unitLogPath(paths, unit)).catch(() => null)) ?? "";
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
