// nerdctl's default snapshotter with both snapshotter add-ons: one rule (becomesDefault) for the
// add-on engine and apply. Installed together, the last one is the default and only it says so;
// apply converges (an add-on already here never takes the default back, the `snapshotter` key
// decides when given); nerdctl.toml behind a symbolic link is edited through the link.
import { afterEach, describe, expect, test } from "bun:test";
import { symlink } from "node:fs/promises";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { containerdApiHandler, fakeContainerdApi } from "../helpers/grpc-server.ts";
import { resolvePaths, type Paths } from "../../src/core/os/paths.ts";
import { planAddons } from "../../src/core/lifecycle/addons.ts";
import "../../src/plugins/index.ts";
import { decideApply, phaseBSteps } from "../../src/core/desired-state/plan.ts";
import { parseDesiredState } from "../../src/core/desired-state/parse.ts";
import { currentSnapshotter } from "../../src/core/containerd/nerdctl-config.ts";
import { previewPlan } from "../../src/core/plan/render.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { choicesDesiredState } from "../../src/core/desired-state/choices.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import type { RootlessKitFacts } from "../../src/core/rootlesskit/facts.ts";

const HOME = "/home/alice";
const NERDCTL = `${HOME}/.config/nerdctl/nerdctl.toml`;
const FACTS: RootlessKitFacts = {
  rootlesskit: "/usr/bin/rootlesskit", version: "1.1.0", netDrivers: ["host", "slirp4netns"], portDrivers: ["none", "builtin", "slirp4netns"],
  detachNetns: false, slirp4netnsUsable: true, driverInstalled: { slirp4netns: true, vpnkit: false, "lxc-user-nic": false, pasta: false, "gvisor-tap-vsock": false },
};

let host: TestHost;
let paths: Paths;
afterEach(() => host?.cleanup());

async function setup(files: Record<string, string> = {}) {
  host = await makeTestHost({
    execPath: `${HOME}/.local/bin/containerd-rootless-systemd`,
    files: { "/etc/passwd": "alice:x:1000:1000::/home/alice:/bin/sh\n", "/dev/fuse": "", ...files },
    dirs: ["/run/user/1000"],
    commands: {
      systemctl: (argv) => {
        if (argv[2] !== "show") return ok();
        const names = argv.slice(argv.indexOf("--") + 1);
        return ok(names.map((n) => `Id=${n}\nLoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nUnitFileState=enabled\n`).join("\n"));
      },
      "/usr/local/bin/containerd-fuse-overlayfs-grpc": () => ok(),
      "fuse-overlayfs": () => ok("fuse-overlayfs: version 1.10"),
      "/usr/local/bin/containerd-stargz-grpc": () => ok(),
    },
  });
  // containerd runs; a call through it reaches a snapshotter once that daemon's socket exists
  const daemonSocket = (name: string) => (name === "stargz" ? "/run/user/1000/containerd-stargz-grpc/containerd-stargz-grpc.sock" : "/run/user/1000/containerd-fuse-overlayfs.sock");
  await fakeContainerdApi(host, "/run/user/1000/containerd/containerd.sock", containerdApiHandler({ snapshotterUp: (name) => host.exists(daemonSocket(name)) })).start();
  paths = resolvePaths(host.env, host.uid);
  await host.writeFileAtomic(`${HOME}/.config/systemd/user/containerd.service`, (await planInstall(host, paths)).unitText);
}

async function applyFiles(steps: Step[]) {
  for (const s of steps) {
    if (s.kind === "write") await host.writeFileAtomic(s.path, s.content, s.mode);
    else if (s.kind === "remove") await host.remove(s.path);
  }
}
const sockets = async () => {
  await host.writeFileAtomic("/run/user/1000/containerd-fuse-overlayfs.sock", "");
  await host.writeFileAtomic("/run/user/1000/containerd-stargz-grpc/containerd-stargz-grpc.sock", "");
};
const defaultNow = async () => currentSnapshotter(await host.readText(NERDCTL)).value;
const both = "containerd: {installed: true}\naddons: [fuse-overlayfs, stargz]\n";

describe("nerdctl's default with both snapshotter add-ons", () => {
  test("installed together: the last is the default, and only it says so", async () => {
    await setup();
    const plan = await planAddons(host, paths, ["stargz", "fuse-overlayfs"], "install");
    await applyFiles(plan.steps);
    expect(await defaultNow()).toBe("stargz");
    const claims = plan.notes.filter((n) => n.includes("by default"));
    expect(claims).toEqual([expect.stringContaining("nerdctl now uses the stargz snapshotter by default")]);
    expect(plan.notes.some((n) => n.includes("nerdctl --snapshotter=fuse-overlayfs"))).toBe(true);
    // exactly one write of nerdctl.toml: no intermediate default
    expect(plan.steps.filter((s) => s.kind === "write" && s.path === NERDCTL).length).toBe(1);
  });

  test("apply without a snapshotter key: the first run sets one default, the second changes nothing", async () => {
    await setup();
    const d = await decideApply(host, paths, parseDesiredState(both, "both.yaml"), FACTS);
    expect(d.snapshotterDefault).toBe("stargz");
    await applyFiles((await phaseBSteps(host, paths, d, false, false)).steps);
    await sockets();
    expect(await defaultNow()).toBe("stargz");

    const again = await decideApply(host, paths, parseDesiredState(both, "both.yaml"), FACTS);
    expect(again.addons).toEqual({ install: [], remove: [], keep: ["fuse-overlayfs", "stargz"] });
    const b = await phaseBSteps(host, paths, again, false, false);
    expect((await previewPlan(host, b.steps)).filter((p) => p.willChange)).toEqual([]);
  });

  test("the UI's re-plan of an MTU change keeps the add-ons and nerdctl's default as they are", async () => {
    await setup();
    await applyFiles((await planAddons(host, paths, ["fuse-overlayfs", "stargz"], "install")).steps);
    await sockets();
    const d = await decideApply(host, paths, await choicesDesiredState(host, paths, { settings: { mtu: "1400" }, addons: ["fuse-overlayfs", "stargz"], addonOptions: {} }), FACTS);
    expect(d.addons.install).toEqual([]);
    const b = await phaseBSteps(host, paths, d, false, false);
    expect(b.steps.some((s) => s.kind === "write" && s.path === NERDCTL)).toBe(false);
    expect(b.notes.join("\n")).not.toContain("by default");
  });

  test("the snapshotter key decides: the add-ons leave nerdctl.toml to it; the second run changes nothing", async () => {
    await setup();
    const file = `${both}snapshotter: fuse-overlayfs\n`;
    const d = await decideApply(host, paths, parseDesiredState(file, "f.yaml"), FACTS);
    const b = await phaseBSteps(host, paths, d, false, false);
    expect(b.steps.filter((s) => s.kind === "write" && s.path === NERDCTL).length).toBe(1);
    expect(b.notes.join("\n")).not.toContain("by default");
    await applyFiles(b.steps);
    await sockets();
    expect(await defaultNow()).toBe("fuse-overlayfs");
    const again = await decideApply(host, paths, parseDesiredState(file, "f.yaml"), FACTS);
    expect(again.addons.install).toEqual([]);
    expect((await previewPlan(host, (await phaseBSteps(host, paths, again, false, false)).steps)).filter((p) => p.willChange)).toEqual([]);
  });
});

test("apply with a symlinked nerdctl.toml edits the link's target and keeps the link", async () => {
  await setup({ [`${HOME}/dotfiles/nerdctl.toml`]: "# mine\nnamespace = \"default\"\n" });
  await host.mkdirp(`${HOME}/.config/nerdctl`, 0o755);
  await symlink(host.path(`${HOME}/dotfiles/nerdctl.toml`), host.path(NERDCTL));
  const d = await decideApply(host, paths, parseDesiredState("snapshotter: native\n", "s.yaml"), FACTS);
  const b = await phaseBSteps(host, paths, d, false, false);
  const write = b.steps.find((s) => s.kind === "write") as Extract<Step, { kind: "write" }>;
  expect(write.path).toBe(`${HOME}/dotfiles/nerdctl.toml`);
  expect(write.backupTo).toBeDefined();
  await applyFiles(b.steps);
  expect((await host.stat(NERDCTL))?.isSymlink).toBe(true);
  expect(await host.readText(`${HOME}/dotfiles/nerdctl.toml`)).toContain('snapshotter = "native"');
  expect(await host.readText(`${HOME}/dotfiles/nerdctl.toml`)).toStartWith("# mine\n");
});
