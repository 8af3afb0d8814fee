// The unit's PATH comes from where its programs are, never from the caller's PATH: the same
// machine gives the same PATH from a login shell, cron's /usr/bin:/bin, or a PATH with extra dirs.
import { afterEach, expect, test } from "bun:test";
import { mkdtemp, mkdir, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Host } from "../../src/core/os/host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { containerdServicePath, servicePath } from "../../src/core/systemd/service-path.ts";
import { findProgram } from "../../src/core/os/programs.ts";

const STD = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
let root = "";
afterEach(async () => root && rm(root, { recursive: true, force: true }));

/** A real Host over a temp root with executable files at the given paths. */
async function machine(programs: string[], PATH: string): Promise<Host> {
  root = root || (await mkdtemp(join(tmpdir(), "crs-path-")));
  for (const p of programs) {
    await mkdir(join(root, p, ".."), { recursive: true });
    await writeFile(join(root, p), "#!/bin/sh\n", { mode: 0o755 });
  }
  return new Host({ root, env: { HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000", PATH }, uid: 1000, gid: 1000, execPath: "/x", scriptPath: undefined });
}

test("preferred dirs first, then the programs' own dirs, then the standard dirs; no duplicates, relative dirs dropped", () => {
  expect(servicePath(["/opt/rk/bin", "/usr/bin", "/opt/rk/bin", "rel"], ["/opt/bundle/bin"])).toBe(`/opt/bundle/bin:/opt/rk/bin:${STD}`);
  expect(servicePath([])).toBe(STD);
});

test("the same machine gives the same containerd.service PATH from any caller PATH", async () => {
  const programs = ["/usr/bin/containerd", "/usr/bin/rootlesskit", "/usr/sbin/runc", "/opt/rk/bin/slirp4netns", "/usr/bin/nsenter", "/bin/mount"];
  const paths = resolvePaths({ HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000" }, 1000);
  const login = await containerdServicePath(await machine(programs, "/home/alice/bin:/opt/rk/bin:/usr/local/bin:/usr/bin:/bin:/opt/foo/bin"), paths);
  expect(login).toBe(`/home/alice/.local/bin:/opt/rk/bin:${STD}`);
  // another order and an extra directory with nothing the service runs
  expect(await containerdServicePath(await machine([], "/opt/foo/bin:/usr/bin:/opt/rk/bin:/bin"), paths)).toBe(login);
  // a bundle's bin dir goes first
  expect(await containerdServicePath(await machine([], "/opt/rk/bin:/usr/bin"), paths, ["/opt/bundle/bin"])).toBe(`/opt/bundle/bin:/home/alice/.local/bin:/opt/rk/bin:${STD}`);
});

test("cron's PATH (/usr/bin:/bin) still finds what lives in the standard sbin dirs", async () => {
  const h = await machine(["/usr/sbin/runc"], "/usr/bin:/bin");
  expect(await findProgram(h, "runc")).toBe("/usr/sbin/runc");
  expect(await findProgram(h, "nope")).toBeNull();
});

test("an add-on unit's PATH: the daemon's dir and its helpers' dirs, this tool's dir, the standard dirs; the caller's PATH plays no part", async () => {
  const { daemonUnit } = await import("../../src/plugins/kit/daemon-unit.ts");
  const { renderUnit } = await import("../../src/core/systemd/units.ts");
  const paths = resolvePaths({ HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000" }, 1000);
  const d = { name: "containerd-fuse-overlayfs.service", description: "x", argv: ["/opt/fo/bin/containerd-fuse-overlayfs-grpc", "sock"], inNamespace: true, pathDirs: ["/opt/fo/bin", "/usr/bin"] };
  const units = [];
  for (const PATH of ["/usr/bin:/bin", "/opt/foo/bin:/home/alice/bin:/usr/local/bin:/usr/bin:/bin"]) {
    units.push(renderUnit(daemonUnit(paths, await machine([], PATH), d)));
  }
  expect(units[0]).toBe(units[1]!);
  expect(units[0]).toContain(`Environment=PATH=/opt/fo/bin:/home/alice/.local/bin:${STD}\n`);
  expect(renderUnit(daemonUnit(paths, await machine([], "/usr/bin"), { ...d, preferredDirs: ["/opt/bundle/bin"] }))).toContain(`Environment=PATH=/opt/bundle/bin:/opt/fo/bin:`);
});
