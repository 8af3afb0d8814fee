// 6. ping: the container sends an ICMP echo request to the host's own address. Its root has
// CAP_NET_RAW in its user namespace, so the request leaves the container; the network driver
// (slirp4netns, pasta) then sends it from the host with an unprivileged ICMP socket, which
// net.ipv4.ping_group_range must allow for the user's group (RootlessKit docs/network.md;
// icmp(7)); vpnkit forwards no ICMP at all. check's unprivileged.ping finding predicts it, fix included.
import { fail, notApplicable, offBySetting, pass } from "../outcome.ts";
import type { Probe } from "./probe.ts";
import { whyNoReport } from "./probe.ts";
import { inSubnet } from "./network.ts";

export const pingProbe: Probe = {
  id: "ping",
  title: "ping works in it",
  async run(s) {
    const target = s.facts.hostAddress;
    if (!target) return notApplicable("the host has no address other than loopback to ping");
    const main = await s.main;
    const r = await main?.part("ping");
    if (!main || !r) return fail(`no container to ping from: ${(await whyNoReport(s, main)).split("\n")[0]}`);
    const inside = (await main.part("interfaces"))?.find((i) => inSubnet(target, i.cidr));
    if (inside) return notApplicable(`the host's address ${target} is inside the container's network ${inside.cidr} (RootlessKit's gateway there): pinging it does not reach the host`);
    const prediction = (await s.findings("unprivileged")).find((f) => f.id === "unprivileged.ping");
    const evidence = [`ICMP echo to ${target} (${r.socket ?? "no"} socket in the container): ${r.ok ? `reply in ${r.ms.toFixed(0)} ms` : r.detail}`];
    if (r.ok) return pass(`the host ${target} answered the container's ping in ${r.ms.toFixed(0)} ms`, evidence);
    const why = `no reply to the container's ping of ${target} (${r.detail})`;
    if (prediction && prediction.level !== "ok") return offBySetting(`${prediction.message} Seen: ${why}.`, evidence, prediction.fix, prediction.sudoFix);
    return fail(why, evidence, "`containerd-rootless-systemd check` looks at net.ipv4.ping_group_range and the network driver.");
  },
};
