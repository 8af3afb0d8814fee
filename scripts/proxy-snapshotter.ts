// The real gRPC proxy snapshotter (test/fixtures/proxy-snapshotter/main.go: containerd's overlay
// snapshotter behind the proxy-plugin API), built offline from Debian's containerd Go sources by
// scripts/go-fixtures.ts and cached there by source hash. Used by the e2e tests
// (test/helpers/proxy-snapshotter.ts re-exports it) and by `npm run bench`.
import { join } from "node:path";
import { buildGoFixture, type GoFixture } from "./go-fixtures.ts";

export const PROXY_SNAPSHOTTER_SOURCE = join(import.meta.dir, "../test/fixtures/proxy-snapshotter/main.go");

const PROXY_SNAPSHOTTER: GoFixture = {
  program: "proxy-snapshotter",
  source: PROXY_SNAPSHOTTER_SOURCE,
  packages: ["golang-github-containerd-containerd-dev"],
  needs: "github.com/containerd/containerd/contrib/snapshotservice",
};

/** The path of the built binary (built now when the cache has none for this source). */
export const buildProxySnapshotter = (): Promise<string> => buildGoFixture(PROXY_SNAPSHOTTER);

/** Names the real snapshotter daemons go by; the binary takes each one's command line. */
export const SNAPSHOTTER_DAEMONS = ["containerd-stargz-grpc", "containerd-fuse-overlayfs-grpc"] as const;
