// Putting the snapshotter daemons (scripts/go-fixtures.ts: containerd-stargz-grpc from Debian's
// stargz library, containerd-fuse-overlayfs-grpc serving Debian's fuse-overlayfs) in a sandbox
// user's home under their own names, and the checks the snapshotter e2e tests share: listing a
// snapshotter's snapshots through containerd, importing the busybox image into it, and running a
// container from it.
import { chownSync } from "node:fs";
import { join } from "node:path";
import { expect } from "bun:test";
import { SANDBOX_PATH } from "../../scripts/sandbox.ts";
import type { E2ESandbox } from "./e2e.ts";
import { installAddonDaemons } from "./addon-daemons.ts";
import { installSnapshotterDaemons } from "../../scripts/go-fixtures.ts";
import { buildBusyboxImage } from "../e2e/oci-image.ts";

export interface SnapshotterHome {
  /** PATH: the snapshotter daemons, then the other add-on daemons (test/helpers/addon-daemons.ts), then the usual */
  path: string;
  /** the busybox OCI tarball in the user's home, and its reference */
  image: string;
  imageRef: string;
}

/** Copies both snapshotter daemons into ~/snapshotters; builds the test image. */
export async function installSnapshotters(e2e: E2ESandbox): Promise<SnapshotterHome> {
  const dir = await installSnapshotterDaemons(join(e2e.sb.home, "snapshotters"), e2e.sb.uid, e2e.sb.gid);
  const addons = await installAddonDaemons(e2e);
  const image = join(e2e.sb.home, "busybox-oci.tar");
  const imageRef = buildBusyboxImage(image);
  chownSync(image, e2e.sb.uid, e2e.sb.gid);
  return { path: `${dir}:${addons}:${SANDBOX_PATH}`, image, imageRef };
}

/** The snapshotter units and containerd as systemd sees them (for a failure's message). */
function unitsNow(e2e: E2ESandbox): string {
  const units = ["containerd.service", "containerd-fuse-overlayfs.service", "stargz-snapshotter.service"];
  return units.map((u) => e2e.sb.systemctl("show", "-p", "Id,ActiveState,SubState,MainPID,NRestarts,Result,ExecMainStatus,ActiveEnterTimestamp", u).stdout).join("\n");
}

/** `nsenter -- ctr -n default ARGS` as the user. */
export function ctr(e2e: E2ESandbox, path: string, args: string[], timeoutMs = 90_000) {
  return e2e.run(["nsenter", "--", "ctr", "-n", "default", ...args], { env: { PATH: path }, timeoutMs });
}

/** The mount table line of `/` inside a container (its root file system), from `/proc/self/mountinfo`. */
export const ROOT_MOUNT_SCRIPT = `/bin/busybox awk '$5 == "/"' /proc/self/mountinfo`;

/**
 * Imports the image into `snapshotter` (undefined: containerd's default, overlayfs), runs a
 * container from it that prints a greeting and the mount table line of its `/`, and returns that line.
 */
export function runFromImage(e2e: E2ESandbox, home: SnapshotterHome, snapshotter: string | undefined, id: string): string {
  const sn = snapshotter ? ["--snapshotter", snapshotter] : [];
  const imported = ctr(e2e, home.path, ["images", "import", ...sn, home.image]);
  // seen once in a full run: the snapshotter's socket refused right after it had answered; say what its units were doing
  expect(imported.stderr, imported.stderr && unitsNow(e2e)).toBe("");
  expect(imported.code).toBe(0);
  return runContainer(e2e, home.path, home.imageRef, snapshotter, id);
}

/** Runs a container from an image already in containerd (`ctr run --rm`); returns the mount table line of its `/`. */
export function runContainer(e2e: E2ESandbox, path: string, imageRef: string, snapshotter: string | undefined, id: string): string {
  const sn = snapshotter ? ["--snapshotter", snapshotter] : [];
  // this cgroup v1 host: runc cannot create the cpuset cgroup, and the default --cpu-shares needs one
  const r = ctr(e2e, path, ["run", "--rm", ...sn, "--cgroup", "", "--cpu-shares", "0", imageRef, id, "/bin/busybox", "sh", "-c", `echo hello from ${id}; ${ROOT_MOUNT_SCRIPT}`]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`hello from ${id}\n`);
  const root = r.stdout.split("\n").find((l) => l.split(" ")[4] === "/");
  expect(root).toBeDefined();
  return root!;
}

/** A mountinfo line's file system type and source (the fields after " - "). */
export function mountType(line: string): { type: string; source: string } {
  const [type = "", source = ""] = line.split(" - ")[1]?.split(" ") ?? [];
  return { type, source };
}
