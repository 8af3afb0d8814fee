// Add-on programs are found where this tool puts things — ~/.local/bin (its own copy's
// directory, where its hints say to put them) and the active nerdctl-full bundle's bin —
// whatever the caller's PATH (a fresh account, `su -`, a script): every command's run context
// looks there first, in the order the units' PATH has them.
import { afterEach, expect, test } from "bun:test";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Host } from "../../src/core/os/host.ts";
import { createRunContext } from "../../src/core/plan/run-context.ts";
import { findProgram } from "../../src/core/os/programs.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { getPlugin } from "../../src/plugins/registry.ts";
import "../../src/plugins/index.ts";

let root = "";
afterEach(() => rm(root, { recursive: true, force: true }));

async function program(path: string) {
  await mkdir(join(root, dirname(path)), { recursive: true });
  await writeFile(join(root, path), "#!/bin/sh\n", { mode: 0o755 });
}

test("~/.local/bin and the active bundle's bin are looked in before a PATH that lacks them; both add-on programs are found", async () => {
  root = await mkdtemp(join(tmpdir(), "crs-tooldirs-"));
  const host = new Host({ root, env: { HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000", PATH: "/usr/bin:/bin" }, uid: 1000, gid: 1000 });
  await program("/home/alice/.local/bin/containerd-fuse-overlayfs-grpc");
  const bundle = "/home/alice/.local/share/containerd-rootless-systemd/components";
  await program(`${bundle}/2.2.2/bin/fuse-overlayfs`);
  await symlink("2.2.2", join(root, bundle, "current"));
  await program("/usr/bin/fuse-overlayfs"); // on PATH too: the bundle's comes first, as on the unit's PATH
  await program("/dev/fuse"); // the fuse-overlayfs daemon needs it to start
  const fuse = getPlugin("fuse-overlayfs")!;
  // a Host that looks on PATH alone does not find it
  expect(await fuse.availability({ host, paths: resolvePaths(host.env, host.uid) })).toMatchObject({ available: false });

  const ctx = createRunContext(host, {});
  expect(host.preferDirs).toEqual([`${bundle}/current/bin`, "/home/alice/.local/bin"]);
  expect(await findProgram(host, "containerd-fuse-overlayfs-grpc")).toBe("/home/alice/.local/bin/containerd-fuse-overlayfs-grpc");
  expect(await findProgram(host, "fuse-overlayfs")).toBe(`${bundle}/current/bin/fuse-overlayfs`);
  expect(await fuse.availability({ host: ctx.host, paths: ctx.paths })).toEqual({ available: true });
});
