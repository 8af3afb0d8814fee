// Putting the real proxy snapshotter (test/helpers/proxy-snapshotter.ts) in a sandbox user's
// home under the names of both snapshotter daemons, and the checks the snapshotter e2e tests
// share: listing a snapshotter's snapshots through containerd, importing the busybox image into
// it, and running a container from it.
import { copyFileSync, chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "bun:test";
import { SANDBOX_PATH } from "../../scripts/sandbox.ts";
import type { E2ESandbox } from "./e2e.ts";
import { installAddonDaemons } from "./addon-daemons.ts";
import { buildProxySnapshotter, SNAPSHOTTER_DAEMONS } from "./proxy-snapshotter.ts";
import { buildBusyboxImage } from "../e2e/oci-image.ts";

export interface SnapshotterHome {
  /** PATH: the snapshotter daemons, then the other add-on daemons (test/helpers/addon-daemons.ts), then the usual */
  path: string;
  /** the busybox OCI tarball in the user's home, and its reference */
  image: string;
  imageRef: string;
}

/** Copies the built snapshotter into ~/snapshotters under both daemon names; builds the test image. */
export async function installSnapshotters(e2e: E2ESandbox): Promise<SnapshotterHome> {
  const binary = await buildProxySnapshotter();
  const dir = join(e2e.sb.home, "snapshotters");
  mkdirSync(dir, { recursive: true });
  for (const name of SNAPSHOTTER_DAEMONS) copyFileSync(binary, join(dir, name));
  expect(Bun.spawnSync(["chmod", "755", ...SNAPSHOTTER_DAEMONS.map((n) => join(dir, n))]).exitCode).toBe(0);
  const addons = await installAddonDaemons(e2e);
  expect(Bun.spawnSync(["chown", "-R", `${e2e.sb.user}:`, dir]).exitCode).toBe(0);
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
  // this cgroup v1 host: runc cannot create the cpuset cgroup, and the default --cpu-shares needs one
  const r = ctr(e2e, home.path, ["run", "--rm", ...sn, "--cgroup", "", "--cpu-shares", "0", home.imageRef, id, "/bin/busybox", "sh", "-c", `echo hello from ${id}; /bin/busybox awk '$5 == "/"' /proc/self/mountinfo`]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`hello from ${id}\n`);
  const root = r.stdout.split("\n").find((l) => / \/ .* - overlay /.test(l));
  expect(root).toBeDefined();
  return root!;
}
