// The RootlessKit facts of this project's Debian 12 machines (rootlesskit 1.1.0 with slirp4netns
// installed), for unit tests that need an installed RootlessKit but do not test the probing itself.
import type { RootlessKitFacts } from "../../src/core/rootlesskit/facts.ts";

export const DEBIAN_12_ROOTLESSKIT: RootlessKitFacts = {
  rootlesskit: "/usr/bin/rootlesskit", version: "1.1.0", netDrivers: ["host", "slirp4netns", "vpnkit", "lxc-user-nic"],
  portDrivers: ["none", "builtin", "slirp4netns"], detachNetns: false, slirp4netnsUsable: true,
  driverInstalled: { slirp4netns: true, vpnkit: false, "lxc-user-nic": false, pasta: false, "gvisor-tap-vsock": true },
};
