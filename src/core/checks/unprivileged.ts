// What an unprivileged user may do on the host network that containers ask for: publishing
// ports below 1024 (net.ipv4.ip_unprivileged_port_start, or cap_net_bind_service on
// RootlessKit, whose builtin port driver binds the host side) and ping
// (net.ipv4.ping_group_range must hold the user's gid and sub-gids for slirp4netns and pasta;
// lxc-user-nic needs nothing, vpnkit cannot ping at all: RootlessKit's docs/network.md).
// Both are optional: information with the fix, never a reason for `check` to fail.
import { shellQuote } from "../os/shell.ts";
import type { Finding } from "./findings.ts";
import { ok } from "./findings.ts";
import { findTool, findToolVersion, readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { parseSubids } from "./subid.ts";
import { serviceNetDriver } from "./service-view.ts";

export const PORTS_CONF = "/etc/sysctl.d/99-rootless-unprivileged-ports.conf";
export const PING_CONF = "/etc/sysctl.d/99-rootless-ping.conf";
const PING_ALL = "0 2147483647";

async function rootlesskitHasBindCap(ctx: CheckContext, path: string): Promise<boolean> {
  const getcap = await findTool(ctx, "getcap");
  if (!getcap) return false;
  const r = await ctx.host.run([getcap, path], { timeoutMs: 5000 });
  return r.code === 0 && r.stdout.includes("cap_net_bind_service");
}

async function portsFinding(ctx: CheckContext): Promise<Finding> {
  const [r, rk] = await Promise.all([readSafe(ctx, "/proc/sys/net/ipv4/ip_unprivileged_port_start"), findToolVersion(ctx, "rootlesskit")]);
  const rkPath = rk ? ((await ctx.host.realpath(rk.path)) ?? rk.path) : null;
  if (rkPath && (await rootlesskitHasBindCap(ctx, rkPath))) return ok("unprivileged.ports", `${rkPath} has cap_net_bind_service: containers can publish ports below 1024`);
  const text = r.text?.trim() ?? "";
  const start = /^\d+$/.test(text) ? Number(text) : null;
  if (start === 0) return ok("unprivileged.ports", "Containers can publish any port (net.ipv4.ip_unprivileged_port_start=0)");
  const setcap = rkPath ? ` Or, instead, let RootlessKit bind them: \`sudo setcap cap_net_bind_service=ep ${shellQuote(rkPath)}\`, then \`systemctl --user restart containerd.service\` (again after every RootlessKit upgrade).` : "";
  const sysctl = [`echo "net.ipv4.ip_unprivileged_port_start=0" > ${PORTS_CONF}`, "sysctl -w net.ipv4.ip_unprivileged_port_start=0"];
  if (start === null) {
    return {
      id: "unprivileged.ports",
      level: "info",
      message: "This kernel has no net.ipv4.ip_unprivileged_port_start (it is older than 4.11): containers cannot publish ports below 1024 (e.g. `nerdctl run -p 80:80`).",
      ...(rkPath ? { fix: setcap.trim() } : {}),
    };
  }
  return {
    id: "unprivileged.ports",
    level: "info",
    message: `Containers cannot publish ports below ${start} (e.g. \`nerdctl run -p 80:80\`): net.ipv4.ip_unprivileged_port_start is ${start}.`,
    fix: `To allow them, set it to 0 with the sysctl.d drop-in below.${setcap}`,
    sudoFix: sysctl,
  };
}

/** The gids a container's processes have on the host: the user's own (container root) and the sub-gids. */
async function containerGids(ctx: CheckContext): Promise<{ start: number; end: number }[]> {
  const sub = await readSafe(ctx, "/etc/subgid");
  const mine = parseSubids(sub.text ?? "").ranges.filter((r) => r.owner === ctx.user || r.owner === String(ctx.uid));
  return [{ start: ctx.host.gid, end: ctx.host.gid }, ...mine.map((r) => ({ start: r.start, end: r.start + r.count - 1 }))];
}

async function pingFinding(ctx: CheckContext): Promise<Finding | null> {
  // the range matters to the drivers that send ICMP from the host's side (RootlessKit docs/network.md)
  const net = await serviceNetDriver(ctx);
  if (net === "lxc-user-nic") return ok("unprivileged.ping", "ping works in containers with lxc-user-nic (no ping_group_range needed)");
  if (net === "vpnkit") return { id: "unprivileged.ping", level: "info", message: "ping inside containers does not work with the vpnkit network driver (it forwards only TCP and UDP); slirp4netns or pasta forward it." };
  const r = await readSafe(ctx, "/proc/sys/net/ipv4/ping_group_range");
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(r.text ?? "");
  if (!m) return null;
  const [lo, hi] = [Number(m[1]), Number(m[2])];
  const gids = await containerGids(ctx);
  const outside = gids.filter((g) => g.start < lo || g.end > hi);
  if (outside.length === 0) return ok("unprivileged.ping", `ping works in containers (net.ipv4.ping_group_range ${lo} ${hi} holds your gid and sub-gids)`);
  const range = lo > hi ? "allows no group" : `is ${lo}-${hi}`;
  return {
    id: "unprivileged.ping",
    level: "info",
    message: `ping inside containers fails: net.ipv4.ping_group_range ${range}, which leaves out ${outside.map((g) => (g.start === g.end ? `gid ${g.start}` : `gids ${g.start}-${g.end}`)).join(" and ")}.`,
    fix: "To allow ping, widen the range with the sysctl.d drop-in below.",
    sudoFix: [`echo "net.ipv4.ping_group_range=${PING_ALL}" > ${PING_CONF}`, `sysctl -w net.ipv4.ping_group_range="${PING_ALL}"`],
  };
}

export async function probeUnprivileged(ctx: CheckContext): Promise<ProbeResult> {
  const [ports, ping] = await Promise.all([portsFinding(ctx), pingFinding(ctx)]);
  return { findings: ping ? [ports, ping] : [ports] };
}
