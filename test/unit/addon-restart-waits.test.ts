// Every plan that restarts containerd also waits for each running add-on the restart takes down
// and up with it (PartOf=): installing one snapshotter waits for the other one too, a removal
// drops the removed add-on's wait, and configure and install (a changed unit) wait for them as
// well. A stopped add-on stays stopped (systemd's try-restart), so nothing waits for it.
import { afterEach, describe, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { resolvePaths, type Paths } from "../../src/core/os/paths.ts";
import { planAddons } from "../../src/core/lifecycle/addons.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { restartedAddonWaits } from "../../src/core/containerd/addon-waits.ts";
import { OWNED_MARKER } from "../../src/core/systemd/units.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import "../../src/plugins/index.ts";

const HOME = "/home/alice";
const STARGZ = "stargz-snapshotter.service";
const FUSE = "containerd-fuse-overlayfs.service";
let host: TestHost;
let paths: Paths;
afterEach(() => host?.cleanup());

/** containerd runs, and the units in `running` with it; the others are inactive. */
async function setup(running: string[]) {
  host = await makeTestHost({
    execPath: `${HOME}/.local/bin/containerd-rootless-systemd`,
    files: { "/etc/passwd": "alice:x:1000:1000::/home/alice:/bin/sh\n", [`${HOME}/.config/systemd/user/${STARGZ}`]: `${OWNED_MARKER}\n[Service]\nExecStart=/x\n`, "/usr/lib/systemd/user/dbus.socket": "[Socket]\n", "/dev/fuse": "" },
    dirs: ["/run/user/1000"],
    commands: {
      systemctl: (argv) => {
        if (argv[2] !== "show") return ok();
        const names = argv.slice(argv.indexOf("--") + 1);
        const up = (n: string) => n === "containerd.service" || n === "dbus.socket" || running.includes(n);
        return ok(names.map((n) => `Id=${n}\nLoadState=loaded\nActiveState=${up(n) ? "active" : "inactive"}\nSubState=${up(n) ? "running" : "dead"}\nMainPID=${up(n) ? 4242 : 0}\nUnitFileState=enabled\n`).join("\n"));
      },
      "/usr/local/bin/containerd-fuse-overlayfs-grpc": () => ok(),
      "fuse-overlayfs": () => ok("fuse-overlayfs: version 1.10"),
      "/usr/local/bin/containerd-stargz-grpc": () => ok(),
    },
  });
  paths = resolvePaths(host.env, host.uid);
}

const waitsFor = (steps: Step[]) => steps.filter((s) => s.kind === "wait").map((s) => (s.kind === "wait" ? (s.unit ?? s.what) : ""));

describe("the add-ons a containerd restart restarts", () => {
  test("only running add-ons inside containerd's namespace get a wait, each for its own probe", async () => {
    await setup([STARGZ]);
    const waits = await restartedAddonWaits(host, paths);
    expect(waits.map((w) => [w.unit, w.what, w.afterContainerdRestart])).toEqual([[STARGZ, `${STARGZ} (the stargz snapshotter through containerd)`, true]]);
    await host.cleanup();
    await setup([]); // stopped: a restart leaves it stopped
    expect(await restartedAddonWaits(host, paths)).toEqual([]);
  });

  test("installing fuse-overlayfs while stargz runs: after the one restart, both must answer", async () => {
    await setup([STARGZ]);
    const plan = await planAddons(host, paths, ["fuse-overlayfs"], "install");
    const restartAt = plan.steps.findIndex((s) => s.kind === "systemctl" && s.args[0] === "restart");
    expect(waitsFor(plan.steps.slice(restartAt))).toEqual(["the containerd API", STARGZ, FUSE]);
  });

  test("removing stargz while fuse-overlayfs runs: the restart waits for fuse-overlayfs, not for the removed stargz", async () => {
    await setup([STARGZ, FUSE]);
    await host.writeFileAtomic(`${HOME}/.config/systemd/user/${FUSE}`, `${OWNED_MARKER}\n[Service]\nExecStart=/x\n`);
    await host.writeFileAtomic(`${HOME}/.config/containerd/conf.d/stargz.toml`, "");
    const plan = await planAddons(host, paths, ["stargz"], "uninstall");
    const restartAt = plan.steps.findIndex((s) => s.kind === "systemctl" && s.args[0] === "restart");
    expect(restartAt).toBeGreaterThan(0);
    expect(waitsFor(plan.steps.slice(restartAt))).toEqual(["the containerd API", FUSE]);
  });

  test("install restarting containerd for a changed unit waits for the running add-ons too", async () => {
    await setup([STARGZ]);
    await host.writeFileAtomic(`${HOME}/.config/systemd/user/containerd.service`, "# an older unit\n");
    const plan = await planInstall(host, paths);
    expect(plan.steps.some((s) => s.kind === "systemctl" && s.args[0] === "restart")).toBe(true);
    expect(waitsFor(plan.steps)).toEqual(["the containerd API", "RootlessKit's network", STARGZ]);
  });
});
