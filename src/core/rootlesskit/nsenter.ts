// Entering the RootlessKit namespaces of the running containerd (behaviour.md, "RootlessKit
// state dir and nsenter"): the nsenter command line and the ROOTLESSKIT_* variables to pass on.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { STANDARD_DIRS } from "../os/programs.ts";

export const PASSED_ON_VARS = ["ROOTLESSKIT_STATE_DIR", "ROOTLESSKIT_PARENT_EUID", "ROOTLESSKIT_PARENT_EGID"] as const;

export interface NsenterCommand {
  argv: string[];
  /** variables to add to the command's environment */
  env: Record<string, string>;
  pid: number;
  /** true when the netns is detached ($STATE_DIR/netns exists): `-n` is left out */
  detachedNetns: boolean;
}

/** The NUL-separated /proc/PID/environ as a map. */
export function parseEnviron(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

const notRunning = (detail: string) =>
  new UserError(`containerd is not running (${detail})`, "Start it with `systemctl --user start containerd.service`; see `systemctl --user status containerd.service` if it fails.");

/**
 * `nsenter --no-fork --wd=$PWD --preserve-credentials -m -U [-n] -t PID -- CMD`, PID from
 * $STATE_DIR/child_pid. Throws "containerd is not running" when that process is gone.
 * `stateDir` defaults to the default RootlessKit state dir.
 */
export async function nsenterArgv(host: Host, paths: Paths, cmd: string[], stateDir = paths.rootlesskitStateDir): Promise<NsenterCommand> {
  if (cmd.length === 0) throw new UserError("no command given to run inside the namespace", "Example: containerd-rootless-systemd nsenter -- ctr version");
  const pidFile = join(stateDir, "child_pid");
  const text = await host.readText(pidFile);
  if (text === null) throw notRunning(`${pidFile} does not exist`);
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw notRunning(`${pidFile} holds no process id`);
  if (!(await host.exists(`/proc/${pid}`))) throw notRunning(`the RootlessKit child ${pid} from ${pidFile} has exited`);
  const environ = parseEnviron((await host.readText(`/proc/${pid}/environ`).catch(() => null)) ?? "");
  const env: Record<string, string> = {};
  for (const name of PASSED_ON_VARS) if (environ[name] !== undefined) env[name] = environ[name]!;
  env.ROOTLESSKIT_STATE_DIR ??= stateDir;
  // the command finds the programs the service runs (`nsenter -- ctr` the bundle's ctr): the active bundle's bin first, as on the units' PATH
  const preferred: string[] = [];
  for (const dir of host.preferDirs) if (await host.exists(dir)) preferred.push(dir);
  if (preferred.length) env.PATH = [...preferred, host.env.PATH ?? STANDARD_DIRS.join(":")].join(":");
  const nsenter = await host.which("nsenter");
  if (!nsenter) throw new UserError("nsenter is not installed (not found on PATH)", "Install util-linux (Debian/Ubuntu: `sudo apt-get install util-linux`).");
  const detachedNetns = await host.exists(join(stateDir, "netns"));
  return {
    argv: [nsenter, "--no-fork", `--wd=${host.cwd()}`, "--preserve-credentials", "-m", "-U", ...(detachedNetns ? [] : ["-n"]), "-t", String(pid), "--", ...cmd],
    env,
    pid,
    detachedNetns,
  };
}
