// components status: which program the units would run (the bundle first), its version and
// its origin (bundle, distribution package through dpkg -S on the real path, or PATH).
import { expect, test } from "bun:test";
import { makeTestHost, ok, failed } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { inventory } from "../../src/core/components/inventory.ts";
import { activate, versionDir } from "../../src/core/components/store.ts";

const exe = (content = "#!/bin/sh\n") => ({ content, mode: 0o755 });

test("the bundle's programs win, the rest come from packages or PATH, and the missing ones are named", async () => {
  const bundle = "/home/alice/.local/share/containerd-rootless-systemd/components/2.2.2";
  const host = await makeTestHost({
    env: { HOME: "/home/alice", PATH: "/usr/local/bin:/usr/bin:/bin" },
    files: {
      [`${bundle}/bin/containerd`]: exe(),
      [`${bundle}/libexec/cni/bridge`]: exe(),
      "/usr/bin/containerd": exe(),
      "/usr/bin/ctr": exe(),
      "/usr/local/bin/nerdctl": exe(),
    },
    commands: {
      [`${bundle}/bin/containerd`]: () => ok("containerd github.com/containerd/containerd/v2 v2.2.1 abc\n"),
      [`${bundle}/libexec/cni/bridge`]: () => failed("CNI bridge plugin v1.9.1\nCNI protocol versions supported: 1.0.0\n"),
      "/usr/bin/ctr": () => ok("ctr github.com/containerd/containerd 1.6.20~ds1\n"),
      "/usr/local/bin/nerdctl": () => ok("nerdctl version 2.2.2\n"),
      dpkg: (argv) => ok(argv.includes("/usr/bin/ctr") ? "containerd: /usr/bin/ctr\n" : "", "dpkg-query: no path found matching pattern /usr/local/bin/nerdctl\n"),
    },
  });
  try {
    const paths = resolvePaths(host.env, host.uid);
    await activate(host, paths, "2.2.2");
    await host.writeFileAtomic(`${versionDir(paths, "2.2.2")}/.containerd-rootless-systemd.json`, "{}");
    const list = Object.fromEntries((await inventory(host, paths)).map((p) => [p.name, p]));
    expect(list.containerd).toMatchObject({ origin: "bundle", version: "2.2.1", path: `${bundle}/bin/containerd` });
    expect(list.ctr).toMatchObject({ origin: "distribution", package: "containerd", version: "1.6.20~ds1", path: "/usr/bin/ctr" });
    expect(list.nerdctl).toMatchObject({ origin: "path", version: "2.2.2" });
    expect(list.buildkitd).toMatchObject({ origin: "missing", path: null });
    expect(list["CNI plugins (bridge)"]).toMatchObject({ origin: "bundle", version: "1.9.1" });
  } finally {
    await host.cleanup();
  }
});
