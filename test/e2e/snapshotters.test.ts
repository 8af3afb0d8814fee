// The snapshotter add-ons against their real programs (scripts/go-fixtures.ts): stargz is
// containerd-stargz-grpc built from Debian's stargz-snapshotter library (its lazy pulling:
// stargz-lazy.test.ts); fuse-overlayfs is the project's snapshotter whose mounts Debian's
// fuse-overlayfs serves, checking that a FUSE overlay mounts before it listens, as upstream does.
// "Installed" must mean containerd can use it: a snapshot request the daemon answers, through
// containerd, right after `install` succeeds (10 installs in a row for stargz; after a restart
// containerd's first dial to the daemon is refused — the daemons leave their socket file when
// they stop — and it retries only after gRPC's backoff), and so after `configure` restarted
// containerd and both daemons with it; the probe leaves nothing in the daemon; images are unpacked into it and
// containers run from it (a FUSE root for fuse-overlayfs), uninstalling leaves no FUSE mount or
// fuse-overlayfs process behind, and removing both in either order gives the user's config.toml
// back byte for byte, with containers running again through the default snapshotter.
import { test, expect, describe } from "bun:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { useSandbox } from "../helpers/e2e.ts";
import { ctr, installSnapshotters, mountType, runFromImage, type SnapshotterHome } from "../helpers/snapshotter-e2e.ts";

// comments, a blank line and CRLF line endings: all of it must survive install + uninstall
const USER_CONFIG = "# my containerd settings\r\nversion = 2\r\n\r\n[plugins]\r\n  # keep this comment\r\n";

let home: SnapshotterHome;
const e2e = useSandbox("crssn-e2e", {
  setup: async () => {
    home = await installSnapshotters(e2e);
    e2e.sb.writeFile(cfg(), USER_CONFIG);
    expect(Bun.spawnSync(["chown", "-R", `${e2e.sb.user}:`, `${e2e.sb.home}/.config`]).exitCode).toBe(0);
    e2e.mustRun(["install", "--yes"], { env: { PATH: home.path }, timeoutMs: 90_000 });
  },
  setupTimeoutMs: 240_000,
});

const cfg = () => `${e2e.sb.home}/.config/containerd/config.toml`;
const confD = () => `${e2e.sb.home}/.config/containerd/conf.d`;
const cli = (args: string[]) => e2e.run(args, { env: { PATH: home.path }, timeoutMs: 120_000 });
const listSnapshots = (name: string) => ctr(e2e, home.path, ["snapshots", "--snapshotter", name, "ls"], 30_000);
/**
 * A request through containerd that the daemon itself must answer: preparing a snapshot (then
 * removed again). Listing is not one: containerd answers it from its own metadata, daemon or not.
 */
function prepareThrough(name: string, key: string) {
  const r = ctr(e2e, home.path, ["snapshots", "--snapshotter", name, "prepare", key], 30_000);
  if (r.code === 0) expect(ctr(e2e, home.path, ["snapshots", "--snapshotter", name, "rm", key], 30_000).code).toBe(0);
  return r;
}
const dataHome = () => `${e2e.sb.home}/.local/share`;
/** The user's fuse-overlayfs processes (a FUSE overlay's server), with their command lines. */
const fuseOverlayfsProcesses = () => e2e.sb.pids().map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").join(" "); } catch { return ""; } }).filter((c) => c.startsWith("fuse-overlayfs "));
/** The FUSE overlay mounts any of the user's processes sees (inside RootlessKit's mount namespace or not). */
const fuseOverlayMounts = () => [...new Set(e2e.sb.pids().flatMap((p) => { try { return readFileSync(`/proc/${p}/mountinfo`, "utf8").split("\n"); } catch { return []; } }).filter((l) => l.includes(" - fuse.fuse-overlayfs ")).map((l) => l.split(" ")[4]))];

describe("snapshotter add-ons with their real daemons", () => {
  test("install stargz, then IMMEDIATELY a snapshot request the daemon answers, through containerd: succeeds 10 times in a row", () => {
    for (let i = 0; i < 10; i++) {
      const r = cli(["install", "stargz", "--yes"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("the stargz snapshotter through containerd) answered after");
      const first = prepareThrough("stargz", `crs-first-${i}`); // no wait, no retry: install said it is usable
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      if (i < 9) expect(cli(["uninstall", "stargz", "--yes"]).code).toBe(0);
    }
  }, 900_000);

  test("stargz: a non-eStargz image falls back to overlay snapshots in the snapshotter's root, as upstream does", () => {
    const root = runFromImage(e2e, home, "stargz", "crs-stargz");
    expect(mountType(root)).toEqual({ type: "overlay", source: "overlay" });
    expect(root).toContain(`lowerdir=${dataHome()}/containerd-stargz-grpc/snapshotter/snapshots/`);
    expect(root).toContain(`upperdir=${dataHome()}/containerd-stargz-grpc/snapshotter/snapshots/`);
    expect(listSnapshots("stargz").stdout).toMatch(/Committed/);
    const status = cli(["status"]);
    expect(status.stdout).toMatch(/^  stargz +installed, active/m);
  }, 120_000);

  test("the probe leaves nothing in the snapshotter: no snapshot directory after status asked it three times", () => {
    const dir = `${dataHome()}/containerd-stargz-grpc/snapshotter/snapshots`;
    const entries = () => new Set(existsSync(dir) ? readdirSync(dir) : []);
    const before = entries();
    for (let i = 0; i < 3; i++) expect(cli(["status"]).stdout).toMatch(/^  stargz +installed, active/m);
    // a garbage collection by containerd meanwhile may take old ones away; nothing new may appear
    expect([...entries()].filter((e) => !before.has(e))).toEqual([]);
  }, 60_000);

  test("status uses the same probe: a stopped snapshotter is not reported installed, in containerd's own words", () => {
    expect(e2e.sb.systemctl("stop", "stargz-snapshotter.service").code).toBe(0);
    try {
      const stargz = (JSON.parse(cli(["status", "--json"]).stdout).addons as { id: string; installed: boolean; detail: string }[]).find((a) => a.id === "stargz")!;
      expect(stargz.installed).toBe(false);
      // containerd's words: its connection to the daemon just closed, or (once it redials) the dial refused on the daemon's socket
      expect(stargz.detail).toMatch(/a snapshot call through containerd to stargz: UNAVAILABLE: connection (closed|error: .*containerd-stargz-grpc\.sock)/);
    } finally {
      expect(e2e.sb.systemctl("start", "stargz-snapshotter.service").code).toBe(0);
    }
  }, 60_000);

  test("fuse-overlayfs: install, at once a snapshot request the daemon answers, a container's / is a FUSE overlay served by fuse-overlayfs", () => {
    const r = cli(["install", "fuse-overlayfs", "--yes"]);
    expect(r.code).toBe(0);
    const first = prepareThrough("fuse-overlayfs", "crs-first"); // no wait, no retry
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    // the daemon's start-up check mounted a FUSE overlay and unmounted it again: nothing is left of it
    expect(fuseOverlayfsProcesses()).toEqual([]);
    expect(fuseOverlayMounts()).toEqual([]);
    const root = runFromImage(e2e, home, "fuse-overlayfs", "crs-fuse");
    expect(mountType(root)).toEqual({ type: "fuse.fuse-overlayfs", source: "fuse-overlayfs" });
    // both installed: both usable through containerd after the one restart
    expect(prepareThrough("stargz", "crs-both").code).toBe(0);
  }, 120_000);

  test("configure restarts containerd and with it both snapshotters: right after it returns, each answers through containerd", () => {
    for (const mtu of ["1400", "1500"]) {
      expect(cli(["configure", "--mtu", mtu, "--yes"]).code).toBe(0);
      for (const name of ["stargz", "fuse-overlayfs"]) {
        const r = prepareThrough(name, `crs-mtu-${mtu}`); // no wait, no retry
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
      }
    }
    expect(cli(["configure", "--reset", "mtu", "--yes"]).code).toBe(0);
  }, 240_000);

  test("fuse-overlayfs: a running container's root is served from the snapshotter's directories; uninstall leaves no FUSE mount or fuse-overlayfs process", () => {
    const started = ctr(e2e, home.path, ["run", "-d", "--snapshotter", "fuse-overlayfs", "--cgroup", "", "--cpu-shares", "0", home.imageRef, "crs-fuse-running", "/bin/busybox", "sleep", "600"]);
    expect(started.stderr).toBe("");
    expect(started.code).toBe(0);
    const servers = fuseOverlayfsProcesses();
    expect(servers.length).toBe(1);
    expect(servers[0]).toContain(`lowerdir=${dataHome()}/containerd-fuse-overlayfs/snapshots/`);
    expect(servers[0]).toContain(`upperdir=${dataHome()}/containerd-fuse-overlayfs/snapshots/`);
    // containerd's namespace sees it where the shim mounted it, the container's own processes as their /
    expect(fuseOverlayMounts().sort()).toEqual(["/", "/run/containerd/io.containerd.runtime.v2.task/default/crs-fuse-running/rootfs"]);
    expect(cli(["uninstall", "fuse-overlayfs", "--yes"]).code).toBe(0);
    expect(fuseOverlayfsProcesses()).toEqual([]);
    expect(fuseOverlayMounts()).toEqual([]);
    expect(e2e.show("containerd-fuse-overlayfs.service", "LoadState")).toBe("not-found");
  }, 180_000);

  test("a fuse-overlayfs that cannot mount: the snapshotter never listens, install fails and is undone", () => {
    const broken = `${e2e.sb.home}/broken-fuse`;
    e2e.sb.writeFile(`${broken}/fuse-overlayfs`, "#!/bin/sh\necho 'fuse: device not found, try modprobe fuse first' >&2\nexit 1\n", 0o755);
    const before = readFileSync(cfg(), "utf8");
    const r = e2e.run(["install", "fuse-overlayfs", "--yes"], { env: { PATH: `${broken}:${home.path}` }, timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("containerd-fuse-overlayfs.service");
    expect(r.stderr).toContain("last answer: no connection (refused, reset, or no socket)");
    expect(r.stderr).toContain("Undone:");
    expect(existsSync(`${e2e.sb.runtimeDir}/containerd-fuse-overlayfs.sock`)).toBe(false);
    expect(readFileSync(cfg(), "utf8")).toBe(before);
    expect(e2e.show("containerd-fuse-overlayfs.service", "LoadState")).toBe("not-found");
  }, 180_000);

  test("a snapshotter that cannot serve: install fails with its status and last answer, and everything is undone", () => {
    const broken = `${e2e.sb.home}/broken`;
    e2e.sb.writeFile(`${broken}/containerd-stargz-grpc`, "#!/bin/sh\necho 'stargz: cannot open the root: broken on purpose' >&2\nexit 1\n", 0o755);
    expect(cli(["uninstall", "stargz", "--yes"]).code).toBe(0);
    const before = readFileSync(cfg(), "utf8");
    const r = e2e.run(["install", "stargz", "--yes"], { env: { PATH: `${broken}:${home.path}` }, timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("stargz-snapshotter.service exited and systemd is restarting it");
    expect(r.stderr).toContain("last answer: no connection (refused, reset, or no socket)");
    expect(r.stderr).toContain("systemctl --user status stargz-snapshotter.service:");
    expect(r.stderr).toContain("Undone:");
    expect(readFileSync(cfg(), "utf8")).toBe(before);
    expect(existsSync(`${e2e.sb.home}/.config/systemd/user/stargz-snapshotter.service`)).toBe(false);
    expect(e2e.show("stargz-snapshotter.service", "LoadState")).toBe("not-found");
  }, 180_000);

  for (const order of [["stargz", "fuse-overlayfs"], ["fuse-overlayfs", "stargz"]]) {
    test(`removed in the order ${order.join(", ")}: config.toml byte-identical; after a containerd restart, containers run through the default snapshotter`, () => {
      if (!existsSync(`${confD()}/stargz.toml`) || !existsSync(`${confD()}/fuse-overlayfs.toml`)) {
        const both = cli(["install", "fuse-overlayfs", "stargz", "--yes"]);
        expect(both.code).toBe(0);
        expect(prepareThrough("fuse-overlayfs", `crs-both-${order[0]}`).code).toBe(0);
        expect(prepareThrough("stargz", `crs-both-${order[0]}`).code).toBe(0);
      }
      for (const id of order) expect(cli(["uninstall", id, "--yes"]).code).toBe(0);
      expect(readFileSync(cfg(), "utf8")).toBe(USER_CONFIG);
      expect(existsSync(confD()) ? readdirSync(confD()) : []).toEqual([]);
      expect(e2e.sb.systemctl("restart", "containerd.service").code).toBe(0);
      expect(cli(["nsenter", "--wait=60", "--", "ctr", "version"]).code).toBe(0);
      const root = runFromImage(e2e, home, undefined, `crs-default-${order[0]}`);
      expect(root).toContain("io.containerd.snapshotter.v1.overlayfs/snapshots/");
      expect(listSnapshots("stargz").code).not.toBe(0); // no longer registered
    }, 240_000);
  }
});
