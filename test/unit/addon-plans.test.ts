// Plans of every add-on on a TestHost: what they write, which units, flags, and refusals.
// File steps are applied here directly (systemctl and waits need the real systemd: e2e).
import { afterEach, describe, expect, test } from "bun:test";
import { parseTOML } from "confbox";
import { makeTestHost, ok, failed, type TestHost } from "../helpers/test-host.ts";
import { rootlesskitHandler, rootlesskitHelp } from "../helpers/rootlesskit-help.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { planAddons, composeSteps, resolveAddon, optionsFromFlags, listAddons } from "../../src/core/lifecycle/addons.ts";
import { runChecks } from "../../src/core/checks/index.ts";
import { removeEmptyDirs } from "../../src/core/plan/execute.ts";
import { plugins } from "../../src/plugins/index.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import { planUninstall } from "../../src/core/lifecycle/uninstall.ts";
import { OWNED_MARKER } from "../../src/core/systemd/units.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const HOME = "/home/alice";
const CONFIG = `${HOME}/.config/containerd/config.toml`;
const USER_CONFIG = '# my settings\r\nversion = 2\r\n\r\n[plugins."io.containerd.grpc.v1.cri"]\r\n  sandbox_image = "pause:3.9"\r\n';

const show = (active: Record<string, string>) => (argv: string[]) => {
  if (argv[2] !== "show") return ok();
  const names = argv.slice(argv.indexOf("--") + 1);
  return ok(names.map((n) => `Id=${n}\nLoadState=loaded\nActiveState=${active[n] ?? "inactive"}\nSubState=running\n`).join("\n"));
};

async function setup(extra: Record<string, any> = {}, files: Record<string, string | { content: string; mode?: number }> = {}) {
  host = await makeTestHost({
    // /dev/fuse, which the fuse-overlayfs snapshotter's daemon needs to start
    files: { "/etc/passwd": "alice:x:1000:1000::/home/alice:/bin/sh\n", "/dev/fuse": "", ...files },
    commands: {
      systemctl: show({ "containerd.service": "active" }),
      "/usr/local/bin/containerd-fuse-overlayfs-grpc": () => ok(),
      "fuse-overlayfs": () => ok("fuse-overlayfs: version 1.10"),
      "/usr/local/bin/containerd-stargz-grpc": () => ok(),
      ...extra,
    },
  });
  return resolvePaths(host.env, host.uid);
}

/** Applies the file steps of a plan; other kinds are recorded. */
async function applyFiles(steps: Step[], emptyDirs: string[] = []): Promise<string[]> {
  const other: string[] = [];
  for (const s of steps) {
    if (s.kind === "write") await host.writeFileAtomic(s.path, s.content, s.mode);
    else if (s.kind === "remove") await host.remove(s.path);
    else other.push(s.kind === "systemctl" ? `systemctl ${s.args.join(" ")}` : s.kind === "wait" ? `wait ${s.what}` : s.kind);
  }
  await removeEmptyDirs(host, emptyDirs);
  return other;
}

describe("the registry", () => {
  test("every add-on registers itself and the seed verbs resolve", () => {
    expect(plugins().map((p) => p.id)).toEqual(["detach-netns", "bypass4netns", "fuse-overlayfs", "stargz", "buildkit"]);
    expect(resolveAddon("bypass4netnsd").id).toBe("bypass4netns");
    expect(() => resolveAddon("nope")).toThrow(/unknown add-on "nope"/);
  });
});

describe("snapshotters", () => {
  for (const order of [["fuse-overlayfs", "stargz"], ["stargz", "fuse-overlayfs"]]) {
    for (const removal of [order, [...order].reverse(), "together"] as const) {
      test(`install ${order.join(" then ")}, remove ${removal === "together" ? "both at once" : removal.join(" then ")}: config.toml bytes restored`, async () => {
        const paths = await setup({}, { [CONFIG]: USER_CONFIG });
        for (const id of order) await applyFiles((await planAddons(host, paths, [id], "install")).steps);
        const merged = await host.readText(CONFIG);
        expect(merged).toContain(`imports = ["${HOME}/.config/containerd/conf.d/*.toml"]`);
        expect(merged!.startsWith("# my settings\r\nversion = 2\r\nimports")).toBe(true);
        for (const id of order) expect(parseTOML((await host.readText(`${HOME}/.config/containerd/conf.d/${id}.toml`))!)).toHaveProperty(["proxy_plugins", id, "type"], "snapshot");
        expect((parseTOML((await host.readText(paths.nerdctlConfig))!) as any).snapshotter).toBe(order[1]);
        const uninstall = async (ids: string[]) => {
          const plan = await planAddons(host, paths, ids, "uninstall");
          await applyFiles(plan.steps, plan.emptyDirs);
        };
        if (removal === "together") await uninstall([...order]);
        else for (const id of removal) await uninstall([id]);
        expect(await host.readText(CONFIG)).toBe(USER_CONFIG);
        expect(await host.exists(paths.containerdConfD)).toBe(false);
        expect(await host.exists(paths.nerdctlConfig)).toBe(false);
        expect(await host.exists(`${HOME}/.config/nerdctl`)).toBe(false);
        expect(await host.exists(`${HOME}/.config/containerd-stargz-grpc`)).toBe(false);
      });
    }
  }

  test("install plan: unit in the namespace, after and part of containerd, registration, one restart at the end", async () => {
    const paths = await setup();
    const plan = await planAddons(host, paths, ["fuse-overlayfs", "stargz"], "install");
    const unit = plan.steps.find((s) => s.kind === "write" && s.path.endsWith("containerd-fuse-overlayfs.service")) as Extract<Step, { kind: "write" }>;
    expect(unit.content).toContain("PartOf=containerd.service");
    expect(unit.content).toContain("After=containerd.service");
    expect(unit.content).toContain(`ExecStart=${HOME}/.local/bin/containerd-rootless-systemd nsenter --wait=60 -- /usr/local/bin/containerd-fuse-overlayfs-grpc /run/user/1000/containerd-fuse-overlayfs.sock ${HOME}/.local/share/containerd-fuse-overlayfs`);
    const stargz = plan.steps.find((s) => s.kind === "write" && s.path.endsWith("stargz-snapshotter.service")) as Extract<Step, { kind: "write" }>;
    expect(stargz.content).toContain("-address /run/user/1000/containerd-stargz-grpc/containerd-stargz-grpc.sock -root");
    expect(plan.steps.some((s) => s.kind === "write" && s.path === `${HOME}/.config/containerd-stargz-grpc/config.toml`)).toBe(true);
    const restarts = plan.steps.filter((s) => s.kind === "systemctl" && s.args[0] === "restart");
    expect(restarts).toHaveLength(1);
    // a failure after the restart rolls the files back, then restarts containerd on the old configuration
    expect(restarts[0]).toMatchObject({ undo: ["restart", "containerd.service"], undoLate: true });
    expect(plan.restartsContainerd).toBe(true);
    expect(plan.notes.join("\n")).toContain("export CONTAINERD_SNAPSHOTTER=stargz");
    // created config: version 2 + imports, nothing else
    const cfg = plan.steps.find((s) => s.kind === "write" && s.path === CONFIG) as Extract<Step, { kind: "write" }>;
    expect(parseTOML(cfg.content)).toEqual({ version: 2, imports: [`${HOME}/.config/containerd/conf.d/*.toml`] });
  });

  test("an imports glob the user wrote themselves stays when the last drop-in goes", async () => {
    const glob = `${HOME}/.config/containerd/conf.d/*.toml`;
    const mine = `version = 2\nimports = ["${glob}"]\n`;
    const paths = await setup({}, { [CONFIG]: mine });
    const inst = await planAddons(host, paths, ["stargz"], "install");
    expect(inst.steps.some((s) => s.kind === "write" && s.path === CONFIG)).toBe(false);
    await applyFiles(inst.steps);
    const rm = await planAddons(host, paths, ["stargz"], "uninstall");
    await applyFiles(rm.steps, rm.emptyDirs);
    expect(await host.readText(CONFIG)).toBe(mine);
  });

  test("our glob appended to the user's imports array is recorded, and only it is taken out again", async () => {
    const mine = 'version = 2\nimports = [\n  "/etc/mine.toml",\n]\n';
    const paths = await setup({}, { [CONFIG]: mine });
    await applyFiles((await planAddons(host, paths, ["fuse-overlayfs"], "install")).steps);
    expect(await host.readText(CONFIG)).toContain("conf.d/*.toml");
    expect(await host.exists(`${paths.stateDir}/containerd-imports-added`)).toBe(true);
    const rm = await planAddons(host, paths, ["fuse-overlayfs"], "uninstall");
    await applyFiles(rm.steps, rm.emptyDirs);
    expect(await host.readText(CONFIG)).toBe(mine);
    expect(await host.exists(`${paths.stateDir}/containerd-imports-added`)).toBe(false);
  });

  test("missing daemon: error names the project, URL, and the native fallback; nothing planned", async () => {
    const paths = await setup({ "/usr/local/bin/containerd-stargz-grpc": undefined });
    delete host.commands["/usr/local/bin/containerd-stargz-grpc"];
    await expect(planAddons(host, paths, ["stargz"], "install")).rejects.toThrow(/containerd-stargz-grpc is not installed/);
    try {
      await planAddons(host, paths, ["stargz"], "install");
    } catch (e) {
      expect((e as any).fix).toContain("https://github.com/containerd/stargz-snapshotter/releases");
      expect((e as any).fix).toContain("CONTAINERD_SNAPSHOTTER=native");
    }
  });

  test("fuse-overlayfs missing: the Debian package is named", async () => {
    const paths = await setup();
    delete host.commands["fuse-overlayfs"];
    await expect(planAddons(host, paths, ["fuse-overlayfs"], "install")).rejects.toMatchObject({ fix: expect.stringContaining("sudo apt-get install fuse-overlayfs") });
  });

  test("only the snapshotter daemon missing: the fix names it alone (not the installed fuse-overlayfs), and on a kernel with rootless overlayfs says the add-on may not be needed", async () => {
    const refusal = async (kernel: string) => {
      const paths = await setup({}, { "/proc/sys/kernel/osrelease": `${kernel}\n` });
      delete host.commands["/usr/local/bin/containerd-fuse-overlayfs-grpc"];
      const e = await planAddons(host, paths, ["fuse-overlayfs"], "install").then(() => null, (x: any) => x);
      expect(e?.message).toContain("containerd-fuse-overlayfs-grpc is not installed");
      expect(e.fix).toContain("containerd-fuse-overlayfs-grpc: No distribution package");
      expect(e.fix).not.toContain("apt-get install fuse-overlayfs");
      return e.fix as string;
    };
    const modern = await refusal("6.12.48+deb13-amd64");
    expect(modern).toContain("You may not need it: rootless overlayfs works on this kernel (6.12.48+deb13-amd64)");
    expect(modern).not.toContain("overlayfs does not work");
    expect(await refusal("5.4.0-150-generic")).toContain("CONTAINERD_SNAPSHOTTER=native");
  });

  test("containerd not running: refused", async () => {
    const paths = await setup({ systemctl: show({}) });
    await expect(planAddons(host, paths, ["fuse-overlayfs"], "install")).rejects.toThrow(/containerd.service is not running/);
  });

  test("invalid config.toml: refused with line and column, untouched", async () => {
    const bad = 'version = 2\n[grpc]\n  address = "/x\n';
    const paths = await setup({}, { [CONFIG]: bad });
    await expect(planAddons(host, paths, ["stargz"], "install")).rejects.toThrow(/line 3, column/);
    expect(await host.readText(CONFIG)).toBe(bad);
  });

  test("user's own different [proxy_plugins.stargz]: refused naming its line", async () => {
    const mine = 'version = 2\n\n[proxy_plugins]\n  [proxy_plugins."stargz"]\n    type = "snapshot"\n    address = "/elsewhere.sock"\n';
    const paths = await setup({}, { [CONFIG]: mine });
    await expect(planAddons(host, paths, ["stargz"], "install")).rejects.toThrow(/line 4/);
  });
});

describe("buildkit", () => {
  const bk = (version: string, help: string) => (argv: string[]) => (argv[1] === "--version" ? ok(`buildkitd github.com/moby/buildkit ${version} abc`) : ok(help));

  const BRIDGE_HELP = "--oci-worker-net value  worker network type (auto, cni, host, bridge)";
  /** the four plugins BuildKit's bridge network runs, as executables in `dir` (named `prefix`bridge, ...) */
  const cniFiles = (dir: string, prefix = "") => Object.fromEntries(["bridge", "loopback", "host-local", "firewall"].map((p) => [`${dir}/${prefix}${p}`, { content: "ELF", mode: 0o755 }]));
  const unitOf = (plan: { steps: Step[] }) => (plan.steps.find((s) => s.kind === "write") as Extract<Step, { kind: "write" }>).content;

  test("OCI worker with BuildKit >= 0.13: bridge networking, with Debian's CNI plugins in /usr/lib/cni as its binary dir", async () => {
    const paths = await setup({ "/usr/local/bin/buildkitd": bk("v0.13.1", BRIDGE_HELP) }, cniFiles("/usr/lib/cni"));
    const plan = await planAddons(host, paths, ["buildkit"], "install");
    const unit = plan.steps.find((s) => s.kind === "write") as Extract<Step, { kind: "write" }>;
    expect(unit.path).toEndWith("/buildkit.service");
    expect(unit.content).toContain("nsenter --wait=60 -- /usr/local/bin/buildkitd --oci-worker=true --oci-worker-rootless=true --containerd-worker=false --oci-worker-net=bridge --oci-cni-binary-dir=/usr/lib/cni --addr=unix:///run/user/1000/buildkit/buildkitd.sock");
    expect(unit.content).toContain("PartOf=containerd.service");
  });

  test("CNI plugins where they are: buildkit-cni-* beside buildkitd (no flag: its PATH), else the active bundle's libexec/cni before /usr/lib/cni and /opt/cni/bin", async () => {
    const beside = await setup({ "/usr/local/bin/buildkitd": bk("v0.26.3", BRIDGE_HELP) }, { ...cniFiles("/usr/local/bin", "buildkit-cni-"), ...cniFiles("/usr/lib/cni") });
    const unit = unitOf(await planAddons(host, beside, ["buildkit"], "install", { buildkit: { worker: "containerd" } }));
    expect(unit).toContain("--containerd-worker-net=bridge --addr=");
    expect(unit).not.toContain("cni-binary-dir");
    expect(unit).toMatch(/^Environment=PATH=.*\/usr\/local\/bin/m);
    await host.cleanup();
    const bundle = "/home/alice/.local/share/containerd-rootless-systemd/components";
    const paths = await setup({ "/usr/local/bin/buildkitd": bk("v0.26.3", BRIDGE_HELP) }, { ...cniFiles(`${bundle}/2.2.2/libexec/cni`), ...cniFiles("/usr/lib/cni"), ...cniFiles("/opt/cni/bin") });
    await host.symlink("2.2.2", `${bundle}/current`);
    expect(unitOf(await planAddons(host, paths, ["buildkit"], "install", { buildkit: { worker: "containerd" } }))).toContain(`--containerd-worker-net=bridge --containerd-cni-binary-dir=${bundle}/current/libexec/cni --addr=`);
  });

  test("no CNI plugins anywhere: not available (its unit would not start), install refused naming containernetworking-plugins, check warns", async () => {
    // a set without firewall is no set: BuildKit's bridge network runs all four
    const { [`/usr/lib/cni/firewall`]: _, ...partial } = cniFiles("/usr/lib/cni");
    const paths = await setup({ "/usr/local/bin/buildkitd": bk("v0.26.3", BRIDGE_HELP) }, partial);
    const listed = (await listAddons(host, paths)).find((a) => a.id === "buildkit")!;
    expect(listed.available).toBe(false);
    expect(listed.reason).toContain("BuildKit's bridge networking (buildkitd /usr/local/bin/buildkitd) needs the CNI plugins bridge, loopback, host-local, firewall");
    expect(listed.reason).toContain("sudo apt-get install containernetworking-plugins");
    await expect(planAddons(host, paths, ["buildkit"], "install")).rejects.toThrow(/failed to find CNI bridge/);
    const finding = (await runChecks(host, paths, { smokeTest: false })).findings.find((f) => f.id === "cni.buildkit.missing")!;
    expect(finding.level).toBe("warning");
    expect(finding.message).toContain("the BuildKit add-on cannot be installed");
    expect(finding.fix).toContain("containernetworking-plugins");
  });

  test("containerd worker with a namespace: NS-buildkit.service, own socket and root, no bridge before 0.13", async () => {
    const paths = await setup({ "/usr/local/bin/buildkitd": bk("v0.12.5", "--oci-worker-net value (auto, cni, host)") });
    const plan = await planAddons(host, paths, ["buildkit"], "install", { buildkit: { worker: "containerd", namespace: "default" } });
    const unit = plan.steps.find((s) => s.kind === "write") as Extract<Step, { kind: "write" }>;
    expect(unit.path).toEndWith("/default-buildkit.service");
    expect(unit.content).toContain("--oci-worker=false --containerd-worker=true --containerd-worker-rootless=true --addr=unix:///run/user/1000/buildkit-default/buildkitd.sock");
    expect(unit.content).toContain(`--root=${HOME}/.local/share/buildkit-default --containerd-worker-namespace=default`);
    expect(unit.content).not.toContain("bridge");
    expect(plan.steps.some((s) => s.kind === "wait" && s.what.includes("buildkit-default/buildkitd.sock"))).toBe(true);
  });

  test("detach-netns in effect with BuildKit < 0.13: the seed's caveat and fix", async () => {
    const paths = await setup({ "/usr/local/bin/buildkitd": bk("v0.12.5", "no") }, { "/run/user/1000/containerd-rootless/netns": "" });
    const plan = await planAddons(host, paths, ["buildkit"], "install");
    expect(plan.warnings.join("\n")).toMatch(/older than 0\.13.*install-buildkit` again.*moves ~\/\.config\/buildkit\/buildkitd\.toml .* to the backups; it never deletes it/s);
  });

  test("--namespace with the OCI worker is a usage error", async () => {
    const paths = await setup({ "/usr/local/bin/buildkitd": bk("v0.13.0", "bridge") });
    await expect(planAddons(host, paths, ["buildkit"], "install", { buildkit: { namespace: "x" } })).rejects.toThrow(/needs --worker=containerd/);
  });
});

describe("bypass4netns", () => {
  const bins = { "/opt/b4ns/bypass4netnsd": () => ok(), "/opt/b4ns/bypass4netns": () => ok() };
  for (const [nerdctl, expected] of [["nerdctl version 2.0.3", /--annotation nerdctl\/bypass4netns=true/], ["nerdctl version 1.7.6", /--label nerdctl\/bypass4netns=true/], [null, /--annotation.*--label/s]] as const) {
    test(`hint for ${nerdctl ?? "no nerdctl"}`, async () => {
      const paths = await setup({ ...bins, ...(nerdctl ? { nerdctl: () => ok(nerdctl) } : {}) });
      const plan = await planAddons(host, paths, ["bypass4netnsd"], "install");
      expect(plan.notes.join("\n")).toMatch(expected);
      if (nerdctl?.includes("2.0")) expect(plan.notes.join("\n")).not.toContain("--label");
    });
  }

  test("runs on the host: no nsenter, not part of containerd, bypass4netns on its PATH", async () => {
    const paths = await setup(bins);
    const unit = (await planAddons(host, paths, ["bypass4netns"], "install")).steps.find((s) => s.kind === "write") as Extract<Step, { kind: "write" }>;
    expect(unit.content).toContain("ExecStart=/opt/b4ns/bypass4netnsd\n");
    expect(unit.content).not.toContain("PartOf=");
    expect(unit.content).toMatch(/Environment=PATH=\/opt\/b4ns:/);
  });
});

describe("detach-netns", () => {
  test("refused on RootlessKit < 2.0 with the version found and needed", async () => {
    const paths = await setup({ rootlesskit: rootlesskitHandler(rootlesskitHelp("1.1.0")) });
    await expect(planAddons(host, paths, ["detach-netns"], "install")).rejects.toThrow("needs RootlessKit >= 2.0; found 1.1.0");
  });

  test("RootlessKit 2.3 (its --help lists --detach-netns): the drop-in gets the setting, containerd restarts", async () => {
    const paths = await setup({ rootlesskit: rootlesskitHandler(rootlesskitHelp("2.3.6")) }, { [`${HOME}/.config/systemd/user/containerd.service.d/override.conf`]: "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1500\n" });
    const plan = await planAddons(host, paths, ["detach-netns"], "install");
    const w = plan.steps.find((s) => s.kind === "write") as Extract<Step, { kind: "write" }>;
    expect(w.content).toBe("[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU=1500\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_DETACH_NETNS=\"true\"\n");
    expect(await applyFiles(plan.steps)).toEqual(["systemctl daemon-reload", "systemctl restart containerd.service", "wait the containerd API"]);
  });
});

test("composeSteps keeps only the last containerd restart and its wait", () => {
  const r: Step = { kind: "systemctl", args: ["restart", "containerd.service"] };
  const w: Step = { kind: "wait", what: "the containerd API", timeoutMs: 1, ready: async () => true };
  const a: Step = { kind: "systemctl", args: ["daemon-reload"] };
  expect(composeSteps([[a, r, w], [a, r, w]])).toEqual([a, a, r, w]);
});

void failed;

test("uninstall with no names: every add-on whose files are ours goes first (socket answering or not), containerd is not restarted", async () => {
  const paths = await setup({}, { [CONFIG]: USER_CONFIG });
  await applyFiles((await planAddons(host, paths, ["fuse-overlayfs", "stargz"], "install")).steps);
  await host.writeFileAtomic(`${paths.unitDir}/containerd.service`, `${OWNED_MARKER}\n[Service]\nExecStart=/x launch\n`);
  // no socket answers here: the add-ons count as installed because their files are ours
  const { steps, emptyDirs } = await planUninstall(host, paths, {});
  const labels = steps.map((s) => (s.kind === "systemctl" ? `systemctl ${s.args.join(" ")}` : `${s.kind} ${"path" in s ? s.path : ""}`));
  const containerdStop = labels.findIndex((l) => /^systemctl (stop|disable).* containerd.service$/.test(l));
  expect(containerdStop).toBeGreaterThan(0);
  for (const unit of ["stargz-snapshotter.service", "containerd-fuse-overlayfs.service"]) {
    const i = labels.indexOf(`systemctl disable --now ${unit}`);
    expect(i).toBeGreaterThanOrEqual(0);
    expect(i).toBeLessThan(containerdStop);
  }
  expect(labels.filter((l) => l.startsWith("systemctl restart"))).toEqual([]);
  await applyFiles(steps, emptyDirs);
  expect(await host.readText(CONFIG)).toBe(USER_CONFIG);
  expect(await host.exists(paths.containerdConfD)).toBe(false);
});

test("install X Y --worker/--namespace: each flag goes to the add-ons that offer it; one nobody takes is a usage error", () => {
  expect(optionsFromFlags(["stargz", "buildkit"], { worker: "containerd", namespace: "default" })).toEqual({ buildkit: { worker: "containerd", namespace: "default" } });
  expect(optionsFromFlags(["stargz"], { worker: undefined })).toEqual({});
  expect(() => optionsFromFlags(["stargz"], { worker: "oci" })).toThrow(/--worker applies to none of: stargz/);
  expect(() => optionsFromFlags([], { namespace: "x" })).toThrow(/--namespace applies to none/);
});
