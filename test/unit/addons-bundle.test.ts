// `plugins --components` and the choose screen with the bundle chosen: an add-on whose programs
// are missing here but come with the nerdctl-full release `install --components` would fetch
// (components/contents.ts, from nerdctl's Dockerfile at the release's tag) is available through it; one
// that is available here stays as it is; without the bundle nothing changes.
import { test, expect, afterEach } from "bun:test";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { machine } from "./checks-fixture.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { listAddons } from "../../src/core/lifecycle/addons.ts";
import { bundleBrings, bundledVersion } from "../../src/core/components/contents.ts";
import { DEFAULT_VERSION } from "../../src/core/components/release.ts";
import "../../src/plugins/index.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

test("nerdctl-full 2.2.2 brings RootlessKit 2.3.6, BuildKit 0.28.1, bypass4netns 0.4.2, the snapshotters; 2.3.5 RootlessKit 3.0.2 and no slirp4netns; an unknown release brings nothing", () => {
  expect(bundledVersion("2.3.5", "rootlesskit")).toBe("3.0.2");
  expect(bundledVersion("2.3.5", "slirp4netns")).toBeUndefined();
  expect(bundledVersion("2.2.2", "rootlesskit")).toBe("2.3.6");
  expect(bundleBrings("2.2.2", [{ binary: "rootlesskit", minVersion: "2.0.0" }])).toBe(true);
  expect(bundleBrings("2.2.2", [{ binary: "rootlesskit", minVersion: "3.0.0" }])).toBe(false);
  expect(bundleBrings("2.2.2", [{ binary: "bypass4netnsd" }, { binary: "bypass4netns" }])).toBe(true);
  expect(bundleBrings("2.2.2", [{ binary: "containerd-fuse-overlayfs-grpc" }, { binary: "fuse-overlayfs" }])).toBe(true);
  expect(bundleBrings("2.2.2", [{ binary: "vpnkit" }])).toBe(false);
  expect(bundleBrings("9.9.9", [{ binary: "buildkitd" }])).toBe(false);
});

test("on a Debian 12 machine without the add-on daemons: each unavailable add-on says it comes with the default nerdctl-full, and counts as available as if it were fetched", async () => {
  host = await machine({ files: { "/dev/fuse": "" }, commands: { "containerd-fuse-overlayfs-grpc": () => ok(), "fuse-overlayfs": () => ok() } });
  const paths = resolvePaths(host.env, host.uid);
  const plain = Object.fromEntries((await listAddons(host, paths)).map((a) => [a.id, a]));
  expect(plain["bypass4netns"]).toMatchObject({ available: false });
  expect(plain["detach-netns"]!.reason).toContain("needs RootlessKit >= 2.0; found 1.1.0");
  expect(plain["bypass4netns"]!.via).toBe(`nerdctl-full v${DEFAULT_VERSION}`);
  const withBundle = Object.fromEntries((await listAddons(host, paths, false, { components: true })).map((a) => [a.id, a]));
  for (const id of ["bypass4netns", "detach-netns", "stargz", "buildkit"]) expect(withBundle[id]).toMatchObject({ available: true, via: `nerdctl-full v${DEFAULT_VERSION}` });
  expect(withBundle["fuse-overlayfs"]).toMatchObject({ available: true });
  expect(withBundle["fuse-overlayfs"]!.via).toBeUndefined(); // available here already
});

test("fuse-overlayfs without /dev/fuse: unavailable (its daemon cannot start), and no bundle makes it available", async () => {
  host = await machine({ commands: { "containerd-fuse-overlayfs-grpc": () => ok(), "fuse-overlayfs": () => ok() } });
  const paths = resolvePaths(host.env, host.uid);
  for (const components of [false, true]) {
    const fuse = (await listAddons(host, paths, false, { components })).find((a) => a.id === "fuse-overlayfs")!;
    expect(fuse).toMatchObject({ available: false });
    expect(fuse.reason).toContain("needs /dev/fuse");
    expect(fuse.via).toBeUndefined();
  }
});
