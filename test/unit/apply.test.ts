// apply's decisions from the machine's state to the desired file, on a TestHost with a
// scripted `systemctl --user`: what each part needs, refusals before anything is written,
// phase B's single restart, a converged machine with nothing to do, and status --export
// writing a file that parses back to the same state.
import { afterEach, describe, expect, test } from "bun:test";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { resolvePaths, type Paths } from "../../src/core/os/paths.ts";
import { parseDesiredState, DesiredStateError } from "../../src/core/desired-state/parse.ts";
import { decideApply, phaseBSteps } from "../../src/core/desired-state/plan.ts";
import { runApply } from "../../src/core/desired-state/apply.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { previewPlan } from "../../src/core/plan/render.ts";
import { currentDesiredState, renderDesiredState } from "../../src/core/desired-state/export.ts";
import { Reporter } from "../../src/core/plan/reporter.ts";
import { DEBIAN_12_ROOTLESSKIT as FACTS } from "../helpers/rootlesskit-facts.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import "../../src/plugins/index.ts"; // the add-ons register themselves (the engine does not load them)

const HOME = "/home/alice";
const UNIT = `${HOME}/.config/systemd/user/containerd.service`;
const OVERRIDE = `${HOME}/.config/systemd/user/containerd.service.d/override.conf`;
const NERDCTL = `${HOME}/.config/nerdctl/nerdctl.toml`;
const MTU_1500 = `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n`;

let host: TestHost;
let paths: Paths;
afterEach(() => host?.cleanup());

/** A machine: containerd running or not; the unit file as install writes it when `installed`. */
async function machine(opts: { installed: boolean; files?: Record<string, string>; commands?: Record<string, () => ReturnType<typeof ok>> }) {
  host = await makeTestHost({
    execPath: `${HOME}/.local/bin/containerd-rootless-systemd`, // the installed copy: nothing to copy
    files: { "/etc/passwd": "alice:x:1000:1000::/home/alice:/bin/sh\n", ...opts.files },
    dirs: ["/run/user/1000"],
    commands: {
      systemctl: (argv) => {
        if (argv[2] !== "show") return ok();
        const names = argv.slice(argv.indexOf("--") + 1);
        return ok(names.map((n) => (n === "containerd.service" && opts.installed ? `Id=${n}\nLoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nUnitFileState=enabled\n` : `Id=${n}\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n`)).join("\n"));
      },
      ...opts.commands,
    },
  });
  paths = resolvePaths(host.env, host.uid);
  if (opts.installed) await host.writeFileAtomic(UNIT, (await planInstall(host, paths)).unitText);
  return host;
}

const parse = (text: string, file = "setup.yaml") => parseDesiredState(text, file);
const kinds = (steps: Step[]) => steps.map((s) => (s.kind === "systemctl" ? `systemctl ${s.args.join(" ")}` : s.kind === "wait" ? `wait ${s.what}` : `${s.kind} ${"path" in s ? s.path : ""}`));

describe("deciding from the machine's state", () => {
  test("a fresh machine: install containerd, write the settings, install the add-on, set the snapshotter", async () => {
    await machine({ installed: false, commands: { buildkitd: () => ok("buildkitd github.com/moby/buildkit v0.13.2") } });
    const d = await decideApply(host, paths, parse("containerd: {installed: true}\nsettings: {mtu: 1500}\naddons: [buildkit]\nsnapshotter: native\n"), FACTS);
    expect(d.containerd).toEqual({ action: "install", installed: false, active: false });
    expect(d.settings!.changed).toBe(true);
    expect(d.settings!.after).toBe(MTU_1500);
    expect(d.addons.install.map((a) => a.id)).toEqual(["buildkit"]);
    expect(d.snapshotter).toMatchObject({ from: "overlayfs", to: "native", before: null });
    expect(d.snapshotter!.after).toContain('snapshotter = "native"');
    expect(await host.exists(OVERRIDE)).toBe(false);
    expect(await host.exists(NERDCTL)).toBe(false);
  });

  test("a converged machine: every part as desired, and phase B changes nothing", async () => {
    await machine({ installed: true, files: { [OVERRIDE]: MTU_1500 } });
    const d = await decideApply(host, paths, parse("containerd: {installed: true}\nsettings: {mtu: 1500}\naddons: []\nsnapshotter: overlayfs\n"), FACTS);
    expect(d.containerd.action).toBe("none");
    expect(d.settings!.changed).toBe(false);
    expect(d.addons).toEqual({ install: [], remove: [], keep: [] });
    expect(d.snapshotter).toMatchObject({ from: "overlayfs", to: "overlayfs" });
    const b = await phaseBSteps(host, paths, d, false, false);
    expect((await previewPlan(host, b.steps)).filter((p) => p.willChange)).toEqual([]);
  });

  test("settings of a running containerd: the drop-in, one restart, then the check of RootlessKit's flags", async () => {
    await machine({ installed: true, files: { [OVERRIDE]: MTU_1500 } });
    const d = await decideApply(host, paths, parse("settings: {mtu: 1400, port-driver: slirp4netns}\n"), FACTS);
    expect(d.containerd.action).toBe("none"); // not managed by this file
    const b = await phaseBSteps(host, paths, d, false, false);
    expect(kinds(b.steps)).toEqual([`write ${OVERRIDE}`, "systemctl daemon-reload", "systemctl restart containerd.service", "wait the containerd API", "wait RootlessKit with the new settings", "wait RootlessKit's network"]);
    expect((b.steps[0] as { content: string }).content).toBe(`[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER="slirp4netns"\n`);
  });

  test("an empty settings table returns every setting to its default: the drop-in goes", async () => {
    await machine({ installed: true, files: { [OVERRIDE]: MTU_1500 } });
    const d = await decideApply(host, paths, parse('{"settings": {}}', "s.json"), FACTS);
    expect(d.settings!.after).toBeNull();
    expect(kinds(await phaseBSteps(host, paths, d, false, false).then((b) => b.steps)).slice(0, 3)).toEqual([`remove ${OVERRIDE}`, "systemctl daemon-reload", "systemctl restart containerd.service"]);
  });

  test("settings already written before a fresh start (phase A) restart nothing", async () => {
    await machine({ installed: true });
    const d = await decideApply(host, paths, parse("settings: {mtu: 1400}\n"), FACTS);
    const b = await phaseBSteps(host, paths, d, true, true);
    expect(kinds(b.steps).filter((k) => k.includes("restart"))).toEqual([]);
  });

  test("containerd.installed = false on an installed machine: uninstall", async () => {
    await machine({ installed: true });
    const d = await decideApply(host, paths, parse("[containerd]\ninstalled = false\n", "off.toml"), FACTS);
    expect(d.containerd.action).toBe("uninstall");
  });
});

describe("refused before anything is written", () => {
  async function refused(text: string, file: string): Promise<DesiredStateError> {
    const before = [await host.readText(OVERRIDE), await host.readText(NERDCTL), await host.readText(UNIT)];
    const reporter = new Reporter(host, { json: true });
    const e = await runApply({ host, paths, reporter }, parse(text, file), { facts: FACTS }).then(() => null, (x) => x);
    expect(e).toBeInstanceOf(DesiredStateError);
    expect([await host.readText(OVERRIDE), await host.readText(NERDCTL), await host.readText(UNIT)]).toEqual(before);
    expect(host.calls.filter((c) => c[0] === "systemctl" && !c[2]!.startsWith("show"))).toEqual([]);
    return e as DesiredStateError;
  }

  test("a setting the installed RootlessKit cannot honour names its key and line", async () => {
    await machine({ installed: true, files: { [OVERRIDE]: MTU_1500 } });
    const e = await refused("containerd:\n  installed: true\nsettings:\n  mtu: 1400\n  detach-netns: true\n", "d.yaml");
    expect(e.message).toContain("d.yaml:5:3: settings.detach-netns: --detach-netns=true needs RootlessKit >= 2.0");
  });

  test("a network driver that is not installed", async () => {
    await machine({ installed: true });
    const e = await refused('[settings]\nnet = "vpnkit"\n', "n.toml");
    expect(e.message).toContain("n.toml:2:1: settings.net:");
    expect(e.message).toContain("`vpnkit` is not installed");
  });

  test("an add-on whose program is missing names the add-on's line", async () => {
    await machine({ installed: true });
    const e = await refused('{\n  "addons": [\n    "stargz"\n  ],\n  "snapshotter": "stargz"\n}', "a.json");
    expect(e.message).toContain("a.json:3:5: addons: stargz: cannot be installed here: containerd-stargz-grpc is not installed");
  });

  test("an add-on snapshotter that is neither listed nor installed", async () => {
    await machine({ installed: true });
    const e = await refused("snapshotter: fuse-overlayfs\n", "s.yaml");
    expect(e.message).toContain('s.yaml:1:1: snapshotter: "fuse-overlayfs" needs the fuse-overlayfs add-on, which is not installed');
  });
});

describe("status --export", () => {
  test("writes the current setup; each format parses back to the same desired state", async () => {
    await machine({
      installed: true,
      files: {
        [OVERRIDE]: `[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500" CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS="0"\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_FLAGS="--cidr=10.0.9.0/24"\n`,
        [NERDCTL]: 'snapshotter = "native"\n',
      },
    });
    const doc = await currentDesiredState(host, paths);
    expect(doc).toEqual({ containerd: { installed: true }, settings: { mtu: 1500, "detach-netns": "0", flags: "--cidr=10.0.9.0/24" }, addons: [], snapshotter: "native" });
    for (const format of ["toml", "yaml", "json"] as const) {
      const text = renderDesiredState(doc, format);
      const back = parseDesiredState(text, `export.${format}`).state;
      expect(back).toEqual({ containerd: { installed: true }, settings: { mtu: "1500", detachNetns: "0", flags: "--cidr=10.0.9.0/24" }, addons: [], snapshotter: "native" });
      // applying it here would change nothing
      const d = await decideApply(host, paths, parseDesiredState(text, `export.${format}`), FACTS);
      expect([d.containerd.action, d.settings!.changed, d.addons.install.length, d.snapshotter!.from === d.snapshotter!.to]).toEqual(["none", false, 0, true]);
    }
  });

  test("add-ons with options are written as tables (TOML needs one kind per array)", () => {
    const text = renderDesiredState({ containerd: { installed: true }, settings: {}, addons: ["stargz", { name: "buildkit", worker: "containerd", namespace: "default" }], snapshotter: "stargz" }, "toml");
    expect(parseDesiredState(text, "x.toml").state.addons!.map((a) => [a.id, a.options])).toEqual([["stargz", {}], ["buildkit", { worker: "containerd", namespace: "default" }]]);
  });
});
