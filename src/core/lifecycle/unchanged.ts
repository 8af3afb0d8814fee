// A second `install` with nothing to change, told without starting a process: the binary's copy
// (size and mtime), the unit file (the exact text install would write), the enablement link,
// RootlessKit's child alive (its pid file and /proc), and containerd answering its Version call
// on its socket (a pid file can name a reused pid and a socket file can be stale: neither is
// "running"). Only a positive answer counts; anything else takes the full path (checks, plan,
// apply), which decides the same question with systemd's own answers.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT, unitPath, wantsLinkPath } from "../os/paths.ts";
import { containerdUnit, renderUnit } from "../systemd/units.ts";
import { containerdServicePath } from "../systemd/service-path.ts";
import { serviceEnvironment } from "../systemd/service-environment.ts";
import { launcherLocation } from "./install-plan.ts";
import { containerdVersion } from "../containerd/api.ts";

/** Where systemd looks for user units that the user did not write (dbus.socket comes from the distribution). */
const SYSTEM_USER_UNIT_DIRS = ["/etc/systemd/user", "/usr/local/lib/systemd/user", "/usr/lib/systemd/user", "/lib/systemd/user"];

export interface Unchanged {
  unitFile: string;
  execStart: string[];
}

export async function installedAsPlanned(host: Host, paths: Paths): Promise<Unchanged | null> {
  const where = await launcherLocation(host, paths);
  if (where.copyFrom && !(await host.sameSizeAndMtime(where.copyFrom, where.copyTo!))) return null;
  const dirs = [paths.unitDir, ...SYSTEM_USER_UNIT_DIRS];
  const dbusSocket = (await Promise.all(dirs.map((d) => host.exists(join(d, "dbus.socket"))))).some(Boolean);
  const execStart = [...where.command, "launch"];
  const unitFile = unitPath(paths, CONTAINERD_UNIT);
  // the same PATH install computes (programs found on PATH: file look-ups, no process)
  const expected = renderUnit(containerdUnit({ execStart, path: await containerdServicePath(host, paths), dbusSocket }));
  if ((await host.readText(unitFile)) !== expected) return null;
  // the link enabling makes (WantedBy=default.target)
  if (!(await host.exists(wantsLinkPath(paths, CONTAINERD_UNIT)))) return null;
  // the state dir from the unit and its drop-ins; a manager-wide setting would make this miss, and then the full path decides
  const set = (await serviceEnvironment(host, paths, { manager: {}, environmentFiles: false })).vars.CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR?.value;
  const stateDir = set && set.startsWith("/") ? set : paths.rootlesskitStateDir;
  const pid = Number((await host.readText(join(stateDir, "child_pid")).catch(() => null))?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || !(await host.exists(`/proc/${pid}`))) return null;
  return (await containerdVersion(host, paths.containerdSocket, 1000)).ok ? { unitFile, execStart } : null;
}
