// The agent: what `verify` runs inside its throwaway container (this binary, bind-mounted,
// `verify-agent SPEC`). It looks at the container from the inside — its root, interfaces and
// route, a TCP connection out, DNS through the container's own resolv.conf, ping, its cgroup —
// and reports each as one JSON line; with `listen` it also answers connections that reach it
// through RootlessKit's port driver, telling each client the address it came from.
import type { Host } from "../os/host.ts";
import { askResolver, nameservers } from "./dns-wire.ts";
import type { AgentEvent, AgentResult, AgentSpec } from "./agent-spec.ts";

const PROBE_FILE = "/.crs-verify-probe";

/** The default route of /proc/net/route (hex, little-endian addresses), or null. */
export function defaultRoute(text: string | null): { iface: string; gateway: string } | null {
  for (const line of (text ?? "").split("\n").slice(1)) {
    const [iface, dest, gw, , , , , mask] = line.trim().split(/\s+/);
    if (!iface || dest !== "00000000" || mask !== "00000000" || !gw) continue;
    const n = parseInt(gw, 16);
    return { iface, gateway: [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join(".") };
  }
  return null;
}

/** The file system type of `/` from /proc/self/mountinfo (the last mount on / is the one seen). */
export function rootFsType(mountinfo: string | null): string | null {
  let type: string | null = null;
  for (const line of (mountinfo ?? "").split("\n")) {
    const [before, after] = line.split(" - ");
    if (before?.split(" ")[4] === "/" && after) type = after.split(" ")[0] ?? null;
  }
  return type;
}

async function checkRootfs(host: Host): Promise<AgentResult["rootfs"]> {
  const token = `crs-verify ${host.pid} ${Date.now()}`;
  try {
    await host.writeFileAtomic(PROBE_FILE, token, 0o644);
    const back = await host.readText(PROBE_FILE);
    await host.remove(PROBE_FILE);
    const fsType = rootFsType(await host.readText("/proc/self/mountinfo").catch(() => null));
    return back === token ? { ok: true, fsType, detail: `wrote and read back ${PROBE_FILE}` } : { ok: false, fsType, detail: `${PROBE_FILE} read back differently` };
  } catch (e) {
    return { ok: false, fsType: null, detail: `cannot write ${PROBE_FILE}: ${(e as Error).message}` };
  }
}

async function checkDns(host: Host, name: string): Promise<AgentResult["dns"]> {
  const servers = nameservers(await host.readText("/etc/resolv.conf").catch(() => null));
  return { servers, answers: await Promise.all(servers.map((s) => askResolver(host, s, name, 2000))) };
}

/** The interfaces but lo and their operstate (up, down, unknown: a tap whose other end is gone is down). */
async function links(host: Host): Promise<{ name: string; state: string }[]> {
  const names = ((await host.readdir("/sys/class/net")) ?? []).filter((n) => n !== "lo").sort();
  return Promise.all(names.map(async (name) => ({ name, state: (await readTrimmed(host, `/sys/class/net/${name}/operstate`)) ?? "unknown" })));
}

async function readTrimmed(host: Host, path: string): Promise<string | null> {
  return (await host.readText(path).catch(() => null))?.trim() ?? null;
}

/** The cgroup v2 path of this process ("0::PATH" in /proc/self/cgroup), or null. */
export function ownCgroup(procSelfCgroup: string | null): string | null {
  return /^0::(\/.*)$/m.exec(procSelfCgroup ?? "")?.[1] ?? null;
}

/**
 * This container's memory.max and cpu.max. ctr gives the container no cgroup namespace and no
 * cgroup file system: verify binds the host's /sys/fs/cgroup in (containers.ts), which shows the
 * hierarchy from the top, so its own cgroup is the path /proc/self/cgroup names (checked on a
 * systemd-booted Debian 13, where a plain /sys/fs/cgroup/memory.max read "(none)").
 */
async function ownLimits(host: Host): Promise<{ memoryMax: string | null; cpuMax: string | null }> {
  const own = ownCgroup(await host.readText("/proc/self/cgroup").catch(() => null));
  for (const dir of [...(own && own !== "/" ? [`/sys/fs/cgroup${own}`] : []), "/sys/fs/cgroup"]) {
    const [memoryMax, cpuMax] = await Promise.all([readTrimmed(host, `${dir}/memory.max`), readTrimmed(host, `${dir}/cpu.max`)]);
    if (memoryMax !== null || cpuMax !== null) return { memoryMax, cpuMax };
  }
  return { memoryMax: null, cpuMax: null };
}

/** Runs what `spec` asks and reports through `emit`; resolves once the checks are reported and listening (if asked) has ended. */
export async function runAgent(host: Host, spec: AgentSpec, emit: (e: AgentEvent) => void, stop: Promise<void>): Promise<void> {
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, spec.deadlineMs).unref());
  let listening: Promise<void> = Promise.resolve();
  if (spec.listen) {
    const listener = await host
      .listenTcp("0.0.0.0", spec.listen.port, (c) => {
        c.reply(`peer ${c.remoteAddress}\n`);
        emit({ event: "served", peer: c.remoteAddress, line: c.line });
      })
      .catch((e: Error) => e);
    if (listener instanceof Error) emit({ event: "listen-failed", detail: listener.message });
    else {
      emit({ event: "listening", port: listener.port });
      listening = Promise.race([stop, deadline]).then(() => listener.close());
    }
  }
  const part = (r: AgentResult) => emit({ event: "result", ...r });
  await Promise.all([
    spec.rootfs && checkRootfs(host).then((rootfs) => part({ rootfs })),
    spec.interfaces &&
      host.readText("/proc/net/route").then(
        async (t) => part({ interfaces: host.interfaces().filter((i) => !i.internal && i.family === "IPv4").map((i) => ({ name: i.name, cidr: i.cidr ?? i.address })), route: defaultRoute(t), links: await links(host) }),
        () => part({ interfaces: [], route: null, links: [] }),
      ),
    spec.tcp && host.exchangeTcp(spec.tcp.address, spec.tcp.port, spec.tcp.token, 3000).then((tcp) => part({ tcp })),
    spec.dns && checkDns(host, spec.dns.name).then((dns) => part({ dns })),
    spec.ping && host.ping(spec.ping.address, spec.ping.timeoutMs).then((ping) => part({ ping })),
    spec.cgroup && ownLimits(host).then((cgroup) => part({ cgroup })),
  ]);
  emit({ event: "done" });
  await listening;
}
