// The snapshotter add-ons against a REAL snapshotter: containerd's overlay snapshotter served over
// the proxy-plugin gRPC protocol (test/fixtures/proxy-snapshotter, built offline from Debian's
// containerd sources), installed under the stargz daemon's name with its flags and under the
// fuse-overlayfs daemon's name with its arguments (its mounts are kernel overlay, not FUSE).
// "Installed" must mean containerd can use it: the snapshot listing through containerd right
// after `install` succeeds (10 installs in a row for stargz), images are unpacked into it and
// containers run from it, and removing both in either order gives the user's config.toml back
// byte for byte, with containers running again through the default snapshotter.
import { test, expect, describe } from "bun:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { useSandbox } from "../helpers/e2e.ts";
import { ctr, installSnapshotters, runFromImage, type SnapshotterHome } from "../helpers/snapshotter-e2e.ts";

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
const dataRoot = (daemon: string) => `${e2e.sb.home}/.local/share/${daemon}/snapshots/`;

describe("snapshotter add-ons with a real proxy snapshotter", () => {
  test("install stargz, then IMMEDIATELY list its snapshots through containerd: succeeds 10 times in a row", () => {
    for (let i = 0; i < 10; i++) {
      const r = cli(["install", "stargz", "--yes"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("the stargz snapshotter through containerd) answered after");
      const listed = listSnapshots("stargz"); // no wait, no retry: install said it is usable
      expect(listed.stderr).toBe("");
      expect(listed.code).toBe(0);
      if (i < 9) expect(cli(["uninstall", "stargz", "--yes"]).code).toBe(0);
    }
  }, 900_000);

  test("stargz: the image is unpacked into it and a container runs with its / from the snapshotter's root", () => {
    const root = runFromImage(e2e, home, "stargz", "crs-stargz");
    expect(root).toContain(`lowerdir=${dataRoot("containerd-stargz-grpc")}`);
    expect(root).toContain(`upperdir=${dataRoot("containerd-stargz-grpc")}`);
    expect(listSnapshots("stargz").stdout).toMatch(/Committed/);
    const status = cli(["status"]);
    expect(status.stdout).toMatch(/^  stargz +installed, active/m);
  }, 120_000);

  test("status uses the same probe: a stopped snapshotter is not reported installed", () => {
    expect(e2e.sb.systemctl("stop", "stargz-snapshotter.service").code).toBe(0);
    const json = JSON.parse(cli(["status", "--json"]).stdout);
    const stargz = JSON.stringify(json);
    expect(stargz).toContain("ctr snapshots --snapshotter stargz ls: exit 1");
    expect(e2e.sb.systemctl("start", "stargz-snapshotter.service").code).toBe(0);
  }, 60_000);

  test("fuse-overlayfs: install, immediately listed through containerd, a container runs from its root", () => {
    const r = cli(["install", "fuse-overlayfs", "--yes"]);
    expect(r.code).toBe(0);
    expect(listSnapshots("fuse-overlayfs").code).toBe(0);
    const root = runFromImage(e2e, home, "fuse-overlayfs", "crs-fuse");
    expect(root).toContain(`lowerdir=${dataRoot("containerd-fuse-overlayfs")}`);
    // both installed: both usable through containerd after the one restart
    expect(listSnapshots("stargz").code).toBe(0);
  }, 120_000);

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
        expect(listSnapshots("fuse-overlayfs").code).toBe(0);
        expect(listSnapshots("stargz").code).toBe(0);
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
