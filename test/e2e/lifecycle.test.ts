// The lifecycle for real: the compiled binary as a throwaway user with a real `systemd
// --user`, real RootlessKit and containerd. check -> install (the seed's transcript) -> the
// API answers through nsenter -> a locally built busybox image is imported -> install again
// changes nothing -> status -> containerd stopped out of band -> uninstall keeps the data ->
// install again finds the image -> uninstall --purge removes it. Then the faults: a unit that
// cannot start, a lock held by another run, two installs at once.
import { test, expect, describe } from "bun:test";
import { existsSync, readFileSync, readlinkSync, renameSync, chownSync, rmSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../scripts/sandbox.ts";
import { exeOf, sandboxUser, useSandbox } from "../helpers/e2e.ts";
import { buildBusyboxImage } from "./oci-image.ts";
import { snapshotTree } from "../helpers/tree-snapshot.ts";
import { detachNetnsInEffect, machine } from "../helpers/machine.ts";

const USER = sandboxUser("crslc-e2e");
let image: string;
let imageRef: string;

const e2e = useSandbox("crslc-e2e", {
  cliTimeoutMs: 60_000,
  setup: () => {
    image = join(e2e.sb.home, "busybox-oci.tar");
    imageRef = buildBusyboxImage(image);
    chownSync(image, e2e.sb.uid, e2e.sb.gid);
  },
});
const cli = e2e.cli;
const show = (prop: string) => e2e.show("containerd.service", prop);

const unitFile = () => `${e2e.sb.home}/.config/systemd/user/containerd.service`;
const installed = () => `${e2e.sb.home}/.local/bin/containerd-rootless-systemd`;
const dataDir = () => `${e2e.sb.home}/.local/share/containerd`;

/** Executables of the user's processes that belong to a rootless containerd. */
const daemonProcesses = () => e2e.sb.pids().map(exeOf).filter((e) => /rootlesskit|containerd$|slirp4netns/.test(e));

function imageList(): string {
  const r = cli("nsenter", "--", "ctr", "-n", "default", "images", "ls", "-q");
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Nobody holds the run lock (flock(1) can take it at once). */
const lockIsFree = () => Bun.spawnSync(["flock", "-n", `${e2e.sb.runtimeDir}/containerd-rootless-systemd.lock`, "true"]).exitCode === 0;
/** Every path under ~/.config and ~/.local with its mode, size and a hash of its bytes: what a failed run must leave as it found it. */
const homeTree = () => snapshotTree(`${e2e.sb.home}/.config`, `${e2e.sb.home}/.local`);

/** The lines, each found after the previous one. */
function expectInOrder(text: string, lines: string[]): void {
  let at = 0;
  for (const line of lines) {
    const i = text.indexOf(line, at);
    if (i === -1) throw new Error(`expected, after offset ${at}: ${JSON.stringify(line)}\nin:\n${text}`);
    at = i + line.length;
  }
}

describe("lifecycle", () => {
  test("check passes", () => {
    const r = cli("check");
    expect(r.code).toBe(0);
    expectInOrder(r.stdout, ["[INFO] Checking RootlessKit functionality", "[INFO] Checking cgroup v2", "[INFO] Checking overlayfs"]);
  });

  test("install --yes prints the seed's transcript, in order, and leaves containerd running", () => {
    const r = cli("install", "--yes");
    expect(r.stderr).not.toContain("[ERROR]");
    expect(r.code).toBe(0);
    expectInOrder(r.stdout, [
      "[INFO] Checking RootlessKit functionality\n",
      "[INFO] Checking cgroup v2\n",
      "[INFO] Checking overlayfs\n",
      `[INFO] Creating ${unitFile()}\n`,
      "[INFO] Installed containerd.service successfully.\n",
      "[INFO] To control containerd.service, run: `systemctl --user (start|stop|restart) containerd.service`\n",
      `[INFO] To run containerd.service on system startup, run: \`sudo loginctl enable-linger ${USER}\`\n`,
      // no nerdctl here (Debian has no package): how to get it, and the line that works now, instead of the seed's "Use `nerdctl`"
      "\n[INFO] nerdctl is not installed (Debian has no package for it): `containerd-rootless-systemd components install` fetches nerdctl-full, which has it.\n",
      "[INFO] Until then, reach containerd with ctr: `containerd-rootless-systemd nsenter -- ctr version`.\n",
    ]);
    expect(r.stdout).not.toContain("Use `nerdctl`");
    // the summary names the other files it changed, not only how many
    expect(r.stdout).toMatch(/\[INFO\] Summary: containerd installed and running; \d other files? changed \(~\/[^)]+\); nothing else touched\.\n/);
    expect(e2e.sb.systemctl("is-active", "containerd.service").stdout.trim()).toBe("active");
    expect(e2e.sb.systemctl("is-enabled", "containerd.service").stdout.trim()).toBe("enabled");
    const unit = readFileSync(unitFile(), "utf8");
    expect(unit).toContain(`ExecStart=${installed()} launch\n`);
    expect(unit).toContain("Description=containerd (Rootless)\n");
    expect(existsSync(installed())).toBe(true);
  });

  test("the service runs only rootlesskit, the network driver and containerd (no Bun process)", () => {
    // by executable: RootlessKit's child shows up as "exe" (/proc/self/exe) in comm
    const procs = `/sys/fs/cgroup/systemd/user.slice/user-${e2e.sb.uid}.slice/user@${e2e.sb.uid}.service/app.slice/containerd.service/cgroup.procs`;
    const exes = readFileSync(procs, "utf8").split("\n").filter(Boolean).map((pid) => exeOf(Number(pid)));
    expect(exes.length).toBeGreaterThanOrEqual(4);
    expect([...new Set(exes)].sort()).toEqual(["/usr/bin/containerd", "/usr/bin/rootlesskit", "/usr/bin/slirp4netns"]);
  });

  test("nsenter -- ctr version reaches the server inside the namespace; exit codes come back", () => {
    const r = cli("nsenter", "--", "ctr", "version");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Server:\s*\n\s*Version:\s+1\.\d+/);
    expect(cli("nsenter", "--", "sh", "-c", "exit 7").code).toBe(7);
  });

  test("nsenter's network namespace is the host's with detach-netns (RootlessKit >= 2.0, auto), RootlessKit's own without", () => {
    const hostNet = readlinkSync("/proc/self/ns/net"); // this test runs in the host's network namespace
    const inside = cli("nsenter", "--", "readlink", "/proc/self/ns/net");
    expect(inside.code).toBe(0);
    const containerdNet = readlinkSync(`/proc/${e2e.sb.pids().find((p) => exeOf(p) === "/usr/bin/containerd")}/ns/net`);
    expect(inside.stdout.trim()).toBe(containerdNet); // where containerd itself runs
    const detached = detachNetnsInEffect(`${e2e.sb.runtimeDir}/containerd-rootless`);
    expect(detached).toBe(machine().detachNetnsByDefault);
    if (detached) expect(containerdNet).toBe(hostNet);
    else expect(containerdNet).not.toBe(hostNet);
  });

  test("the service survives the user deleting their download", async () => {
    renameSync(e2e.bin, `${e2e.bin}.away`);
    try {
      expect(e2e.sb.systemctl("restart", "containerd.service").code).toBe(0);
      await waitFor("the containerd API after a restart", () => e2e.sb.run([installed(), "nsenter", "--", "ctr", "version"]).code === 0, 20_000, 50);
    } finally {
      renameSync(`${e2e.bin}.away`, e2e.bin);
    }
  });

  test("a locally built busybox image is imported and listed", () => {
    const r = cli("nsenter", "--", "ctr", "-n", "default", "images", "import", image);
    expect(r.code).toBe(0);
    expect(imageList()).toContain(imageRef);
  });

  test("a container runs from the imported image through containerd, its default overlayfs snapshotter, shim and runc", () => {
    // this hybrid cgroup v1 host: runc cannot create /sys/fs/cgroup/cpuset/default (permission
    // denied), and ctr's default --cpu-shares 1024 needs a cgroup; with both flags it runs
    const r = cli("nsenter", "--", "ctr", "-n", "default", "run", "--rm", "--cgroup", "", "--cpu-shares", "0", imageRef, "crs-e2e-hello", "/bin/busybox", "sh", "-c", "echo hello from a rootless container; id -u; /bin/busybox awk '$5 == \"/\"' /proc/self/mountinfo");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [greeting, uid, root] = r.stdout.split("\n");
    expect(greeting).toBe("hello from a rootless container");
    expect(uid).toBe("0"); // root inside, the user outside
    // its / is an overlay mounted by containerd's overlayfs snapshotter, from the imported image's layer
    expect(root).toMatch(/ \/ .* - overlay overlay .*lowerdir=\S*io\.containerd\.snapshotter\.v1\.overlayfs\/snapshots\/\d+\/fs/);
    expect(root).toContain("userxattr");
  });

  test("install again changes nothing and does not restart containerd", () => {
    const pid = show("MainPID");
    const r = cli("install", "--yes", "--json");
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.changed).toBe(false);
    expect(result.steps.every((s: { changed: boolean }) => !s.changed)).toBe(true);
    expect(show("MainPID")).toBe(pid);
    const human = cli("install", "--yes");
    expect(human.stdout).toContain("[INFO] containerd.service is installed, enabled and running; nothing changed.");
    expect(human.stdout).not.toContain("Creating");
  });

  test("install --yes from other PATHs (cron's /usr/bin:/bin, a shell with an extra dir first) changes nothing and keeps containerd running", () => {
    const pid = show("MainPID");
    const before = readFileSync(unitFile(), "utf8");
    const extra = join(e2e.sb.home, "opt-foo/bin");
    e2e.sb.writeFile(join(extra, "foo"), "#!/bin/sh\n");
    for (const PATH of ["/usr/bin:/bin", `${extra}:/bin:/usr/bin:/usr/local/bin:/sbin:/usr/sbin`]) {
      const r = e2e.run(["install", "--yes", "--json"], { env: { PATH } });
      expect(r.stderr).not.toContain("[ERROR]");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).changed).toBe(false);
      expect(readFileSync(unitFile(), "utf8")).toBe(before);
      expect(show("MainPID")).toBe(pid);
    }
    expect(before).not.toContain("opt-foo");
    expect(before).toMatch(/^Environment=PATH=.*:\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
  });

  test("a changed unit is shown as a diff (--dry-run changes nothing), replaced, and containerd restarted", () => {
    const pid = show("MainPID");
    const original = readFileSync(unitFile(), "utf8");
    e2e.sb.writeFile(unitFile(), original.replace("RestartSec=2", "RestartSec=5"));
    const dry = cli("install", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("-RestartSec=5");
    expect(dry.stdout).toContain("+RestartSec=2");
    expect(readFileSync(unitFile(), "utf8")).toContain("RestartSec=5");
    expect(show("MainPID")).toBe(pid);
    const r = cli("install", "--yes");
    expect(r.code).toBe(0);
    expectInOrder(r.stdout, ["[INFO] Write ~/.config/systemd/user/containerd.service\n", "-RestartSec=5", "+RestartSec=2", "[INFO] Restart containerd.service\n", "[INFO] The containerd API answered", "[INFO] Installed containerd.service successfully."]);
    expect(readFileSync(unitFile(), "utf8")).toBe(original);
    expect(show("MainPID")).not.toBe(pid);
    expect(cli("nsenter", "--", "ctr", "version").code).toBe(0);
  });

  test("without a terminal and without --yes, install refuses", () => {
    const r = cli("install");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not a terminal; pass --yes");
  });

  test("status --json reports the unit, versions, RootlessKit settings, socket, linger and snapshotters", () => {
    const r = cli("status", "--json");
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.units[0]).toMatchObject({ name: "containerd.service", installed: true, ours: true, enabled: true, active: true, state: "active (running)", pid: Number(show("MainPID")) });
    expect(s.units[0].since).toMatch(/\d{4}-\d\d-\d\d/);
    expect(s.containerd.client).toMatch(/^1\.\d+\.\d+$/);
    expect(s.containerd.server).toMatch(/^1\.\d+/);
    expect(s.containerd).toMatchObject({ socket: `${e2e.sb.runtimeDir}/containerd/containerd.sock`, socketExists: true, answering: true });
    expect(s.rootlesskit.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(s.rootlesskit.settings["networkDriver.driver"]).toBe("slirp4netns");
    expect(s.rootlesskit.settings["portDriver.driver"]).toBe("builtin");
    expect(s.rootlesskit.flags).toMatchObject({ net: "slirp4netns", mtu: "65520", "port-driver": "builtin" });
    expect(s.linger).toBe(false);
    expect(s.snapshotters.builtin).toContain("overlayfs");
    const human = cli("status").stdout;
    expect(human).toMatch(/^containerd\.service +active \(running\), enabled, pid \d+, since /m);
    expect(human).toContain(`network slirp4netns MTU 65520, port driver builtin, detach-netns ${machine().detachNetnsByDefault ? "on" : "off"}`);
    expect(human).toMatch(/^linger +off: .*sudo loginctl enable-linger /m);
  });

  test("containerd stopped out of band: status says so", () => {
    expect(e2e.sb.systemctl("stop", "containerd.service").code).toBe(0);
    const r = cli("status");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^containerd\.service +inactive \(dead\), enabled$/m);
    expect(r.stderr).toContain("containerd is not running");
    const s = JSON.parse(cli("status", "--json").stdout);
    expect(s.units[0]).toMatchObject({ active: false, pid: null });
    expect(s.containerd.answering).toBe(false);
  });

  test("install starts it again", () => {
    const r = cli("install", "--yes", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).changed).toBe(true);
    expect(e2e.sb.systemctl("is-active", "containerd.service").stdout.trim()).toBe("active");
  });

  test("uninstall removes the unit and the binary copy, keeps the data, and says how to purge", () => {
    const r = cli("uninstall", "--yes");
    expect(r.code).toBe(0);
    expect(existsSync(unitFile())).toBe(false);
    expect(existsSync(installed())).toBe(false);
    expect(show("LoadState")).toBe("not-found");
    expect(daemonProcesses()).toEqual([]);
    expect(existsSync(join(dataDir(), "io.containerd.content.v1.content"))).toBe(true);
    expect(r.stdout).toContain(`Kept images, containers and configuration: ${dataDir()}`);
    expect(r.stdout).toContain("containerd-rootless-systemd uninstall --purge");
    const ns = cli("nsenter", "--", "true");
    expect(ns.code).toBe(1);
    expect(ns.stderr).toContain("[ERROR] containerd is not running");
    const again = cli("uninstall", "--yes");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("containerd.service is not installed; nothing to do.");
  });

  test("install again: the image is still there", () => {
    expect(cli("install", "--yes").code).toBe(0);
    expect(imageList()).toContain(imageRef);
  });

  test("uninstall --purge removes images and containers from inside the user namespace", () => {
    const r = cli("uninstall", "--yes", "--purge");
    expect(r.code).toBe(0);
    expect(existsSync(dataDir())).toBe(false);
    expect(existsSync(unitFile())).toBe(false);
    expect(daemonProcesses()).toEqual([]);
  });
});

describe("faults", () => {
  test("a unit that cannot start (broken config.toml): exit 1, the launcher's error shown, nothing left behind", () => {
    const config = `${e2e.sb.home}/.config/containerd/config.toml`;
    e2e.sb.writeFile(config, "version = 2\n[plugins\n");
    const before = homeTree();
    try {
      const r = cli("install", "--yes");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("[ERROR] containerd.service did not come up");
      expect(r.stderr).toContain("systemctl --user status containerd.service");
      expect(r.stderr).toContain("launch --validate; nothing started) exited with code 1:"); // the launcher's checks, not a second containerd
      expect(r.stderr).toContain("config.toml is not valid TOML (line 2");
      expect(existsSync(unitFile())).toBe(false);
      expect(existsSync(installed())).toBe(false);
      expect(lockIsFree()).toBe(true);
      expect(show("LoadState")).toBe("not-found");
      expect(daemonProcesses()).toEqual([]);
      expect(homeTree()).toEqual(before); // not even the empty data directories the launcher made
    } finally {
      rmSync(config, { force: true });
    }
  });

  test("a bad RootlessKit setting in override.conf: install's checks refuse it with the launcher's own message before anything changes", () => {
    const override = `${e2e.sb.home}/.config/systemd/user/containerd.service.d/override.conf`;
    e2e.sb.writeFile(override, "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=bogus\n");
    const before = homeTree();
    try {
      const r = cli("install", "--yes");
      expect(r.code).toBe(1);
      // check resolves the service's settings exactly as the launcher does, so it never starts a unit that cannot run
      expect(r.stderr).toContain("the launcher would refuse to start: invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=\"bogus\"");
      expect(r.stderr).not.toContain("did not come up");
      expect(homeTree()).toEqual(before);
      expect(show("LoadState")).toBe("not-found");
      expect(daemonProcesses()).toEqual([]);
    } finally {
      rmSync(join(override, ".."), { recursive: true, force: true });
    }
  });

  test("a run holding the lock: install waits briefly, then refuses cleanly and changes nothing", async () => {
    const lock = `${e2e.sb.runtimeDir}/containerd-rootless-systemd.lock`;
    // a live process holds the kernel lock (flock(1) keeps it itself: -o) and has written who it is
    const holder = Bun.spawn(["flock", "-x", "-o", lock, "sh", "-c", "echo locked; exec sleep 60"], { stdout: "pipe" });
    try {
      await holder.stdout.getReader().read();
      e2e.sb.writeFile(lock, `${holder.pid}\ninstall\n`, 0o600);
      const r = cli("install", "--yes");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`another containerd-rootless-systemd run is in progress (pid ${holder.pid}: install)`);
      expect(existsSync(unitFile())).toBe(false);
      expect(readFileSync(lock, "utf8")).toBe(`${holder.pid}\ninstall\n`);
    } finally {
      holder.kill("SIGKILL");
      await holder.exited;
    }
  });

  test("two installs at once never interleave: one installs; the other finds nothing to change, or (its lock wait over first) refuses naming it", async () => {
    const [a, b] = await Promise.all([e2e.sb.runAsync([e2e.bin, "install", "--yes", "--json"]), e2e.sb.runAsync([e2e.bin, "install", "--yes", "--json"])]);
    const both = `${a.stdout}\n${a.stderr}\n---\n${b.stdout}\n${b.stderr}`;
    const [first, second] = [JSON.parse(a.stdout), JSON.parse(b.stdout)].sort((x, y) => Number(y.changed) - Number(x.changed));
    expect(first, both).toMatchObject({ ok: true, changed: true });
    // the second waited for the lock: it ran after the first (nothing left to change), or its wait (2 s) ended while
    // the first still ran (a slow machine) and it refused without touching anything
    if (second.ok) expect(second, both).toMatchObject({ changed: false });
    else expect(second, both).toMatchObject({ changed: false, error: expect.stringMatching(/^another containerd-rootless-systemd run is in progress \(pid \d+: install\)/) });
    expect([a.code, b.code].sort(), both).toEqual(second.ok ? [0, 0] : [0, 1]);
    expect(e2e.sb.systemctl("is-active", "containerd.service").stdout.trim()).toBe("active");
    expect(daemonProcesses().filter((e) => e.endsWith("/containerd")).length).toBe(1);
    expect(cli("uninstall", "--yes", "--purge").code).toBe(0);
  });
});
