// What verify needs to know about the running stack before it starts containers: how to enter
// containerd's namespaces (nsenter) and reach it (ctr), the network and port drivers RootlessKit
// runs with (its API: `rootlessctl info`), whether its network namespace is detached, where a
// container's resolv.conf comes from, nerdctl's default snapshotter, and the host's own address
// and name (a listener the container must reach, a name it must resolve).
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { UserError } from "../os/errors.ts";
import { nsenterArgv } from "../rootlesskit/nsenter.ts";
import { serviceStateDir } from "../containerd/ready.ts";
import { configuredSnapshotters, rootlesskitSettings } from "../lifecycle/status.ts";
import { DRIVER_PROGRAM } from "../rootlesskit/facts.ts";
import type { NetDriver } from "../rootlesskit/settings.ts";

export interface StackFacts {
  stateDir: string;
  /** `nsenter ... --` into containerd's namespaces: a command goes after it */
  nsenter: string[];
  nsenterEnv: Record<string, string>;
  /** RootlessKit's child (containerd's parent) and RootlessKit itself */
  childPid: number;
  rootlesskitPid: number | null;
  ctr: string;
  /** RootlessKit's version, drivers and DNS as its API reports them (null: it could not be asked) */
  rootlesskitVersion: string | null;
  netDriver: string | null;
  portDriver: string | null;
  /** RootlessKit runs with --detach-netns: its network namespace is $STATE/netns, containerd is in the host's */
  detached: boolean;
  /** the file a container's /etc/resolv.conf comes from, as verify mounts it (null: the namespace's own /etc/resolv.conf) */
  resolvConf: string | null;
  defaultSnapshotter: string;
  /** the host's first non-loopback IPv4 address (what a container reaches the host by), if any */
  hostAddress: string | null;
  hostname: string;
}

/** The ctr command line for `args` in namespace `ns`, inside containerd's namespaces. */
export function ctrArgv(facts: StackFacts, paths: Paths, ns: string, args: string[]): string[] {
  return [...facts.nsenter, facts.ctr, "--address", paths.containerdSocket, "-n", ns, ...args];
}

/** The parent of a process (its PPid), from /proc. */
async function parentOf(host: Host, pid: number): Promise<number | null> {
  const status = await host.readText(`/proc/${pid}/status`).catch(() => null);
  const ppid = Number(/^PPid:\s*(\d+)/m.exec(status ?? "")?.[1]);
  return ppid > 0 ? ppid : null;
}

/** verify cannot run here for want of a client, which says nothing of the stack itself (unlike a missing socket). */
export class VerifyUnavailable extends UserError {}

export async function stackFacts(host: Host, paths: Paths): Promise<StackFacts> {
  const stateDir = await serviceStateDir(host, paths);
  const [ns, ctr] = await Promise.all([nsenterArgv(host, paths, ["true"], stateDir), host.which("ctr")]);
  if (!ctr) throw new VerifyUnavailable("ctr (containerd's client) is not on PATH: verify runs its containers with it", "Install containerd's client (Debian/Ubuntu: it comes with the `containerd` package), or run `containerd-rootless-systemd components install`.");
  if (!(await host.exists(paths.containerdSocket))) throw new UserError(`containerd's socket ${paths.containerdSocket} does not exist`, "Start it with `systemctl --user start containerd.service`, or run `containerd-rootless-systemd install --yes`.");
  const [rk, rootlesskitPid, snapshotters, resolv] = await Promise.all([
    rootlesskitSettings(host, stateDir, null),
    parentOf(host, ns.pid),
    configuredSnapshotters(host, paths),
    host.exists(join(stateDir, "resolv.conf")),
  ]);
  const s = rk.settings ?? {};
  const address = host.interfaces().find((i) => !i.internal && i.family === "IPv4")?.address ?? null;
  return {
    stateDir,
    nsenter: ns.argv.slice(0, ns.argv.indexOf("--") + 1),
    nsenterEnv: ns.env,
    childPid: ns.pid,
    rootlesskitPid,
    ctr,
    rootlesskitVersion: s.version ?? null,
    netDriver: s["networkDriver.driver"] ?? null,
    portDriver: s["portDriver.driver"] ?? (rk.settings ? "none" : null),
    detached: ns.detachedNetns,
    resolvConf: ns.detachedNetns && resolv ? join(stateDir, "resolv.conf") : null,
    defaultSnapshotter: snapshotters.default,
    hostAddress: address,
    hostname: host.hostname(),
  };
}

/** Whether RootlessKit's network driver process still runs: a child of RootlessKit named after the driver (null: it has no process of its own to look for). */
export async function driverProcess(host: Host, facts: StackFacts): Promise<{ program: string; pid: number | null } | null> {
  const program = DRIVER_PROGRAM[facts.netDriver as NetDriver];
  if (!program || program === "lxc-user-nic" || !facts.rootlesskitPid) return null;
  const tasks = (await host.readdir(`/proc/${facts.rootlesskitPid}/task`)) ?? [];
  const children = (await Promise.all(tasks.map((t) => host.readText(`/proc/${facts.rootlesskitPid}/task/${t}/children`).catch(() => "")))).join(" ").split(/\s+/).filter(Boolean);
  for (const pid of children) {
    const comm = (await host.readText(`/proc/${pid}/comm`).catch(() => null))?.trim();
    if (comm !== program && !(program === "pasta" && comm === "passt")) continue;
    // a driver that died stays RootlessKit's unreaped child: a zombie (state Z) is not running
    const state = /^State:\s*(\S)/m.exec((await host.readText(`/proc/${pid}/status`).catch(() => null)) ?? "")?.[1];
    return { program, pid: state === "Z" || state === "X" ? null : Number(pid) };
  }
  return { program, pid: null };
}
