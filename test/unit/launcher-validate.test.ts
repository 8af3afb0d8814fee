// `launch --validate` (what a failed start's diagnosis runs in the service's environment): besides
// the settings, rootlesskit, containerd and mount, the `ip` that RootlessKit runs itself for its
// network driver must be on the service's PATH (exec.Command looks it up there); without it
// every start fails ("nsenter: failed to execute ip") although the settings are fine.
import { afterEach, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { rootlesskitHandler, rootlesskitHelp } from "../helpers/rootlesskit-help.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { validateLaunch } from "../../src/launcher/validate.ts";
import { UserError } from "../../src/core/os/errors.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

const COMMANDS = {
  rootlesskit: rootlesskitHandler(rootlesskitHelp("2.3.6")),
  slirp4netns: () => ok("Usage: slirp4netns [OPTION]... PID|PATH TAPNAME\n  --netns-type=TYPE\n"),
  containerd: () => ok(),
  mount: () => ok(),
};

const machine = (withIp: boolean) => makeTestHost({ dirs: ["/home/alice", "/run/user/1000"], commands: { ...COMMANDS, ...(withIp ? { ip: () => ok() } : {}) } });

test("ip on the PATH: named among the helpers", async () => {
  host = await machine(true);
  expect(await validateLaunch(host, resolvePaths(host.env, host.uid))).toContain("ip: /usr/bin/ip");
});

test("no ip on the PATH: refused naming what RootlessKit needs it for and the package", async () => {
  host = await machine(false);
  const err = (await validateLaunch(host, resolvePaths(host.env, host.uid)).catch((e) => e)) as UserError;
  expect(err).toBeInstanceOf(UserError);
  expect(err.message).toBe("ip is not installed (not found on PATH=/usr/bin:/bin): RootlessKit runs it to set up the slirp4netns network in its namespace (`ip link`, `ip addr`, `ip route`, `ip tuntap`), so RootlessKit would fail");
  expect(err.fix).toBe("Install the iproute2 package (Debian/Ubuntu: `sudo apt-get install iproute2`), or add its directory to the unit's PATH.");
});
