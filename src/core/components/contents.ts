// What a nerdctl-full release carries in bin/, by program, with the upstream version of each:
// read from nerdctl's Dockerfile at the release's tag (containerd/nerdctl v2.2.2 and v2.3.5,
// Dockerfile: the `ARG *_VERSION` lines, and the build-dependencies stage that puts into bin/
// containerd (with its shims and ctr), runc, BuildKit (buildkitd, buildctl, and buildkit-cni-*
// links to the CNI plugins in libexec/cni), the stargz snapshotter (containerd-stargz-grpc,
// ctr-remote), slirp4netns (v2.2.2 only: v2.3 ships RootlessKit 3, whose gvisor-tap-vsock is
// built in), bypass4netns and bypass4netnsd, fuse-overlayfs, containerd-fuse-overlayfs-grpc and
// RootlessKit (rootlesskit, rootlessctl)). Only releases listed here are known; for others
// nothing is claimed.
import { atLeast } from "../os/version.ts";

const V2_2_2: Record<string, string> = {
  containerd: "2.2.1",
  "containerd-shim-runc-v2": "2.2.1",
  ctr: "2.2.1",
  runc: "1.4.0",
  nerdctl: "2.2.2",
  buildkitd: "0.28.1",
  buildctl: "0.28.1",
  "containerd-stargz-grpc": "0.18.1",
  "ctr-remote": "0.18.1",
  slirp4netns: "1.3.3",
  bypass4netns: "0.4.2",
  bypass4netnsd: "0.4.2",
  "fuse-overlayfs": "1.16.0",
  "containerd-fuse-overlayfs-grpc": "2.1.7",
  rootlesskit: "2.3.6",
  rootlessctl: "2.3.6",
};

const V2_3_5: Record<string, string> = {
  containerd: "2.3.3",
  "containerd-shim-runc-v2": "2.3.3",
  ctr: "2.3.3",
  runc: "1.5.1",
  nerdctl: "2.3.5",
  buildkitd: "0.31.2",
  buildctl: "0.31.2",
  "containerd-stargz-grpc": "0.18.2",
  "ctr-remote": "0.18.2",
  bypass4netns: "0.4.2",
  bypass4netnsd: "0.4.2",
  "fuse-overlayfs": "1.17.0",
  "containerd-fuse-overlayfs-grpc": "2.1.7",
  rootlesskit: "3.0.2",
  rootlessctl: "3.0.2",
};

export const BUNDLE_CONTENTS: Record<string, Readonly<Record<string, string>>> = { "2.2.2": V2_2_2, "2.3.5": V2_3_5 };

/** The version of `program` that nerdctl-full `release` carries, or undefined (not in it, or the release's contents unknown). */
export function bundledVersion(release: string, program: string): string | undefined {
  return BUNDLE_CONTENTS[release]?.[program];
}

/** Whether nerdctl-full `release` brings every one of `needs` (each at least its minVersion, when given). */
export function bundleBrings(release: string, needs: readonly { binary: string; minVersion?: string }[]): boolean {
  return needs.length > 0 && needs.every((n) => {
    const v = bundledVersion(release, n.binary);
    return v !== undefined && (!n.minVersion || atLeast(v, n.minVersion));
  });
}
