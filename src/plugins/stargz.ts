// Stargz snapshotter: lazy pulling of eStargz images.
import { join } from "node:path";
import { registerPlugin } from "./registry.ts";
import { snapshotterPlugin } from "./kit/snapshotter.ts";
import { OWNED_MARKER } from "../core/systemd/units.ts";

const configFile = (configHome: string) => join(configHome, "containerd-stargz-grpc/config.toml");
const socket = (runtimeDir: string) => join(runtimeDir, "containerd-stargz-grpc/containerd-stargz-grpc.sock");

registerPlugin(
  snapshotterPlugin({
    id: "stargz",
    title: "Stargz snapshotter",
    summary: "Lazy pulling: containers start before their eStargz image is fully downloaded",
    unit: "stargz-snapshotter.service",
    description: "stargz snapshotter (Rootless)",
    requires: [{ binary: "containerd-stargz-grpc", project: "containerd/stargz-snapshotter", url: "https://github.com/containerd/stargz-snapshotter/releases" }],
    socket: (ctx) => socket(ctx.paths.runtimeDir),
    args: (ctx) => ["-address", socket(ctx.paths.runtimeDir), "-root", join(ctx.paths.dataHome, "containerd-stargz-grpc"), "-config", configFile(ctx.paths.configHome)],
    extraFiles: (ctx) => [
      { path: configFile(ctx.paths.configHome), content: `${OWNED_MARKER}: containerd-stargz-grpc needs this file to exist; the defaults need no settings.\n` },
    ],
  }),
);
