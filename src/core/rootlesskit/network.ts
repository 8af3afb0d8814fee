// Which network driver the service uses when none is set, and its MTU: ONE chooser, used by
// `check` (through resolveSettings) and by the launcher, so check never passes a machine on
// which the launcher then fails. It follows nerdctl's current extras/rootless/containerd-rootless.sh
// (containerd/nerdctl@8da50408, 2026-08): slirp4netns if slirp4netns >= 0.4.0 is installed
// (MTU 65520), else vpnkit if installed (MTU 1500), else gvisor-tap-vsock (built into
// RootlessKit 3, MTU 65520). Unlike the script, a driver the installed RootlessKit does not
// list is skipped, so the failure is named here instead of by rootlesskit at start.
import type { RootlessKitFacts } from "./facts.ts";
import type { NetDriver } from "./settings.ts";

/** MTU for a driver the user set without an MTU: the seed's 65520 for slirp4netns, 1500 for the others. */
export function explicitDriverMtu(net: NetDriver): number {
  return net === "slirp4netns" ? 65520 : 1500;
}

/** The chosen driver and its MTU: the script's 65520 for slirp4netns and for the gvisor-tap-vsock fallback, 1500 for vpnkit. */
export type NetworkChoice = { net: NetDriver; mtu: number; note: string; problem?: undefined } | { net?: undefined; problem: string; fix: string };

export function chooseNetDriver(facts: RootlessKitFacts): NetworkChoice {
  const listed = (d: NetDriver) => facts.netDrivers.includes(d);
  const rk = `RootlessKit ${facts.version ?? "(unknown version)"}`;
  if (facts.slirp4netnsUsable && listed("slirp4netns")) return { net: "slirp4netns", mtu: 65520, note: "net: slirp4netns (auto: slirp4netns >= 0.4.0 is installed)" };
  const slirpWhy = facts.driverInstalled.slirp4netns ? (facts.slirp4netnsUsable ? `${rk} has no slirp4netns driver` : "slirp4netns is older than 0.4.0") : "no slirp4netns";
  if (facts.driverInstalled.vpnkit && listed("vpnkit")) return { net: "vpnkit", mtu: 1500, note: `net: vpnkit (auto: ${slirpWhy})` };
  if (listed("gvisor-tap-vsock")) return { net: "gvisor-tap-vsock", mtu: 65520, note: `net: gvisor-tap-vsock (auto: ${slirpWhy} and no vpnkit; built into ${rk})` };
  return {
    problem: `no network driver: ${slirpWhy}, no vpnkit, and ${rk} has no built-in gvisor-tap-vsock; slirp4netns (>= 0.4.0) or vpnkit needs to be installed, or RootlessKit >= 3.0`,
    fix: "Install slirp4netns (Debian/Ubuntu: `sudo apt-get install slirp4netns`), or RootlessKit 3 (https://github.com/rootless-containers/rootlesskit/releases).",
  };
}

/**
 * The programs RootlessKit itself runs for a network driver, which must be on the service's PATH:
 * `ip` (iproute2) for every driver but host. Its child brings up lo and the driver's device with
 * `ip link set … up`, `ip addr add`, `ip route add` (activateLoopback and activateDev in
 * pkg/child/child.go of RootlessKit v1.1.0, v2.0.2 and v3.0.0, also in detach-netns mode), and its
 * parent creates the tap with `nsenter … ip tuntap add` for slirp4netns, pasta (v2.0.2) and
 * gvisor-tap-vsock (v3.0.0) (PrepareTap in pkg/network/parentutils/parentutils.go); vpnkit and
 * lxc-user-nic run `ip link` in the child too. Without it every start fails ("nsenter: failed to
 * execute ip", "setting up tap tap0"), while a run with the default --net=host (the smoke test) works.
 */
export function programsRootlessKitRuns(net: string): { program: string; pkg: string; why: string }[] {
  if (net === "host") return [];
  return [{ program: "ip", pkg: "iproute2", why: `RootlessKit runs it to set up the ${net} network in its namespace (\`ip link\`, \`ip addr\`, \`ip route\`${net === "slirp4netns" || net === "pasta" || net === "gvisor-tap-vsock" ? ", `ip tuntap`" : ""})` }];
}
