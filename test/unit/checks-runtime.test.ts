// RootlessKit smoke test, cgroup, overlayfs and the kernel rule.
import { test, expect, afterEach } from "bun:test";
import { ok, failed, type TestHost } from "../helpers/test-host.ts";
import { machine, check, byId } from "./checks-fixture.ts";
import { overlayKernelRule } from "../../src/core/checks/overlayfs.ts";
import { findingText } from "../../src/core/checks/report.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

const rk = (run: (argv: string[]) => ReturnType<typeof ok>) => (argv: string[]) => (argv[1] === "--version" ? ok("rootlesskit version 1.1.0\n") : run(argv));

test("the smoke test runs RootlessKit with the seed's flags and reports success", async () => {
  host = await machine();
  const r = await check(host);
  const run = host.calls.find((c) => c[0]!.endsWith("rootlesskit") && c[1] !== "--version" && c[1] !== "--help")!;
  expect(run.slice(1, 5)).toEqual(["--disable-host-loopback", "--copy-up=/etc", "--copy-up=/run", "--copy-up=/var/lib"]);
  // the child is the overlay mount itself, on throwaway directories in the runtime dir (removed after)
  // sub-ids from the files RootlessKit reads itself (no subid: line in nsswitch.conf: getsubids would read the same), no getsubids processes
  expect(run[5]).toBe("--subid-source=static");
  expect(run.slice(6, 9)).toEqual(["mount", "-t", "overlay"]);
  expect(run.at(-1)).toStartWith("/run/user/1000/.crs-overlay.");
  expect(await host.exists(run.at(-1)!)).toBe(false);
  expect(byId(r, "rootlesskit.smoke")?.level).toBe("ok");
  expect(r.facts.rootlesskitWorks).toBe(true);
  expect(r.facts.overlayMountWorks).toBe(true);
  expect(r.facts.snapshotter).toBe("overlayfs");
});

test("sub-ids from another NSS source (nsswitch.conf's subid: line): RootlessKit's own default, getsubids, is what the smoke test runs", async () => {
  host = await machine({ files: { "/etc/nsswitch.conf": "passwd: files\nsubid: sss\n" } });
  const r = await check(host);
  const run = host.calls.find((c) => c[0]!.endsWith("rootlesskit") && c[1] !== "--version" && c[1] !== "--help")!;
  expect(run).not.toContain("--subid-source=static");
  expect(byId(r, "rootlesskit.smoke")?.level).toBe("ok");
});

test("a RootlessKit older than 1.1.0 refuses --subid-source: the smoke test runs again without it and passes", async () => {
  const runs: string[][] = [];
  host = await machine({
    commands: {
      rootlesskit: rk((argv) => {
        runs.push(argv);
        return argv.includes("--subid-source=static") ? failed("Incorrect Usage. flag provided but not defined: -subid-source\n", 1) : ok("");
      }),
    },
  });
  const r = await check(host);
  const smoke = runs.filter((a) => a.includes("mount"));
  expect(smoke).toHaveLength(2);
  expect(smoke[1]).not.toContain("--subid-source=static");
  expect(byId(r, "rootlesskit.smoke")?.level).toBe("ok");
  expect(r.facts.overlayMountWorks).toBe(true);
});

test("a failing smoke test shows RootlessKit's own stderr", async () => {
  const stderr = '[rootlesskit:parent] error: failed to setup UID/GID map: No subuid ranges found for user 1000 ("alice")';
  host = await machine({ commands: { rootlesskit: rk(() => failed(stderr)) } });
  const r = await check(host);
  const f = byId(r, "rootlesskit.smoke.failed")!;
  expect(f.level).toBe("error");
  expect(f.detail).toBe(stderr);
  expect(r.facts.rootlesskitWorks).toBe(false);
  // the overlay mount could not be tried: the kernel rule decides (6.1, no SELinux)
  expect(r.facts.overlayMountWorks).toBeNull();
  expect(r.facts.snapshotter).toBe("overlayfs");
  expect(r.ok).toBe(false);
});

test("the temp dir falls back to /tmp without a usable XDG_RUNTIME_DIR", async () => {
  host = await machine({ env: { XDG_RUNTIME_DIR: "relative" } });
  await check(host);
  expect(host.calls.find((c) => c[0]!.endsWith("rootlesskit") && c[1] !== "--version" && c[1] !== "--help")!.at(-1)).toStartWith("/tmp/.crs-overlay.");
});

test("overlay mount failing: fuse-overlayfs recommended when usable, else native with a fix", async () => {
  // RootlessKit 1.1.0's words when its child (the mount) fails, as a real run here printed them
  const noOverlay = rk((argv) =>
    failed(`mount: permission denied\n[rootlesskit:child ] error: command [${argv.slice(argv.indexOf("mount")).join(" ")}] exited: exit status 32\n[rootlesskit:parent] error: child exited: exit status 32\n`, 32),
  );
  const fuse = () => ok("fuse-overlayfs: version 1.10\n");
  host = await machine({ commands: { rootlesskit: noOverlay, "fuse-overlayfs": fuse, "/usr/bin/fuse-overlayfs": fuse }, files: { "/dev/fuse": "" } });
  let r = await check(host);
  expect(r.facts.tools.fuseOverlayfs).toMatchObject({ path: "/usr/bin/fuse-overlayfs", version: "1.10.0" });
  expect(byId(r, "overlayfs.mount.failed")?.detail).toBe("mount: permission denied");
  expect(r.facts.snapshotter).toBe("fuse-overlayfs");
  expect(byId(r, "overlayfs.snapshotter")?.fix).toContain("CONTAINERD_SNAPSHOTTER=fuse-overlayfs");
  await host.cleanup();
  host = await machine({ commands: { rootlesskit: noOverlay } });
  r = await check(host);
  expect(r.facts.snapshotter).toBe("native");
  const f = byId(r, "overlayfs.snapshotter")!;
  expect(f.level).toBe("warning");
  expect(f.sudoFix).toEqual(["apt-get install -y fuse-overlayfs"]);
});

test("overlayfs works and fuse-overlayfs is installed: check --json's facts still say where it is (not null)", async () => {
  const fuse = () => ok("fuse-overlayfs: version 1.13-dev\n");
  host = await machine({ commands: { "fuse-overlayfs": fuse, "/usr/bin/fuse-overlayfs": fuse }, files: { "/dev/fuse": "" } });
  const r = await check(host);
  expect(r.facts.snapshotter).toBe("overlayfs");
  expect(r.facts.tools.fuseOverlayfs).toMatchObject({ path: "/usr/bin/fuse-overlayfs", version: "1.13.0" });
});

test("the seed's kernel rule", () => {
  const k = (version: string, selinux = false, ubuntu = false) => overlayKernelRule({ release: version, version, selinux, ubuntu });
  expect(k("5.13.0", true)).toBe(true);
  expect(k("5.12.0", true)).toBe(false);
  expect(k("5.11.0")).toBe(true);
  expect(k("5.10.0")).toBe(false);
  expect(k("4.15.0", false, true)).toBe(true);
  expect(overlayKernelRule({ release: null, version: null, selinux: false, ubuntu: false })).toBe(false);
});

test("old kernel with SELinux: the Fedora hint decides (fuse-overlayfs) even though the test mount worked", async () => {
  const fuse = () => ok("fuse-overlayfs: version 1.10\n");
  host = await machine({
    files: { "/proc/sys/kernel/osrelease": "5.12.7-300.fc34.x86_64\n", "/sys/fs/selinux/enforce": "1", "/etc/os-release": "ID=fedora\n", "/dev/fuse": "" },
    commands: { "fuse-overlayfs": fuse, "/usr/bin/fuse-overlayfs": fuse },
  });
  const r = await check(host);
  expect(byId(r, "overlayfs.mount")?.level).toBe("ok");
  expect(byId(r, "overlayfs.kernel")?.level).toBe("info");
  expect(byId(r, "overlayfs.selinux-hint")?.message).toContain("Fedora");
  expect(r.facts.selinux).toBe(true);
  expect(r.facts.overlayKernelRule).toBe(false);
  // the seed: with SELinux and a kernel older than 5.13, "you need to use fuse-overlayfs instead of overlayfs"
  expect(r.facts.snapshotter).toBe("fuse-overlayfs");
  expect(byId(r, "overlayfs.snapshotter")?.message).toBe("Recommended snapshotter: fuse-overlayfs");
});

test("old kernel and RootlessKit broken: the rule picks the snapshotter", async () => {
  host = await machine({ files: { "/proc/sys/kernel/osrelease": "5.4.0-1\n" }, commands: { rootlesskit: rk(() => failed("boom")) } });
  const r = await check(host);
  expect(byId(r, "overlayfs.kernel")?.level).toBe("warning");
  expect(r.facts.snapshotter).toBe("native");
});

test("Ubuntu kernels pass the rule", async () => {
  host = await machine({ files: { "/proc/sys/kernel/osrelease": "4.15.0-20-generic\n", "/proc/version_signature": "Ubuntu 4.15.0-20.21-generic 4.15.17\n" }, commands: { rootlesskit: rk(() => failed("x")) } });
  const r = await check(host);
  expect(r.facts.ubuntuKernel).toBe(true);
  expect(byId(r, "overlayfs.kernel")).toBeUndefined();
});

test("cgroup v1 and hybrid: a warning that resource limits will not work", async () => {
  host = await machine({ files: { "/sys/fs/cgroup/cgroup.controllers": null }, dirs: ["/sys/fs/cgroup/unified"] });
  let r = await check(host);
  expect(byId(r, "cgroup.v1")?.level).toBe("warning");
  expect(byId(r, "cgroup.v1")?.message).toContain("hybrid");
  expect(r.facts.cgroup).toBe("hybrid");
  expect(r.ok).toBe(true);
  await host.cleanup();
  host = await machine({ files: { "/sys/fs/cgroup/cgroup.controllers": null } });
  r = await check(host);
  expect(r.facts.cgroup).toBe("v1");
  expect(byId(r, "cgroup.v1")?.message).toContain("resource limits");
});

test("cgroup v2 without memory/pids delegated: warning with the delegate.conf fix", async () => {
  host = await machine({ files: { "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers": "cpu io\n" } });
  const r = await check(host);
  const f = byId(r, "cgroup.delegation.missing")!;
  expect(f.level).toBe("warning");
  expect(f.message).toContain("memory pids cpuset");
  expect(f.sudoFix!.join("\n")).toContain("Delegate=cpu cpuset io memory pids");
  expect(r.facts.delegatedControllers).toEqual(["cpu", "io"]);
});

test("cgroup v2 missing only io/cpuset: info, its root lines shown beside it and what to do after them last", async () => {
  host = await machine({ files: { "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers": "cpu memory pids\n" } });
  const f = byId(await check(host), "cgroup.delegation.missing")!;
  expect(f.level).toBe("info");
  const lines = findingText(f).split("\n");
  const reload = lines.findIndex((l) => l.trim() === "systemctl daemon-reload");
  const restart = lines.findIndex((l) => l.includes("restart your user manager"));
  expect(reload).toBeGreaterThan(0);
  expect(restart).toBe(lines.length - 1);
  expect(lines.slice(0, reload).join("\n")).not.toMatch(/log out|reboot/);
  expect(lines[restart]).toContain("sudo systemctl restart user@1000.service");
});

test("cgroup v2 missing memory: a warning whose follow-up comes with the pointer to the sudo block", async () => {
  host = await machine({ files: { "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers": "cpu pids\n" } });
  const text = findingText(byId(await check(host), "cgroup.delegation.missing")!);
  expect(text).toContain("(needs root: see the sudo block below; after it: restart your user manager");
  expect(text.split("\n")[0]).not.toMatch(/log out/);
});

test("cgroup v2 but no user@UID.service cgroup: warning", async () => {
  host = await machine({ files: { "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers": null } });
  expect(byId(await check(host), "cgroup.delegation.unknown")?.level).toBe("warning");
});
