// The environment containerd.service gets, asked in one place (serviceEnvironment): specifiers
// in the drop-ins (`%t`) are honoured by the state dir the readiness wait, status, nsenter and
// detach-netns use; EnvironmentFile= is read as systemd reads it and overrides Environment=;
// `configure` refuses to change a key an environment file sets, naming the file.
import { afterEach, describe, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { resolvePaths, type Paths } from "../../src/core/os/paths.ts";
import { serviceEnvironment, parseEnvironmentFile, unitSettings } from "../../src/core/systemd/service-environment.ts";
import { serviceStateDir } from "../../src/core/containerd/ready.ts";
import { detachNetnsInEffect } from "../../src/plugins/kit/buildkit-facts.ts";
import { planConfigure, showSettings } from "../../src/core/rootlesskit/configure.ts";
import { UserError } from "../../src/core/os/errors.ts";
import { getPlugin } from "../../src/plugins/index.ts";
import type { RootlessKitFacts } from "../../src/core/rootlesskit/facts.ts";

const HOME = "/home/alice";
const DROPINS = `${HOME}/.config/systemd/user/containerd.service.d`;
const OVERRIDE = `${DROPINS}/override.conf`;
const FACTS: RootlessKitFacts = {
  rootlesskit: "/usr/bin/rootlesskit", version: "2.3.1", netDrivers: ["host", "slirp4netns"], portDrivers: ["none", "builtin", "slirp4netns"],
  detachNetns: true, slirp4netnsUsable: true, driverInstalled: { slirp4netns: true, vpnkit: false, "lxc-user-nic": false, pasta: false, "gvisor-tap-vsock": false },
};

let host: TestHost;
let paths: Paths;
afterEach(() => host?.cleanup());

async function setup(files: Record<string, string>, managerEnv = "PATH=/usr/bin:/bin\n") {
  host = await makeTestHost({
    files: { "/etc/passwd": "alice:x:1000:1000::/home/alice:/bin/sh\n", ...files },
    dirs: ["/run/user/1000"],
    env: { HOME, USER: "alice", XDG_RUNTIME_DIR: "/run/user/1000", PATH: "/usr/bin:/bin", CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU: "9000" },
    commands: {
      systemctl: (argv) => (argv[2] === "show-environment" ? ok(managerEnv) : ok()),
      rootlesskit: () => ok("rootlesskit version 2.3.1"),
    },
  });
  paths = resolvePaths(host.env, host.uid);
}

describe("specifiers in the drop-ins", () => {
  test("Environment=…STATE_DIR=%t/crs-state: the state dir of the readiness wait, status, nsenter and detach-netns", async () => {
    await setup({ [OVERRIDE]: "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_STATE_DIR=%t/crs-state\n", [`${DROPINS}/zz.conf`]: '[Service]\nEnvironment="CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=%%true"\n' });
    expect(await serviceStateDir(host, paths)).toBe("/run/user/1000/crs-state");
    await host.mkdirp("/run/user/1000/crs-state/netns", 0o700);
    expect(await detachNetnsInEffect(host, paths)).toBe(true);
    const st = await getPlugin("detach-netns")!.status({ host, paths });
    expect(st).toMatchObject({ installed: true });
    expect(st.detail).toContain("CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=%true; in effect (/run/user/1000/crs-state/netns exists)");
  });

  test("the service's environment is the manager's, the unit's and the drop-ins', never the installer's own", async () => {
    await setup({ [`${HOME}/.config/systemd/user/containerd.service`]: "[Service]\nEnvironment=PATH=/sbin:/usr/bin\n", [OVERRIDE]: "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=slirp4netns\n" }, "PATH=/usr/bin\nLANG=C.UTF-8\n");
    const { vars } = await serviceEnvironment(host, paths);
    expect(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.value]))).toEqual({ PATH: "/sbin:/usr/bin", LANG: "C.UTF-8", CONTAINERD_ROOTLESS_ROOTLESSKIT_NET: "slirp4netns" });
  });
});

describe("EnvironmentFile=", () => {
  test("an environment file's variables override Environment=; --show names the file", async () => {
    await setup({
      [OVERRIDE]: '[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"\nEnvironmentFile=-%h/.config/crs.env\nEnvironmentFile=-/nonexistent.env\nEnvironmentFile=relative.env\n',
      [`${HOME}/.config/crs.env`]: "# mine\nCONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1300\n",
      "/relative.env": "CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1\n",
    });
    const shown = await showSettings(host, paths, FACTS);
    expect(shown.problem).toBeUndefined();
    const mtu = shown.effective.find((e) => e.key === "mtu")!;
    expect(mtu).toMatchObject({ value: "1300", source: "environment-file", file: `${HOME}/.config/crs.env`, via: OVERRIDE, resolved: "1300" });
    // what apply manages (and the UI and status --export start from) is the Environment= line
    expect(await unitSettings(host, paths)).toEqual({ mtu: "1400" });
  });

  test("a later empty EnvironmentFile= drops the files before it; a missing required file is a problem", async () => {
    await setup({
      [OVERRIDE]: "[Service]\nEnvironmentFile=/home/alice/a.env\n",
      [`${DROPINS}/zz-reset.conf`]: "[Service]\nEnvironmentFile=\nEnvironmentFile=/home/alice/missing.env\n",
      "/home/alice/a.env": "CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1300\n",
    });
    const env = await serviceEnvironment(host, paths);
    expect(env.vars.CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU).toBeUndefined();
    expect(env.problems).toEqual([`/home/alice/missing.env (EnvironmentFile= in ${DROPINS}/zz-reset.conf) does not exist: systemd will not start containerd.service`]);
    expect((await showSettings(host, paths, FACTS)).problem).toContain("/home/alice/missing.env");
  });

  test("configure refuses to change a key an environment file sets, naming the file; nothing is planned", async () => {
    await setup({ [OVERRIDE]: "[Service]\nEnvironmentFile=/home/alice/crs.env\n", "/home/alice/crs.env": "CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1300\n" });
    for (const req of [{ set: { mtu: "1500" }, reset: [] }, { set: {}, reset: ["mtu" as const] }]) {
      const err = (await planConfigure(host, paths, req, FACTS).catch((e) => e)) as UserError;
      expect(err).toBeInstanceOf(UserError);
      expect(err.message).toBe(`CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU is set in /home/alice/crs.env (EnvironmentFile= in ${OVERRIDE}), which overrides ${OVERRIDE}; this tool does not edit that file`);
      expect(err.fix).toContain("Nothing was changed.");
    }
    // other keys can still be configured
    const plan = await planConfigure(host, paths, { set: { net: "slirp4netns" }, reset: [] }, FACTS);
    expect(plan.after).toContain("CONTAINERD_ROOTLESS_ROOTLESSKIT_NET");
    expect(plan.effective.find((e) => e.key === "mtu")).toMatchObject({ value: "1300", source: "environment-file" });
  });

  test("the file's syntax as systemd reads it", () => {
    const text = [
      "# comment", "; also a comment", "  A=plain value  ", "B='single $quoted  '", 'C="double \\"q\\" \\\\ \\$x"', "D=esc\\ aped\\", "continued", "bad-name=x", "no equals sign", "E=", 'F=a"b c"d', 'G="two\nlines \\', 'joined"',
    ].join("\n") + "\n";
    expect(parseEnvironmentFile(text)).toEqual({ A: "plain value", B: "single $quoted  ", C: 'double "q" \\ $x', D: "esc apedcontinued", E: "", F: "ab cd", G: "two\nlines joined" });
  });
});
