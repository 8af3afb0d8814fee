// fuse-overlayfs snapshotter: for kernels where rootless overlayfs does not work.
import { join } from "node:path";
import { registerPlugin } from "./registry.ts";
import { snapshotterPlugin } from "./kit/snapshotter.ts";

registerPlugin(
  snapshotterPlugin({
    id: "fuse-overlayfs",
    title: "fuse-overlayfs snapshotter",
    summary: "Overlay snapshots through FUSE, for kernels where rootless overlayfs does not work",
    unit: "containerd-fuse-overlayfs.service",
    description: "containerd-fuse-overlayfs (Rootless)",
    requires: [
      { binary: "containerd-fuse-overlayfs-grpc", project: "containerd/fuse-overlayfs-snapshotter", url: "https://github.com/containerd/fuse-overlayfs-snapshotter/releases" },
      { binary: "fuse-overlayfs", project: "containers/fuse-overlayfs", url: "https://github.com/containers/fuse-overlayfs/releases", debianPackage: "fuse-overlayfs" },
    ],
    socket: (ctx) => join(ctx.paths.runtimeDir, "containerd-fuse-overlayfs.sock"),
    args: (ctx) => [join(ctx.paths.runtimeDir, "containerd-fuse-overlayfs.sock"), join(ctx.paths.dataHome, "containerd-fuse-overlayfs")],
  }),
);
