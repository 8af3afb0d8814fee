// DNS with slirp4netns when the host's /etc/resolv.conf names a local stub resolver
// (systemd-resolved's 127.0.0.53): what RootlessKit's namespace and the containers will use.
// Inside the namespace /etc/resolv.conf says 10.0.2.3, slirp4netns's own forwarder, which asks
// the host's first nameserver from the host's side (RootlessKit docs/network.md); nerdctl gives
// containers 10.0.2.3 first, then the host's non-loopback servers, reading
// /run/systemd/resolve/resolv.conf when the stub is all there is, else 8.8.8.8 and 8.8.4.4
// (containerd/nerdctl pull 374, pkg/resolvconf). slirp4netns's sandbox (on unless the setting
// says false) cannot follow a /etc/resolv.conf symlink that leaves /etc and /run, and then
// 10.0.2.3 answers nothing (slirp4netns issue 329, slirp4netns.1).
import type { Finding } from "./findings.ts";
import { readSafe, type CheckContext, type ProbeResult } from "./context.ts";
import { settingSpec } from "../rootlesskit/settings.ts";
import { serviceNetDriver, serviceVars } from "./service-view.ts";
import { nameservers } from "../verify/dns-wire.ts";

export { nameservers };

const UPSTREAM = "/run/systemd/resolve/resolv.conf";


const isLocal = (ns: string) => /^127\./.test(ns) || ns === "::1";

export async function probeDns(ctx: CheckContext): Promise<ProbeResult> {
  const resolv = await readSafe(ctx, "/etc/resolv.conf");
  const servers = nameservers(resolv.text);
  if (!servers.length || !servers.every(isLocal)) return { findings: [] };
  const net = await serviceNetDriver(ctx);
  if (net !== "slirp4netns") return { findings: [] };
  const upstream = nameservers((await readSafe(ctx, UPSTREAM)).text).filter((s) => !isLocal(s));
  const containers = upstream.length ? `then the servers systemd-resolved itself uses (${upstream.join(", ")}, from ${UPSTREAM})` : `then 8.8.8.8 and 8.8.4.4 (${UPSTREAM} names no other server), so names only your resolver knows (VPN, .local, corporate) resolve through 10.0.2.3 alone`;
  const findings: Finding[] = [
    {
      id: "dns.stub",
      level: "info",
      message: `/etc/resolv.conf names the local stub resolver ${servers[0]}, which containers cannot reach. With slirp4netns, RootlessKit's namespace uses 10.0.2.3, slirp4netns's forwarder, which asks ${servers[0]} from the host; nerdctl's containers get 10.0.2.3 first, ${containers}.`,
    },
  ];
  const sandboxOff = ["false", "0"].includes((await serviceVars(ctx))[settingSpec("slirp4netnsSandbox").env] ?? "");
  const real = (await ctx.host.realpath("/etc/resolv.conf").catch(() => null)) ?? "/etc/resolv.conf";
  if (!sandboxOff && !/^\/(etc|run|var\/run)\//.test(real)) {
    findings.push({
      id: "dns.sandbox",
      level: "warning",
      message: `/etc/resolv.conf is a link to ${real}, outside /etc and /run: slirp4netns's sandbox cannot read it, so its forwarder 10.0.2.3 answers nothing and pulls fail with "lookup ... on 10.0.2.3:53: i/o timeout".`,
      fix: "`containerd-rootless-systemd configure --slirp4netns-sandbox false`, or make /etc/resolv.conf a file or a link into /etc or /run.",
    });
  }
  return { findings };
}
