// The UI's engine adapter against the real engine on a TestHost (a temp dir with a scripted
// systemd --user and RootlessKit): the UI and the headless path produce the same plan for
// the same choices; cancelling an apply rolls back; settings are validated by the model.
import { previewPlan } from "../../src/core/plan/render.ts";
import { afterEach, describe, expect, test } from "bun:test";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { fakeSystemd, UNIT } from "../helpers/fake-systemd.ts";
import { createEngine } from "../../ui/engine/create-engine.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { planUninstall } from "../../src/core/lifecycle/uninstall.ts";
import { planConfigure } from "../../src/core/rootlesskit/configure.ts";
import { renderPlan } from "../../src/core/plan/render.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import type { PlanView } from "../../ui/engine/types.ts";
import { join } from "node:path";
import { activate, componentsDir, metaFile, versionDir } from "../../src/core/components/store.ts";
import { parseDesiredState } from "../../src/core/desired-state/parse.ts";
import { decideApply, phaseBSteps } from "../../src/core/desired-state/plan.ts";
import { componentsFailure } from "../../ui/engine/components.ts";
import { SwitchedBackError } from "../../src/core/components/switch.ts";
import { UserError } from "../../src/core/os/errors.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const OVERRIDE = "/home/alice/.config/systemd/user/containerd.service.d/override.conf";
const RK_HELP = "--net value  network driver [host, slirp4netns, vpnkit, lxc-user-nic]\n--port-driver value  port driver [none, builtin, slirp4netns]\n";

/** alice's machine with containerd.service installed or not, active or not; RootlessKit and slirp4netns answer their probes. */
const machine = (state: { active: boolean; enabled: boolean; failOnStart?: boolean; files?: Record<string, string> }) =>
  fakeSystemd({
    unit: { active: state.active, enabled: state.enabled, failOnStart: state.failOnStart },
    files: state.files,
    commands: {
      rootlesskit: (argv) => (argv[1] === "--version" ? ok("rootlesskit version 1.1.0\n") : ok(RK_HELP)),
      slirp4netns: () => ok("Usage: slirp4netns [OPTION]... PID|PATH TAPNAME\n  --netns-type=TYPE\n"),
    },
  });

const NONE = { addons: [], addonOptions: {}, settings: {} };

describe("the UI plans what the headless commands plan", () => {
  test("install with defaults: the same steps as `install` (planInstall), rendered identically", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    const paths = resolvePaths(host.env, host.uid);
    const ui = await createEngine(host).plan(NONE);
    const headless = await planInstall(host, paths);
    expect(await renderPlan(host, ui.steps)).toBe(await renderPlan(host, headless.steps));
    expect(ui.steps.map((s) => s.kind)).toEqual(["copy", "write", "systemctl", "link", "write", "write", "wait", "wait"]);
    expect(ui.items[1]).toMatchObject({ kind: "file", label: "Write ~/.config/systemd/user/containerd.service", effect: "create" });
    expect(ui.items[1]!.diff.some((l) => l.startsWith("+ExecStart="))).toBe(true);
    expect(ui.items).toContainEqual(expect.objectContaining({ kind: "command", label: "Start containerd.service", effect: "act" }));
    // the labels are the ones --dry-run prints, in the same order
    expect(ui.items.map((i) => i.label)).toEqual((await previewPlan(host, headless.steps)).map((p) => p.label));
  });

  test("the nerdctl-full bundle chosen: fetched first (install --components' order); once active, containerd's plan is install's", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    const paths = resolvePaths(host.env, host.uid);
    const engine = createEngine(host);
    const fetch = await engine.plan({ ...NONE, components: true });
    expect(fetch.components).toEqual({ version: "2.3.5" });
    expect(fetch.steps).toEqual([]);
    expect(fetch.items.map((i) => i.label)).toEqual(["Fetch, verify and activate nerdctl-full 2.3.5"]);
    expect((await engine.components()).selected).toBe("distribution");
    // the bundle is active (as after the fetch): the next plan is `install`'s, as `install --components` runs it
    await host.mkdirp(join(componentsDir(paths), "2.3.5"));
    await host.writeFileAtomic(metaFile(versionDir(paths, "2.3.5")), JSON.stringify({ version: "2.3.5" }));
    await activate(host, paths, "2.3.5");
    const next = await engine.plan({ ...NONE, components: true });
    expect(next.components).toBeUndefined();
    expect(await renderPlan(host, next.steps)).toBe(await renderPlan(host, (await planInstall(host, paths)).steps));
    const offer = await engine.components();
    expect(offer.selected).toBe("bundle");
    expect(offer.choices.map((c) => c.label)).toEqual(["use the distribution's", "nerdctl-full v2.3.5 (already fetched)"]);
  });

  test("applying the fetch: a download that fails is the apply's failure, and nothing is activated", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    await host.chmod("/run/user/1000", 0o700);
    // a loopback proxy nobody listens on: the download is refused at once (no outside traffic)
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = server.port;
    server.stop(true);
    (host.env as Record<string, string>).HTTPS_PROXY = `http://127.0.0.1:${port}`;
    const paths = resolvePaths(host.env, host.uid);
    const engine = createEngine(host);
    const plan = await engine.plan({ ...NONE, components: true });
    const progress: string[] = [];
    const outcome = await engine.apply(plan, (p) => progress.push(`${p.index} ${p.state}`), new AbortController().signal);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/download of https:\/\/github.com\/containerd\/nerdctl\/releases\/download\/v2.3.5\/nerdctl-full-2.3.5-linux-\w+.tar.gz failed/);
    expect(progress).toEqual(["0 running", "0 failed"]);
    expect(outcome.rolledBack).toBe(false); // nothing was switched, so nothing was undone
    expect(await host.readlink(join(componentsDir(paths), "current"))).toBeNull();
    expect(await host.exists(versionDir(paths, "2.3.5"))).toBe(false);
  }, 30_000);

  test("the UI's outcome says undone only for a switch-back that answers again; never for a refused download or bundle", () => {
    expect(componentsFailure(new SwitchedBackError("upgrade to 2.3.0 failed: ...; rolled back to 2.2.0, which answers again", "fix", true), [])).toMatchObject({ ok: false, rolledBack: true });
    expect(componentsFailure(new UserError("checksum mismatch for x: expected a, got b; nothing was unpacked", "fix"), [])).toMatchObject({ ok: false, rolledBack: false, error: "checksum mismatch for x: expected a, got b; nothing was unpacked\nfix" });
  });

  test("settings: the override drop-in is exactly what `configure --mtu 1500` writes, before the unit starts", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    const paths = resolvePaths(host.env, host.uid);
    const ui = await createEngine(host).plan({ ...NONE, settings: { mtu: "1500" } });
    const configure = await planConfigure(host, paths, { set: { mtu: "1500" }, reset: [] });
    expect(ui.steps[0]).toMatchObject({ kind: "write", path: OVERRIDE, content: configure.after! });
    const start = (steps: typeof ui.steps) => steps.findIndex((s) => s.kind === "systemctl" && s.args[0] === "start");
    const reloads = (steps: typeof ui.steps) => steps.flatMap((s, i) => (s.kind === "systemctl" && s.args[0] === "daemon-reload" ? [i] : []));
    // systemd has not loaded the unit: its start reads the unit and the drop-in, no reload at all
    expect(start(ui.steps)).toBeGreaterThan(0);
    expect(reloads(ui.steps)).toEqual([]);
    await host.cleanup();
    // a unit systemd has loaded (installed, stopped): one reload, after the drop-in and before the start
    ({ h: host } = await machine({ active: false, enabled: true, files: { [UNIT]: "# Created by containerd-rootless-systemd\n[Service]\n" } }));
    const loaded = await createEngine(host).plan({ ...NONE, settings: { mtu: "1500" } });
    expect(loaded.steps[0]).toMatchObject({ kind: "write", path: OVERRIDE });
    expect(reloads(loaded.steps)).toHaveLength(1);
    expect(reloads(loaded.steps)[0]).toBeLessThan(start(loaded.steps));
  });

  test("installed and running: the same steps as `apply -f` of a file with the same settings", async () => {
    const file = "[containerd]\ninstalled = true\n\n[settings]\nmtu = 1400\n";
    ({ h: host } = await machine({ active: true, enabled: true, files: { [UNIT]: "# Created by containerd-rootless-systemd\n[Service]\n", [OVERRIDE]: '[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n', "/etc/rootless.toml": file } }));
    const paths = resolvePaths(host.env, host.uid);
    const ui = await createEngine(host).plan({ ...NONE, settings: { mtu: "1400" } });
    const d = await decideApply(host, paths, parseDesiredState(file, "/etc/rootless.toml"));
    const headless = await phaseBSteps(host, paths, d, false, false);
    expect(await renderPlan(host, ui.steps)).toBe(await renderPlan(host, headless.steps));
    expect(ui.items[0]).toMatchObject({ kind: "file", label: "Write ~/.config/systemd/user/containerd.service.d/override.conf (MTU 1400)", effect: "update" });
    expect(ui.items).toContainEqual(expect.objectContaining({ kind: "command", label: "Restart containerd.service" }));
    expect(ui.summary).toEqual(["containerd updated and restarted", "1 setting changed", "2 other files changed (~/.local/share/bash-completion/completions/containerd-rootless-systemd, ~/.config/fish/completions/containerd-rootless-systemd.fish)"]); // the shell completions, named (the bash one was taken for the binary before)
  });

  test("an invalid combination is refused by the engine with its message", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    await expect(createEngine(host).plan({ ...NONE, settings: { detachNetns: "true" } })).rejects.toThrow(/needs RootlessKit >= 2.0/);
  });

  test("uninstall: the same steps as `uninstall` (planUninstall)", async () => {
    ({ h: host } = await machine({ active: true, enabled: true, files: { [UNIT]: "# Created by containerd-rootless-systemd\n[Service]\n" } }));
    const paths = resolvePaths(host.env, host.uid);
    const ui = await createEngine(host).uninstallPlan(false);
    const headless = await planUninstall(host, paths, { purge: false });
    expect(await renderPlan(host, ui.steps)).toBe(await renderPlan(host, headless.steps));
    expect(ui.items).toContainEqual(expect.objectContaining({ kind: "file", label: "Remove ~/.config/systemd/user/containerd.service", effect: "remove" }));
    expect(ui.items.some((i) => i.kind === "command" && /containerd\.service/.test(i.label))).toBe(true);
    expect(ui.summary).toEqual(["containerd uninstalled"]);
  });
});

describe("settings fields", () => {
  test("defaults resolved for this machine; values checked by the settings model as typed", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    const fields = await createEngine(host).settings();
    const f = Object.fromEntries(fields.map((x) => [x.key, x]));
    expect(f.net!.defaultValue).toBe("slirp4netns");
    expect(f.mtu!.defaultValue).toBe("65520");
    expect(f.net!.choices).toEqual(["slirp4netns", "vpnkit", "lxc-user-nic"]);
    expect(f.mtu!.validate("70000", { mtu: "70000" })).toMatch(/576 to 65520/);
    expect(f.mtu!.validate("abc", { mtu: "abc" })).toMatch(/expected a number/);
    expect(f.mtu!.validate("1500", { mtu: "1500" })).toBeUndefined();
    expect(f.detachNetns!.validate("true", { detachNetns: "true" })).toMatch(/RootlessKit >= 2.0/);
    expect(f.net!.validate("vpnkit", { net: "vpnkit" })).toMatch(/vpnkit` is not installed/);
  });

  test("containerd's proxy is a field too: checked as a URL with a scheme, planned into the same drop-in", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    const f = Object.fromEntries((await createEngine(host).settings()).map((x) => [x.key, x]));
    expect(f.httpsProxy!.label).toBe("HTTPS proxy (containerd)");
    expect(f.httpsProxy!.validate("proxy:3128", { httpsProxy: "proxy:3128" })).toMatch(/expected a URL with a scheme/);
    expect(f.httpsProxy!.validate("http://proxy:3128", { httpsProxy: "http://proxy:3128" })).toBeUndefined();
    const ui = await createEngine(host).plan({ ...NONE, settings: { httpsProxy: "http://proxy:3128" } });
    expect(ui.steps[0]).toMatchObject({ kind: "write", path: OVERRIDE, content: '[Service]\nEnvironment=HTTPS_PROXY="http://proxy:3128"\n' });
    expect(ui.notes.filter((n) => n.includes("loopback"))).toEqual([]);
    const loop = await createEngine(host).plan({ ...NONE, settings: { httpsProxy: "http://127.0.0.1:3128" } });
    expect(loop.notes[0]).toContain("Warning: HTTPS_PROXY=http://127.0.0.1:3128 points at this machine's loopback, which containerd cannot reach");
  });
});

describe("apply", () => {
  const plan = (): PlanView => ({
    title: "t",
    notes: [],
    unchanged: false,
    items: [],
    steps: [
      { kind: "write", path: "/home/alice/a.conf", content: "A\n" },
      { kind: "write", path: "/home/alice/b.conf", content: "B\n" },
      { kind: "write", path: "/home/alice/c.conf", content: "C\n" },
    ],
  });

  test("runs every step and reports each", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    const seen: string[] = [];
    const r = await createEngine(host).apply(plan(), (p) => seen.push(`${p.index}:${p.state}`), new AbortController().signal);
    expect(r).toEqual({ ok: true, changed: true });
    expect(seen).toEqual(["0:running", "0:done", "1:running", "1:done", "2:running", "2:done"]);
    expect(await host.readText("/home/alice/c.conf")).toBe("C\n");
  });

  test("cancelled after the first step: that step is rolled back, nothing else is done", async () => {
    ({ h: host } = await machine({ active: false, enabled: false }));
    const cancel = new AbortController();
    const seen: string[] = [];
    const r = await createEngine(host).apply(
      plan(),
      (p) => {
        seen.push(`${p.index}:${p.state}`);
        if (p.index === 0 && p.state === "done") cancel.abort();
      },
      cancel.signal,
    );
    expect(r).toMatchObject({ ok: false, cancelled: true, rolledBack: true });
    expect(seen).toEqual(["0:running", "0:done", "0:undone"]);
    for (const f of ["a", "b", "c"]) expect(await host.exists(`/home/alice/${f}.conf`)).toBe(false);
    // the run lock was released
    const held = host.tryLockFile("/run/user/1000/containerd-rootless-systemd.lock", ""); // the lock was given back
    expect(held).not.toBeNull();
    held?.release();
  });
});

describe("apply: a failed first start", () => {
  test("the directories the launcher made for it are removed (while empty), as `install` does; the machine is as before", async () => {
    ({ h: host } = await machine({ active: false, enabled: false, failOnStart: true }));
    const engine = createEngine(host);
    const plan = await engine.plan(NONE);
    const made = ["/home/alice/.local/share/containerd", "/home/alice/.local/share/cni", "/home/alice/.config/containerd"];
    const start = plan.steps.findIndex((s) => s.kind === "systemctl" && s.args[0] === "start");
    // the launcher's first run creates its bind-mount sources, then containerd never answers
    const r = await engine.apply(plan, (p) => void (p.index === start && p.state === "running" && Promise.all(made.map((d) => host.mkdirp(d)))), new AbortController().signal);
    expect(r).toMatchObject({ ok: false, rolledBack: true });
    for (const d of [...made, "/home/alice/.local", "/home/alice/.config"]) expect(await host.exists(d)).toBe(false);
  });
});

describe("apply outcome", () => {
  test("a cancel shows no unit diagnostics: they were taken before the rollback and would contradict 'the machine is as it was'", async () => {
    const { applyWithProgress } = await import("../../ui/engine/apply.ts");
    ({ h: host } = await machine({ active: false, enabled: false }));
    const cancel = new AbortController();
    const steps = [
      { kind: "write" as const, path: "/home/alice/a.conf", content: "A\n" },
      { kind: "write" as const, path: "/home/alice/b.conf", content: "B\n" },
    ];
    const r = await applyWithProgress(
      host,
      { title: "t", notes: [], unchanged: false, items: [], steps },
      (p) => p.index === 0 && p.state === "done" && cancel.abort(),
      cancel.signal,
      { beforeRollback: async () => "● containerd.service\n     Active: active (running)" },
    );
    expect(r).toMatchObject({ ok: false, cancelled: true, rolledBack: true });
    expect(r.diagnostics ?? []).toEqual([]);
  });
});

describe("next steps", () => {
  test("nerdctl, linger and snapshotter lines follow the facts; add-on notes come last", async () => {
    const { nextStepsFor } = await import("../../ui/engine/plans.ts");
    const { emptyFacts } = await import("../../src/core/checks/facts.ts");
    const facts = { ...emptyFacts("alice", 1000), snapshotter: "overlayfs" as const };
    const a = nextStepsFor(facts, null, undefined, ["(the client's lines)"]).join("\n");
    expect(a).toContain("(the client's lines)");
    expect(a).toContain("sudo loginctl enable-linger alice");
    expect(a).toContain("the default overlayfs works rootless here");
    const b = nextStepsFor({ ...facts, linger: true, snapshotter: "fuse-overlayfs" }, { title: "", steps: [], items: [], unchanged: false, notes: ["Use --annotation nerdctl/bypass4netns=true"] });
    expect(b.join("\n")).not.toContain("enable-linger");
    expect(b.join("\n")).toContain("export CONTAINERD_SNAPSHOTTER=fuse-overlayfs");
    expect(b.at(-1)).toBe("Use --annotation nerdctl/bypass4netns=true");
  });
});

describe("next steps name the client the user has", () => {
  const nerdctlAt = async (path: string) => {
    await host.mkdirp(path.slice(0, path.lastIndexOf("/")));
    await host.writeFileAtomic(path, "#!/bin/sh\n", 0o755);
  };

  test("no nerdctl anywhere (Debian has none): how to get it, and the ctr line that works now; never \"Use `nerdctl`\"", async () => {
    ({ h: host } = await machine({ active: true, enabled: true }));
    const lines = (await createEngine(host).nextSteps(null)).join("\n");
    expect(lines).not.toContain("Use `nerdctl`");
    expect(lines).toContain("nerdctl is not installed (Debian has no package for it): `containerd-rootless-systemd components install` fetches nerdctl-full, which has it.");
    expect(lines).toContain("Until then, reach containerd with ctr: `containerd-rootless-systemd nsenter -- ctr version`.");
  });

  test("nerdctl on the user's PATH: the seed's lines", async () => {
    ({ h: host } = await machine({ active: true, enabled: true }));
    await nerdctlAt("/usr/bin/nerdctl");
    const lines = await createEngine(host).nextSteps(null);
    expect(lines).toContain("Use `nerdctl` to connect to the rootless containerd.");
    expect(lines).toContain("You do NOT need to specify $CONTAINERD_ADDRESS explicitly.");
  });

  test("nerdctl only in the active bundle: the PATH line that makes it usable", async () => {
    ({ h: host } = await machine({ active: true, enabled: true }));
    const paths = resolvePaths(host.env, host.uid);
    await nerdctlAt(join(versionDir(paths, "2.3.5"), "bin/nerdctl"));
    await activate(host, paths, "2.3.5");
    const lines = (await createEngine(host).nextSteps(null)).join("\n");
    expect(lines).toContain('nerdctl is in the nerdctl-full bundle, not on your PATH: `export PATH="$HOME/.local/share/containerd-rootless-systemd/components/current/bin:$PATH"`');
    expect(lines).not.toContain("Use `nerdctl`");
  });
});

describe("next steps after a snapshotter add-on", () => {
  test("the snapshotter line says what nerdctl now uses (read from nerdctl.toml), not 'nothing to set'", async () => {
    const NERDCTL = "/home/alice/.config/nerdctl/nerdctl.toml";
    ({ h: host } = await machine({ active: true, enabled: true, files: { [NERDCTL]: '# set by the fuse-overlayfs add-on\nsnapshotter = "fuse-overlayfs"\n' } }));
    const lines = (await createEngine(host).nextSteps(null)).join("\n");
    expect(lines).toContain(`Snapshotter: nerdctl uses fuse-overlayfs (set in ${NERDCTL}).`);
    expect(lines).not.toContain("nothing to set");
    expect(lines).not.toContain("export CONTAINERD_SNAPSHOTTER");
  });

  test("no snapshotter set: the line follows what works here, as before", async () => {
    const { nextStepsFor } = await import("../../ui/engine/plans.ts");
    const { emptyFacts } = await import("../../src/core/checks/facts.ts");
    const facts = emptyFacts("alice", 1000);
    expect(nextStepsFor({ ...facts, snapshotter: "overlayfs" }, null, { name: "overlayfs" }).join("\n")).toContain("the default overlayfs works rootless here; nothing to set");
    expect(nextStepsFor({ ...facts, snapshotter: "overlayfs" }, null, { name: "native", from: "$CONTAINERD_SNAPSHOTTER" }).join("\n")).toContain("nerdctl uses native (set in $CONTAINERD_SNAPSHOTTER)");
  });
});

describe("checks", () => {
  test("the sudo block is the one `check` prints: only fixes of warnings and errors", async () => {
    const { sudoScript: sudoBlockFor, sectionOf: sectionIndex } = await import("../../src/core/checks/report.ts");
    const findings = [
      { id: "subid.missing", level: "error" as const, message: "no subuid range", sudoFix: ["usermod --add-subuids 100000-165535 alice"] },
      { id: "linger.off", level: "info" as const, message: "linger off", sudoFix: ["loginctl enable-linger alice"] },
      { id: "cgroup.delegation", level: "warning" as const, message: "not delegated", sudoFix: ["mkdir -p /etc/systemd/system/user@.service.d"] },
    ];
    expect(sudoBlockFor(findings)).toBe(["sudo sh -eux <<'EOF'", "usermod --add-subuids 100000-165535 alice", "mkdir -p /etc/systemd/system/user@.service.d", "EOF"].join("\n"));
    expect(sudoBlockFor([findings[1]!])).toBe("");
    expect(findings.map(sectionIndex)).toEqual([0, 3, 1]);
  });

  test("each section is done as soon as its probes are: cgroup v2 while the RootlessKit smoke test still runs", async () => {
    const { machineWithHeldSmoke } = await import("../unit/checks-fixture.ts");
    let release: () => void;
    ({ host, release } = await machineWithHeldSmoke());
    const events: string[] = [];
    let cgroupDone!: () => void;
    const cgroup = new Promise<void>((r) => (cgroupDone = r));
    const run = createEngine(host).checks((g) => {
      events.push(`${g.id}:${g.state}`);
      if (g.id === "1" && g.state === "done") cgroupDone();
    });
    await cgroup; // only resolves if section 1 is reported done while the smoke test is held
    expect(events).not.toContain("0:done"); // RootlessKit functionality (smoke) and overlayfs wait for it
    expect(events).not.toContain("2:done");
    release();
    const findings = await run;
    expect(events.slice(0, 4)).toEqual(["0:running", "1:running", "2:running", "3:running"]);
    expect(events.filter((e) => e.endsWith(":done")).sort()).toEqual(["0:done", "1:done", "2:done", "3:done"]); // each once
    expect(findings.find((f) => f.id === "rootlesskit.smoke")?.level).toBe("ok");
  });
});
