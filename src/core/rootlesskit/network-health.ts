// Whether the running RootlessKit's network works, not only whether it started: the process of
// its network driver (slirp4netns, pasta, vpnkit) is alive, and in the network namespace
// containers use (the detached one with detach-netns, else the child's) an interface is up, has
// carrier and an IPv4 address. A pasta that AppArmor stopped leaves RootlessKit and containerd
// running with a zombie pasta and a tap0 without carrier (seen in the Debian 13 VM); the socket
// and RootlessKit's argv look fine then. install, configure and apply wait for this after
// containerd's start; a fuller functional check (issue 23) can build on networkHealth.
import { join } from "node:path";
import type { Host } from "../os/host.ts";
import type { Paths } from "../os/paths.ts";
import { CONTAINERD_UNIT } from "../os/paths.ts";
import type { WaitStep } from "../plan/steps.ts";
import { unitStates, isActive } from "../systemd/units.ts";
import { DRIVER_PROGRAM } from "./facts.ts";
import { nsenterArgv } from "./nsenter.ts";
import { processArgv } from "../os/proc.ts";
import { children, procStat } from "./stuck.ts";
import type { NetDriver } from "./settings.ts";

export interface NetworkHealth {
  ok: boolean;
  /** what is wrong, for a message */
  problem?: string;
  /** the interfaces seen, e.g. "tap0 UP,LOWER_UP 10.0.2.100/24" */
  seen?: string;
}

interface IpAddr {
  ifname: string;
  flags?: string[];
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The --flag=value of a RootlessKit command line. */
const flag = (argv: string[], name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** The driver's process among RootlessKit's children: alive, a zombie, or gone. */
async function driverProcess(host: Host, rootlesskitPid: number, program: string): Promise<"alive" | "zombie" | "gone"> {
  let zombie = false;
  for (const pid of await children(host, rootlesskitPid)) {
    const s = await procStat(host, pid);
    if (!s?.comm.startsWith(program.slice(0, 15))) continue; // pasta may run as pasta.avx2; comm is at most 15 bytes
    if (s.state !== "Z") return "alive";
    zombie = true;
  }
  return zombie ? "zombie" : "gone";
}

/** `ip -j addr` in the namespace containers use. null when it cannot be asked (no `ip`). */
async function interfaces(host: Host, paths: Paths, stateDir: string, detached: boolean): Promise<IpAddr[] | null> {
  if (!(await host.which("ip"))) return null;
  const ip = ["ip", "-j", "addr", "show"];
  // a detached netns is a bind mount inside RootlessKit's mount namespace: entered from there
  const ns = await nsenterArgv(host, paths, detached ? ["nsenter", `--net=${join(stateDir, "netns")}`, ...ip] : ip, stateDir);
  const r = await host.run(ns.argv, { env: ns.env, timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`ip addr in RootlessKit's network namespace failed: ${(r.stderr || r.stdout).trim()}`);
  return JSON.parse(r.stdout) as IpAddr[];
}

const describe = (i: IpAddr) => `${i.ifname} ${(i.flags ?? []).join(",")}${(i.addr_info ?? []).filter((a) => a.family === "inet").map((a) => ` ${a.local}/${a.prefixlen}`).join("")}`;

/** The network of the RootlessKit running as `rootlesskitPid` (its command line says the driver, state dir and detach-netns). */
export async function networkHealth(host: Host, paths: Paths, rootlesskitPid: number): Promise<NetworkHealth> {
  const argv = await processArgv(host, rootlesskitPid);
  const net = flag(argv, "net") as NetDriver | "host" | undefined;
  const stateDir = flag(argv, "state-dir") ?? paths.rootlesskitStateDir;
  if (!net || net === "host") return { ok: true };
  const program = DRIVER_PROGRAM[net as NetDriver];
  // lxc-user-nic runs once and exits; gvisor-tap-vsock is built in
  if (program && net !== "lxc-user-nic") {
    const state = await driverProcess(host, rootlesskitPid, program);
    if (state !== "alive") return { ok: false, problem: `the ${program} process RootlessKit started for its network has exited${state === "zombie" ? " (a zombie, <defunct>)" : ""}, so containers have no network` };
  }
  const found = await interfaces(host, paths, stateDir, argv.includes("--detach-netns"));
  if (found === null) return { ok: true }; // no `ip` on this machine: the driver's process is what can be seen
  const links = found.filter((i) => i.ifname !== "lo");
  const seen = links.map(describe).join("; ") || "no interface but lo";
  const working = links.some((i) => i.flags?.includes("UP") && i.flags.includes("LOWER_UP") && i.addr_info?.some((a) => a.family === "inet"));
  return working ? { ok: true, seen } : { ok: false, problem: `no interface in RootlessKit's network namespace is up with carrier and an IPv4 address (${seen}), so containers have no network`, seen };
}

/** The network of containerd.service's RootlessKit; not ok when the unit does not run. */
export async function containerdNetworkHealth(host: Host, paths: Paths): Promise<NetworkHealth> {
  const [s] = await unitStates(host, [CONTAINERD_UNIT]);
  if (!s || !isActive(s) || s.mainPid <= 0) return { ok: false, problem: `${CONTAINERD_UNIT} is not running` };
  return networkHealth(host, paths, s.mainPid);
}

export const NETWORK_WAIT = "RootlessKit's network";

/** Waits (after containerd answered) until its network works; a problem that stays for 3 s fails it. */
export function networkWorksStep(paths: Paths, timeoutMs = 20_000): WaitStep {
  let problem: string | undefined;
  let since = 0;
  return {
    kind: "wait",
    what: NETWORK_WAIT,
    settled: "RootlessKit's network works",
    timeoutMs,
    everyMs: 200,
    why: "RootlessKit running is not enough: its network driver must be alive and its interface up, with carrier and an address",
    ready: async (host) => {
      const h = await containerdNetworkHealth(host, paths).catch((e: Error) => ({ ok: false, problem: e.message }) as NetworkHealth);
      if (h.ok) return true;
      if (problem !== h.problem) since = host.now();
      problem = h.problem;
      return false;
    },
    failed: async (host) => (problem && host.now() - since >= 3000 ? problem : undefined),
  };
}
