// 2b. DNS: the container asks each nameserver of its own /etc/resolv.conf for the machine's host
// name (the name of the host its TCP test reached), and the host asks its own resolver the
// same; containers resolve names when they get the host's answer. A nameserver on the loopback
// (the host's stub resolver, systemd-resolved's 127.0.0.53) is the container's own loopback
// inside its network namespace, where nothing answers: said as such. When the driver's DNS
// forwarder (slirp4netns's 10.0.2.3) is silent, `check`'s findings about it say why.
import type { DnsAnswer } from "../agent-spec.ts";
import { fail, notApplicable, pass } from "../outcome.ts";
import type { Probe } from "./probe.ts";
import { whyNoReport } from "./probe.ts";
import { driverDiagnosis } from "./network.ts";

const isLoopback = (ns: string) => /^127\./.test(ns) || ns === "::1";
const show = (a: DnsAnswer) => (a.rcode ? `${a.server}: ${a.rcode}${a.addresses.length ? ` ${a.addresses.join(" ")}` : ""} (${a.ms.toFixed(0)} ms)` : `${a.server}: ${a.error}`);

export const dnsProbe: Probe = {
  id: "dns",
  title: "DNS resolves in it",
  async run(s) {
    const main = await s.main;
    const dns = await main?.part("dns");
    if (!main || !dns) return fail(`no container to look from: ${(await whyNoReport(s, main)).split("\n")[0]}`);
    const name = s.facts.hostname;
    const host = await s.hostDns;
    const evidence = [`the container's resolv.conf: ${dns.servers.join(", ") || "no nameserver"}${s.facts.resolvConf ? ` (from ${s.facts.resolvConf})` : ""}`, ...dns.answers.map((a) => `container, ${show(a)}`), ...host.answers.map((a) => `host, ${show(a)}`)];
    if (dns.servers.length === 0) return fail("the container's /etc/resolv.conf names no nameserver", evidence, "`systemctl --user restart containerd.service`: RootlessKit writes its DNS forwarder into it at start.");
    const hostAnswer = host.answers.find((a) => a.rcode !== null);
    const answered = dns.answers.find((a) => a.rcode !== null);
    if (!answered) {
      if (dns.servers.every(isLoopback)) {
        return fail(
          `the container's resolv.conf names only ${dns.servers.join(", ")}, a resolver on the loopback (the host's stub resolver): inside the container's network namespace that is the container's own loopback, where nothing answers (RootlessKit runs with --disable-host-loopback)`,
          evidence,
          `Containers need a resolver they can reach: RootlessKit writes its network driver's forwarder (${s.facts.netDriver === "slirp4netns" ? "slirp4netns: 10.0.2.3" : "its DNS address"}) into the namespace's resolv.conf when it starts — \`systemctl --user restart containerd.service\`; nerdctl replaces a loopback-only list with the servers behind the stub (/run/systemd/resolve/resolv.conf).`,
        );
      }
      if (!hostAnswer) return notApplicable(`neither the container's resolvers nor the host's own (${host.servers.join(", ") || "none"}) answer for ${name}: this machine has no working DNS to compare with`, evidence);
      const stub = (await s.findings("dns")).filter((f) => f.level !== "ok");
      const d = await driverDiagnosis(s);
      const fix = stub.find((f) => f.fix)?.fix ?? d.fix;
      return fail(`the container's resolver${dns.servers.length > 1 ? "s" : ""} ${dns.servers.join(", ")} did not answer for ${name}, while the host's ${hostAnswer.server} did (${hostAnswer.rcode}); ${[...stub.map((f) => f.message), d.why].join(" ")}`, evidence, fix);
    }
    if (hostAnswer && hostAnswer.rcode !== answered.rcode) {
      return fail(`containers resolve ${name} differently from the host: ${answered.server} says ${answered.rcode}, the host's ${hostAnswer.server} says ${hostAnswer.rcode}`, evidence, "The container asks other servers than the host (its resolv.conf above): names only your own resolver knows (VPN, .local, corporate) resolve on the host alone.");
    }
    const silent = dns.answers.filter((a) => a.rcode === null);
    const as = hostAnswer ? `, as the host's ${hostAnswer.server} does` : "";
    return pass(`${answered.server} answered ${name}: ${answered.rcode}${answered.addresses.length ? ` ${answered.addresses.join(" ")}` : ""}${as} (${answered.ms.toFixed(0)} ms)${silent.length ? `; ${silent.map((a) => a.server).join(", ")} did not` : ""}`, evidence);
  },
};
