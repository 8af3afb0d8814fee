// The launcher for real: the compiled binary's hidden `launch`, as a throwaway user under
// a real `systemd --user`, must leave only rootlesskit, slirp4netns and containerd running
// (both hops are execve, no Bun process stays), with a containerd API that answers through
// the namespace; invalid settings fail with a clear message before anything starts.
import { test, expect } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../scripts/sandbox.ts";
import { Host } from "../../src/core/os/host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { nsenterArgv } from "../../src/core/rootlesskit/nsenter.ts";
import { exeOf, useSandbox } from "../helpers/e2e.ts";

const UNIT = "crsrk-launch-e2e";
const e2e = useSandbox("crsrk-e2e-launch");

function unitPids(): number[] {
  const procs = `/sys/fs/cgroup/systemd/user.slice/user-${e2e.sb.uid}.slice/user@${e2e.sb.uid}.service/app.slice/${UNIT}.service/cgroup.procs`;
  if (!existsSync(procs)) return [];
  return readFileSync(procs, "utf8").split("\n").filter(Boolean).map(Number);
}

async function ctrVersion(): Promise<{ code: number; stdout: string; stderr: string }> {
  const host = new Host({ env: e2e.sb.baseEnv(), uid: e2e.sb.uid, gid: e2e.sb.gid });
  const ns = await nsenterArgv(host, resolvePaths(host.env, e2e.sb.uid), ["ctr", "version"]);
  return e2e.sb.run(ns.argv, { env: ns.env, timeoutMs: 20_000 });
}

test("invalid settings are refused with a clear message and nothing starts", () => {
  const cases: [Record<string, string>, string][] = [
    [{ CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS: "maybe" }, 'invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="maybe": expected one of: auto, true, false, 1, 0'],
    [{ CONTAINERD_ROOTLESS_ROOTLESSKIT_NET: "foo" }, 'invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_NET="foo"'],
    [{ CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU: "70000" }, "out of range: the MTU must be from 576 to 65520"],
    [{ CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS: "true" }, "needs RootlessKit >= 2.0 (--detach-netns), but the installed version is 1.1.0"],
  ];
  for (const [env, message] of cases) {
    const r = e2e.run(["launch"], { env, timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(e2e.sb.pids().map(exeOf).filter((e) => /rootlesskit|containerd$/.test(e))).toEqual([]);
  }
});

test("launch under systemd: only rootlesskit, slirp4netns and containerd run, and the API answers through nsenter", async () => {
  const r = e2e.sb.run(["systemd-run", "--user", "--unit", UNIT, "-p", "Delegate=yes", "-p", "KillMode=mixed", "-E", "CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1500", e2e.bin, "launch"]);
  expect(r.code).toBe(0);
  const socket = join(e2e.sb.runtimeDir, "containerd/containerd.sock");
  await waitFor("containerd's socket", () => existsSync(socket), 30_000);
  let answer = { code: -1, stdout: "", stderr: "" };
  await waitFor("ctr version through nsenter", async () => {
    answer = await ctrVersion().catch((e) => ({ code: -1, stdout: "", stderr: String(e) }));
    return answer.code === 0;
  }, 30_000, 100);
  expect(answer.stdout).toMatch(/Server:\s+Version:\s+\S+/);

  const pids = unitPids();
  const exes = pids.map(exeOf);
  expect(new Set(exes)).toEqual(new Set(["/usr/bin/rootlesskit", "/usr/bin/slirp4netns", "/usr/bin/containerd"]));
  expect(exes.filter((e) => e.includes("bun") || e.endsWith("containerd-rootless-systemd"))).toEqual([]);

  // The unit's main process is the launcher's PID, now rootlesskit, with the settings applied.
  const mainPid = Number(e2e.show(`${UNIT}.service`, "MainPID"));
  expect(exeOf(mainPid)).toBe("/usr/bin/rootlesskit");
  const cmdline = readFileSync(`/proc/${mainPid}/cmdline`, "utf8").split("\0").filter(Boolean);
  expect(cmdline.slice(1, 13)).toEqual([
    `--state-dir=${e2e.sb.runtimeDir}/containerd-rootless`, "--net=slirp4netns", "--mtu=1500", "--slirp4netns-sandbox=auto", "--slirp4netns-seccomp=auto",
    "--disable-host-loopback", "--port-driver=builtin", "--copy-up=/etc", "--copy-up=/run", "--copy-up=/var/lib", "--propagation=rslave", e2e.bin,
  ]);
  expect(cmdline.at(-1)).toBe("launch");

  // containerd sees the user's directories through the bind mounts.
  expect(existsSync(join(e2e.sb.home, ".local/share/containerd"))).toBe(true);

  expect(e2e.sb.systemctl("stop", `${UNIT}.service`).code).toBe(0);
  await waitFor("the service's processes to end", () => unitPids().length === 0, 20_000);
  await expect(ctrVersion()).rejects.toThrow("containerd is not running");
}, 120_000);
