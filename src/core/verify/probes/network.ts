// 2. The container's network works: an interface with an address and a default route, and a
// TCP connection from the container to a listener verify opens on the host's own address
// (RootlessKit runs with --disable-host-loopback, so the host's 127.0.0.1 is not reachable and
// would prove nothing; its other address is reached the way every container reaches the world,
// through the network driver: slirp4netns, pasta, vpnkit...). When it fails, whether the driver
// still runs says why.
import { fail, notApplicable, offBySetting, pass, type Verdict } from "../outcome.ts";
import { driverProcess } from "../facts.ts";
import { processArgv } from "../../os/proc.ts";
import type { Session } from "../session.ts";
import type { Probe } from "./probe.ts";
import { whyNoReport } from "./probe.ts";

/** Whether IPv4 `ip` is inside `cidr` (a.b.c.d/n). */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split("/");
  const n = Number(bits);
  const num = (a: string) => a.split(".").reduce((v, o) => v * 256 + Number(o), 0);
  if (!net || !/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !/^\d+\.\d+\.\d+\.\d+$/.test(net) || !(n >= 0 && n <= 32)) return false;
  const size = 2 ** (32 - n);
  return Math.floor(num(ip) / size) === Math.floor(num(net) / size);
}

const RESTART = "`systemctl --user restart containerd.service` starts RootlessKit and its network driver again (running containers stop)";

/** What is known about the network driver when traffic does not flow: it died, or it runs (then the words of the failure). */
export async function driverDiagnosis(s: Session): Promise<{ why: string; fix: string }> {
  const driver = await driverProcess(s.host, s.facts);
  const pasta = (await s.findings("pasta")).find((f) => f.level !== "ok");
  if (driver && driver.pid === null) {
    return {
      why: `the network driver ${driver.program} is not running (RootlessKit, pid ${s.facts.rootlesskitPid}, has no ${driver.program} child): containers have no network`,
      fix: [pasta ? `${pasta.message} ${pasta.fix ?? ""}` : "", `${RESTART}; if it stops again, \`systemctl --user status containerd.service\` shows why.`].filter(Boolean).join(" "),
    };
  }
  const running = driver ? `${driver.program} (pid ${driver.pid}) is running` : `the network driver is ${s.facts.netDriver ?? "unknown"}`;
  return { why: running, fix: `${RESTART}; \`containerd-rootless-systemd check\` looks at the network driver.` };
}

/**
 * The container's network contains the host's address, so inside it that address is RootlessKit's
 * own (the host's services are out of reach; the world still is, through the gateway). With a
 * --cidr the user gave, that setting broke it: a failure, and taking it back is the fix. With
 * RootlessKit's default network (10.0.2.0/24 for slirp4netns) it is this machine's situation,
 * common in VirtualBox and QEMU NAT guests whose address is 10.0.2.15 (seen in the VM suite):
 * predicted by the settings, said with the --cidr that avoids it, and no reason to exit 1.
 */
async function overlap(s: Session, cidr: string, address: string, evidence: string[]): Promise<Verdict> {
  const args = s.facts.rootlesskitPid ? await processArgv(s.host, s.facts.rootlesskitPid) : [];
  const given = args.find((a) => a.startsWith("--cidr"));
  const why = `the container cannot reach the host: its network ${cidr} contains the host's address ${address}, which inside it is RootlessKit's own, not the host (nor is anything else of that subnet reachable)`;
  const other = ["10.0.3.0/24", "10.0.4.0/24", "192.168.77.0/24"].find((c) => !inSubnet(address, c))!;
  const set = `\`containerd-rootless-systemd configure --flags=--cidr=${other} --yes\``;
  if (given) return fail(why, [...evidence, `RootlessKit runs with ${given}`], `Give RootlessKit a network that does not overlap the host's: take the --cidr back (\`containerd-rootless-systemd configure --reset flags --yes\`), or ${set}.`);
  return offBySetting(`${why}; it is RootlessKit's default network, which this machine's own address is in`, evidence, `Give RootlessKit a network that does not overlap this machine's: ${set} (containers keep reaching the world either way).`);
}

export const networkProbe: Probe = {
  id: "network",
  title: "Its network works",
  async run(s) {
    if (s.facts.netDriver === "host") return notApplicable("RootlessKit runs with --net=host: containers share the host's network");
    const main = await s.main;
    const [interfaces, route, tcp, links] = await Promise.all([main?.part("interfaces"), main?.part("route"), main?.part("tcp"), main?.part("links")]);
    const r = { interfaces, route, tcp };
    if (!main || !interfaces) return fail(`no container to look from: ${(await whyNoReport(s, main)).split("\n")[0]}`);
    const via = `${s.facts.netDriver ?? "the network driver"}${s.facts.detached ? ", detached network namespace" : ""}`;
    const iface = r.interfaces?.[0];
    const down = (links ?? []).filter((l) => l.state === "down");
    const evidence = [`interfaces up with an address: ${r.interfaces?.map((i) => `${i.name} ${i.cidr}`).join(", ") || "none but lo"}`, `links: ${(links ?? []).map((l) => `${l.name} ${l.state}`).join(", ") || "none but lo"}`, `default route: ${r.route ? `via ${r.route.gateway} dev ${r.route.iface}` : "none"}`];
    if (!iface || !r.route) {
      const d = await driverDiagnosis(s);
      const what = iface ? "no default route" : down.length ? `no interface up: ${down.map((l) => l.name).join(", ")} ${down.length > 1 ? "are" : "is"} down (nothing at the other end)` : "no network interface besides lo";
      return fail(`the container has ${what} (${via}); ${d.why}`, evidence, d.fix);
    }
    const listener = await s.listener;
    if (!listener || !r.tcp) return pass(`${iface.name} ${iface.cidr}, default route via ${r.route.gateway} (${via}); no TCP test: the host has no address other than loopback`, evidence);
    const reached = await Promise.race([listener.reached, Promise.resolve("pending")]);
    evidence.push(`TCP to ${listener.address}:${listener.port}: ${r.tcp.ok ? `answered in ${r.tcp.ms.toFixed(0)} ms` : r.tcp.text}${typeof reached === "string" && reached !== "pending" ? ` (the host saw it come from ${reached})` : ""}`);
    if (!r.tcp.ok || r.tcp.text !== `crs-verify ${listener.token}`) {
      if (inSubnet(listener.address, iface.cidr)) return overlap(s, iface.cidr, listener.address, evidence);
      const d = await driverDiagnosis(s);
      return fail(`the container cannot reach the host (TCP to ${listener.address}:${listener.port}, ${via}: ${r.tcp.ok ? `unexpected answer ${JSON.stringify(r.tcp.text)}` : r.tcp.text}); ${d.why}`, evidence, d.fix);
    }
    return pass(`${iface.name} ${iface.cidr}, default route via ${r.route.gateway}; TCP to the host ${listener.address}:${listener.port} through ${via} in ${r.tcp.ms.toFixed(0)} ms`, evidence);
  },
};
