import { test, expect, afterEach } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { nsenterArgv, parseEnviron } from "../../src/core/rootlesskit/nsenter.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";

const STATE = "/run/user/1000/containerd-rootless";
let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

async function setup(files: Record<string, string>) {
  host = await makeTestHost({ files, commands: { "/usr/bin/nsenter": () => ok() } });
  return { host, paths: resolvePaths(host.env, 1000) };
}

const ENVIRON = "PATH=/usr/bin\0ROOTLESSKIT_STATE_DIR=/run/user/1000/containerd-rootless\0ROOTLESSKIT_PARENT_EUID=1000\0ROOTLESSKIT_PARENT_EGID=1000\0OTHER=x\0";

test("enters user, mount and network namespaces of child_pid, passing on the ROOTLESSKIT_* variables", async () => {
  const { host, paths } = await setup({ [`${STATE}/child_pid`]: "4242\n", "/proc/4242/environ": ENVIRON });
  const ns = await nsenterArgv(host, paths, ["ctr", "version"]);
  expect(ns.argv).toEqual(["/usr/bin/nsenter", "--no-fork", `--wd=${process.cwd()}`, "--preserve-credentials", "-m", "-U", "-n", "-t", "4242", "--", "ctr", "version"]);
  expect(ns.env).toEqual({ ROOTLESSKIT_STATE_DIR: STATE, ROOTLESSKIT_PARENT_EUID: "1000", ROOTLESSKIT_PARENT_EGID: "1000" });
});

test("detach-netns ($STATE_DIR/netns exists): no -n; a custom state dir is honoured", async () => {
  const { host, paths } = await setup({ "/run/user/1000/rk/child_pid": "77", "/run/user/1000/rk/netns": "", "/proc/77/environ": "" });
  const ns = await nsenterArgv(host, paths, ["sh"], "/run/user/1000/rk");
  expect(ns.argv).not.toContain("-n");
  expect(ns.detachedNetns).toBe(true);
  expect(ns.env.ROOTLESSKIT_STATE_DIR).toBe("/run/user/1000/rk");
});

test("with a nerdctl-full bundle active, the command's PATH starts with its bin (as the units'), so `nsenter -- ctr` is the bundle's", async () => {
  const bin = "/home/alice/.local/share/containerd-rootless-systemd/components/current/bin";
  const { host, paths } = await setup({ [`${STATE}/child_pid`]: "4242\n", "/proc/4242/environ": ENVIRON, [`${bin}/ctr`]: "" });
  host.preferDirs = [bin];
  expect((await nsenterArgv(host, paths, ["ctr", "version"])).env.PATH).toBe(`${bin}:/usr/bin:/bin`);
  host.preferDirs = ["/home/alice/.local/share/containerd-rootless-systemd/components/none/bin"]; // no bundle there: PATH as it was
  expect((await nsenterArgv(host, paths, ["ctr", "version"])).env.PATH).toBeUndefined();
});

test("containerd is not running: no child_pid, or the process is gone", async () => {
  const { host, paths } = await setup({});
  await expect(nsenterArgv(host, paths, ["ctr"])).rejects.toThrow("containerd is not running");
  const s2 = await setup({ [`${STATE}/child_pid`]: "999999" });
  await expect(nsenterArgv(s2.host, s2.paths, ["ctr"])).rejects.toThrow("containerd is not running (the RootlessKit child 999999");
});

test("no command is a clear error", async () => {
  const { host, paths } = await setup({});
  await expect(nsenterArgv(host, paths, [])).rejects.toThrow("no command given");
});

test("parseEnviron", () => {
  expect(parseEnviron("A=1\0B=x=y\0\0")).toEqual({ A: "1", B: "x=y" });
});
