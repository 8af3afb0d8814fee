// The RootlessKit facts of this project's Debian 12 machines (rootlesskit 1.1.0 with slirp4netns
// installed), for unit tests that need an installed RootlessKit but do not test the probing itself.
import { afterEach } from "bun:test";
import type { RootlessKitFacts } from "../../src/core/rootlesskit/facts.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { makeTestHost, ok, type TestHost } from "./test-host.ts";

export const DEBIAN_12_ROOTLESSKIT: RootlessKitFacts = {
  rootlesskit: "/usr/bin/rootlesskit", version: "1.1.0", netDrivers: ["host", "slirp4netns", "vpnkit", "lxc-user-nic"],
  portDrivers: ["none", "builtin", "slirp4netns"], detachNetns: false, slirp4netnsUsable: true,
  driverInstalled: { slirp4netns: true, vpnkit: false, "lxc-user-nic": false, pasta: false, "gvisor-tap-vsock": true },
};

/** containerd.service's drop-in of the test user alice. */
export const OVERRIDE = "/home/alice/.config/systemd/user/containerd.service.d/override.conf";

/**
 * For tests of configure: returns setup(files, managerEnv), which makes a Host over a temporary
 * directory whose `systemctl` prints managerEnv (the user manager's environment); each test's
 * Host is removed after it.
 */
export function configureTestHost() {
  let host: TestHost | undefined;
  afterEach(async () => host?.cleanup());
  return async (files: Record<string, string> = {}, managerEnv = "") => {
    host = await makeTestHost({ files, commands: { systemctl: () => ok(managerEnv) } });
    return { host, paths: resolvePaths(host.env, 1000) };
  };
}
