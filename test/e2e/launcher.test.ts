// The launcher for real: the compiled binary's hidden `launch`, as a throwaway user under
// a real `systemd --user`, must leave only rootlesskit, slirp4netns and containerd running
// (both hops are execve, no Bun process stays), with a containerd API that answers through
// the namespace; invalid settings fail with a clear message before anything starts, and
// `launch --validate` names a missing `ip` (which RootlessKit runs itself) on the service's PATH.
// detach-netns follows the installed RootlessKit (test/helpers/machine.ts): refused naming the
// version and 2.0 where its --help has no --detach-netns, on (auto) and passed to RootlessKit where it has.
import { test, expect } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../scripts/sandbox.ts";
import { Host } from "../../src/core/os/host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { nsenterArgv } from "../../src/core/rootlesskit/nsenter.ts";
import { exeOf, useSandbox } from "../helpers/e2e.ts";
import { detachNetnsInEffect, machine } from "../helpers/machine.ts";

const UNIT = "crsrk-launch-e2e";
const e2e = useSandbox("crsrk-e2e-launch");

function unitPids(): number[] {
  const procs = `/sys/fs/cgroup/systemd/user.slice/user-${e2e.sb.uid}.slice/user@${e2e.sb.uid}.service/app.slice/${UNIT}.service/cgroup.procs`;
  if (!existsSync(procs)) return [];
  return readFileSync(procs, "utf8").split("\n").filter(Boolean).map(Number);
}

/** The user's Host as seen from this (root) process, its working directory the user's home: nsenter's --wd must be one the user can enter (the checkout may be in /root, 0700). */
class UserHost extends Host {
  override cwd(): string {
    return e2e.sb.home;
  }
}

async function ctrVersion(): Promise<{ code: number; stdout: string; stderr: string }> {
  const host = new UserHost({ env: e2e.sb.baseEnv(), uid: e2e.sb.uid, gid: e2e.sb.gid });
  const ns = await nsenterArgv(host, resolvePaths(host.env, e2e.sb.uid), ["ctr", "version"]);
  return e2e.sb.run(ns.argv, { env: ns.env, timeoutMs: 20_000 });
}

test("invalid settings are refused with a clear message and nothing starts", () => {
  const cases: [Record<string, string>, string][] = [
    [{ CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS: "maybe" }, 'invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="maybe": expected one of: auto, true, false, 1, 0'],
    [{ CONTAINERD_ROOTLESS_ROOTLESSKIT_NET: "foo" }, 'invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_NET="foo"'],
    [{ CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU: "70000" }, "out of range: the MTU must be from 576 to 65520"],
  ];
  const rk = machine().rootlesskit;
  if (!rk.help.detachNetns) cases.push([{ CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS: "true" }, `needs RootlessKit >= 2.0 (--detach-netns), but the installed version is ${rk.version}`]);
  else {
    // valid here: the launcher's checks accept it (the service test below runs it)
    const ok = e2e.run(["launch", "--validate"], { env: { CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS: "true" }, timeoutMs: 20_000 });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("[INFO] The launcher would start containerd with these settings.");
  }
  for (const [env, message] of cases) {
    const r = e2e.run(["launch"], { env, timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(e2e.sb.pids().map(exeOf).filter((e) => /rootlesskit|containerd$/.test(e))).toEqual([]);
  }
});

test("launch --validate without `ip` on the service's PATH: refused naming iproute2; with it, `ip` is named", () => {
  // a PATH with the programs the launcher looks up there, but not ip (RootlessKit's own lookup is PATH-only too)
  const bin = join(e2e.sb.home, "no-ip-bin");
  e2e.sb.run(["mkdir", "-p", bin]);
  for (const p of ["rootlesskit", "slirp4netns", "containerd", "mount", "nsenter"]) expect(e2e.sb.run(["ln", "-sf", Bun.which(p)!, join(bin, p)]).code).toBe(0);
  const without = e2e.run(["launch", "--validate"], { env: { PATH: bin }, timeoutMs: 20_000 });
  expect(without.code).toBe(1);
  expect(without.stderr).toContain(`ip is not installed (not found on PATH=${bin}): RootlessKit runs it to set up the slirp4netns network in its namespace`);
  expect(without.stderr).toContain("Install the iproute2 package (Debian/Ubuntu: `sudo apt-get install iproute2`)");
  const ip = Bun.which("ip")!;
  const withIp = e2e.run(["launch", "--validate"], { env: { PATH: `${bin}:${ip.slice(0, ip.lastIndexOf("/"))}` }, timeoutMs: 20_000 });
  expect(withIp.stderr).toBe("");
  expect(withIp.code).toBe(0);
  expect(withIp.stdout).toContain(`[INFO] ip: ${ip}`);
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
  }, 30_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}; the last answer (${answer.code}): ${answer.stdout}${answer.stderr}\n${e2e.sb.systemctl("status", "--no-pager", `${UNIT}.service`).stdout}`);
  });
  expect(answer.stdout).toMatch(/Server:\s+Version:\s+\S+/);

  const pids = unitPids();
  const exes = pids.map(exeOf);
  expect(new Set(exes)).toEqual(new Set(["/usr/bin/rootlesskit", "/usr/bin/slirp4netns", "/usr/bin/containerd"]));
  expect(exes.filter((e) => e.includes("bun") || e.endsWith("containerd-rootless-systemd"))).toEqual([]);

  // The unit's main process is the launcher's PID, now rootlesskit, with the settings applied.
  const mainPid = Number(e2e.show(`${UNIT}.service`, "MainPID"));
  expect(exeOf(mainPid)).toBe("/usr/bin/rootlesskit");
  const cmdline = readFileSync(`/proc/${mainPid}/cmdline`, "utf8").split("\0").filter(Boolean);
  // detach-netns as `auto` resolves it: on where RootlessKit's --help lists --detach-netns (the flag nerdctl's script adds last)
  const detach = machine().detachNetnsByDefault;
  expect(cmdline.slice(1, cmdline.indexOf(e2e.bin) + 1)).toEqual([
    `--state-dir=${e2e.sb.runtimeDir}/containerd-rootless`, "--net=slirp4netns", "--mtu=1500", "--slirp4netns-sandbox=auto", "--slirp4netns-seccomp=auto",
    "--disable-host-loopback", "--port-driver=builtin", "--copy-up=/etc", "--copy-up=/run", "--copy-up=/var/lib", "--propagation=rslave", ...(detach ? ["--detach-netns"] : []), e2e.bin,
  ]);
  expect(detachNetnsInEffect(`${e2e.sb.runtimeDir}/containerd-rootless`)).toBe(detach);
  expect(cmdline.at(-1)).toBe("launch");

  // containerd sees the user's directories through the bind mounts.
  expect(existsSync(join(e2e.sb.home, ".local/share/containerd"))).toBe(true);

  expect(e2e.sb.systemctl("stop", `${UNIT}.service`).code).toBe(0);
  await waitFor("the service's processes to end", () => unitPids().length === 0, 20_000);
  await expect(ctrVersion()).rejects.toThrow("containerd is not running");
}, 120_000);
