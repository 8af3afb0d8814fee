// fuse-overlayfs snapshotter: for kernels where rootless overlayfs does not work.
import { join } from "node:path";
import { registerPlugin } from "./registry.ts";
import { NATIVE_FALLBACK, snapshotterPlugin } from "./kit/snapshotter.ts";
import { kernelFacts, overlayExpected } from "../core/checks/overlayfs.ts";
import type { PluginContext } from "./registry.ts";

/** Without the add-on: containerd's own overlayfs where the kernel has rootless overlayfs (the seed's rule), else native. */
async function withoutIt(ctx: PluginContext): Promise<string> {
  const k = await kernelFacts((p) => ctx.host.readText(p).catch(() => null), (p) => ctx.host.exists(p).catch(() => false));
  if (!overlayExpected(k)) return NATIVE_FALLBACK;
  return `You may not need it: rootless overlayfs works on this kernel (${k.release}), and containerd's built-in overlayfs snapshotter, its default, needs no add-on (\`containerd-rootless-systemd check\` tries a real overlay mount and says which snapshotter to use).`;
}

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
    withoutIt,
    // upstream's daemon mounts a test FUSE overlay before it listens (fuseoverlayfs.Supported, cmd/containerd-fuse-overlayfs-grpc): without /dev/fuse it exits
    startsWhen: async (ctx) =>
      (await ctx.host.canAccess("/dev/fuse", "w"))
        ? undefined
        : { reason: "the fuse-overlayfs snapshotter needs /dev/fuse, which is missing or not writable for you (its daemon mounts a FUSE overlay before it starts)", fix: "As root: `modprobe fuse && chmod 666 /dev/fuse` (in a container, pass /dev/fuse into it)." },
  }),
);
