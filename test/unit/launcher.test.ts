import { test, expect, describe, afterEach } from "bun:test";
import { symlink, lstat } from "node:fs/promises";
import { join } from "node:path";
import { makeTestHost, ok, failed, type TestHost, type TestHostOptions } from "../helpers/test-host.ts";
import { planParent, CHILD_MARKER, SELINUX_MARKER } from "../../src/launcher/parent.ts";
import { prepareNamespace, planChild, isChild } from "../../src/launcher/child.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import type { RootlessKitFacts } from "../../src/core/rootlesskit/facts.ts";

const FACTS_1_1: RootlessKitFacts = {
  rootlesskit: "/usr/bin/rootlesskit", version: "1.1.0", netDrivers: ["host", "slirp4netns", "vpnkit", "lxc-user-nic"],
  portDrivers: ["none", "builtin", "slirp4netns"], detachNetns: false, slirp4netnsUsable: true,
  driverInstalled: { slirp4netns: true, vpnkit: false, "lxc-user-nic": false, pasta: false, "gvisor-tap-vsock": true },
};
const ENV = { HOME: "/home/alice", USER: "alice", XDG_RUNTIME_DIR: "/run/user/1000", PATH: "/usr/bin:/bin" };

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());
async function setup(opts: TestHostOptions = {}) {
  host = await makeTestHost({ dirs: ["/home/alice", "/run/user/1000"], ...opts });
  return { host, paths: resolvePaths(host.env, host.uid) };
}

describe("parent", () => {
  test("execs rootlesskit with this binary's launch as the child, marked by the environment", async () => {
    const { host, paths } = await setup({ env: { ...ENV, CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU: "1500" } });
    const plan = await planParent(host, paths, [], FACTS_1_1);
    expect(plan.argv[0]).toBe("/usr/bin/rootlesskit");
    expect(plan.argv).toContain("--mtu=1500");
    expect(plan.argv.slice(-2)).toEqual(["/home/alice/Downloads/containerd-rootless-systemd", "launch"]);
    expect(plan.env[CHILD_MARKER]).toBe("1");
    expect(plan.env[SELINUX_MARKER]).toBeUndefined();
    expect(plan.env.HOME).toBe("/home/alice");
  });
  test("extra args go after `--` to the child; from source the script path follows bun", async () => {
    const { host, paths } = await setup({ env: ENV });
    (host as { scriptPath?: string }).scriptPath = "/src/cli.ts";
    const plan = await planParent(host, paths, ["--config", "/x.toml"], FACTS_1_1);
    expect(plan.argv.slice(-6)).toEqual(["/home/alice/Downloads/containerd-rootless-systemd", "/src/cli.ts", "launch", "--", "--config", "/x.toml"]);
  });
  test("SELinux: selinuxenabled's answer is passed to the child", async () => {
    const { host, paths } = await setup({ env: ENV, commands: { "/usr/sbin/selinuxenabled": () => ok() } });
    expect((await planParent(host, paths, [], FACTS_1_1)).env[SELINUX_MARKER]).toBe("1");
    host.commands["/usr/sbin/selinuxenabled"] = () => failed("", 1);
    expect((await planParent(host, paths, [], FACTS_1_1)).env[SELINUX_MARKER]).toBeUndefined();
  });
  test("refuses root", async () => {
    const { host, paths } = await setup({ env: ENV, uid: 0 });
    await expect(planParent(host, paths, [], FACTS_1_1)).rejects.toThrow("refusing to run rootless containerd as the root user");
  });
  test("XDG_RUNTIME_DIR unset or missing, HOME missing", async () => {
    const a = await setup({ env: { ...ENV, XDG_RUNTIME_DIR: undefined } });
    await expect(planParent(a.host, a.paths, [], FACTS_1_1)).rejects.toThrow("XDG_RUNTIME_DIR is not set");
    const b = await setup({ env: { ...ENV, XDG_RUNTIME_DIR: "/run/user/4242" } });
    await expect(planParent(b.host, b.paths, [], FACTS_1_1)).rejects.toThrow("XDG_RUNTIME_DIR=/run/user/4242 is not a writable directory");
    const c = await setup({ env: { ...ENV, HOME: "/home/nobody" } });
    await expect(planParent(c.host, c.paths, [], FACTS_1_1)).rejects.toThrow("HOME=/home/nobody is not a writable directory");
  });
  test("invalid values fail before anything runs", async () => {
    for (const [k, v, msg] of [
      ["DETACH_NETNS", "maybe", 'invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="maybe"'],
      ["NET", "foo", 'invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_NET="foo"'],
      ["MTU", "abc", "expected a number from 576 to 65520"],
      ["MTU", "0", "out of range"],
      ["MTU", "70000", "out of range"],
      ["DETACH_NETNS", "true", "needs RootlessKit >= 2.0 (--detach-netns), but the installed version is 1.1.0"],
    ]) {
      const { host, paths } = await setup({ env: { ...ENV, [`CONTAINERD_ROOTLESS_ROOTLESSKIT_${k}`]: v } });
      await expect(planParent(host, paths, [], FACTS_1_1)).rejects.toThrow(msg);
      expect(host.calls).toEqual([]);
      await host.cleanup();
    }
  });
});

describe("child", () => {
  test("is recognised by the marker", async () => {
    const { host } = await setup({ env: { ...ENV, [CHILD_MARKER]: "1" } });
    expect(isChild(host)).toBe(true);
  });
  test("removes the copy-up symlinks, bind-mounts the user's dirs, rbinds /etc/ssl", async () => {
    const { host, paths } = await setup({ env: ENV, commands: { "/usr/bin/mount": () => ok() }, dirs: ["/home/alice", "/run/user/1000", "/run", "/var/lib", "/.real/etc/ssl", "/etc"] });
    const r = (p: string) => join(host.root, p);
    for (const l of ["/run/containerd", "/run/xtables.lock", "/var/lib/containerd", "/etc/containerd"]) await symlink("/nowhere", r(l));
    await symlink(r("/.real/etc/ssl"), r("/etc/ssl"));
    await prepareNamespace(host, paths);
    for (const l of ["/run/containerd", "/var/lib/containerd", "/etc/containerd"]) expect((await lstat(r(l))).isDirectory()).toBe(true);
    await expect(lstat(r("/run/xtables.lock"))).rejects.toThrow();
    expect((await lstat(r("/home/alice/.local/share/containerd"))).isDirectory()).toBe(true);
    expect(host.calls).toEqual([
      ["/usr/bin/mount", "--rbind", "/.real/etc/ssl", "/etc/ssl"],
      ["/usr/bin/mount", "--bind", "/run/user/1000/containerd", "/run/containerd"],
      ["/usr/bin/mount", "--bind", "/home/alice/.local/share/containerd", "/var/lib/containerd"],
      ["/usr/bin/mount", "--bind", "/home/alice/.local/share/cni", "/var/lib/cni"],
      ["/usr/bin/mount", "--bind", "/home/alice/.config/containerd", "/etc/containerd"],
    ]);
  });
  test("SELinux relabels /run; a failing mount is reported", async () => {
    const { host, paths } = await setup({
      env: { ...ENV, [SELINUX_MARKER]: "1" },
      commands: { "/usr/bin/mount": () => ok(), "/usr/bin/chcon": () => ok() },
    });
    await prepareNamespace(host, paths);
    expect(host.calls.at(-1)).toEqual(["chcon", "system_u:object_r:iptables_var_run_t:s0", "/run"]);
    host.commands["/usr/bin/mount"] = () => failed("mount: permission denied");
    await expect(prepareNamespace(host, paths)).rejects.toThrow("mount --bind /run/user/1000/containerd /run/containerd failed: mount: permission denied");
  });
  test("execs containerd from PATH with the extra args and without our markers", async () => {
    const { host } = await setup({ env: { ...ENV, [CHILD_MARKER]: "1", [SELINUX_MARKER]: "1" }, commands: { "/usr/bin/containerd": () => ok() } });
    const plan = await planChild(host, ["--config", "/x.toml"]);
    expect(plan.argv).toEqual(["/usr/bin/containerd", "--config", "/x.toml"]);
    expect(plan.env[CHILD_MARKER]).toBeUndefined();
    expect(plan.env[SELINUX_MARKER]).toBeUndefined();
  });
  test("containerd missing names the PATH", async () => {
    const { host } = await setup({ env: ENV });
    await expect(planChild(host, [])).rejects.toThrow("containerd is not installed (not found on PATH=/usr/bin:/bin)");
  });
});

