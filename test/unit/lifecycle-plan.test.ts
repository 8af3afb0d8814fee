// install/uninstall plans and status against a scripted systemd --user (TestHost): the
// decisions, not the real systemd (that is test/e2e/lifecycle.test.ts).
import { afterEach, describe, expect, test } from "bun:test";
import { mkdir, symlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { UserError } from "../../src/core/os/errors.ts";
import { failed, makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { fakeSystemd, SOCKET, UNIT, WANTS_LINK } from "../helpers/fake-systemd.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { planUninstall } from "../../src/core/lifecycle/uninstall.ts";
import { applyPlan, ApplyError } from "../../src/core/plan/execute.ts";
import { previewPlan } from "../../src/core/plan/render.ts";
import { collectStatus, flagsFromCmdline, flattenInfo, configuredSnapshotters } from "../../src/core/lifecycle/status.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { diagnoseStart } from "../../src/core/systemd/diagnose.ts";
import { environmentValues, serviceEnvironment } from "../../src/core/systemd/service-environment.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

describe("install plan", () => {
  test("fresh: copy the binary, write the unit, start (systemd reads the new files: no reload), enable it (no reload of its own) and write the completions while containerd starts, then wait for the API", async () => {
    const f = await fakeSystemd();
    host = f.h;
    const plan = await planInstall(host, f.paths, { readyTimeoutMs: 2000 });
    expect(plan.steps.map((s) => (s.kind === "systemctl" ? `systemctl ${s.args[0]}` : s.kind))).toEqual(["copy", "write", "systemctl start", "link", "write", "write", "wait", "wait"]);
    expect(plan.execStart).toEqual(["/home/alice/.local/bin/containerd-rootless-systemd", "launch"]);
    expect(plan.unitText).toContain("Requires=dbus.socket");
    // what the launcher will create, so a failed start can remove it again
    expect(plan.launcherDirs.sort()).toEqual(["/home/alice/.config", "/home/alice/.config/containerd", "/home/alice/.local", "/home/alice/.local/share", "/home/alice/.local/share/cni", "/home/alice/.local/share/containerd", "/run/user/1000/containerd"]);
    // shown in the plan as files to create, without the generated script as a diff
    expect((await previewPlan(host, plan.completionSteps)).map((p) => [p.effect, p.diff])).toEqual([["create", undefined], ["create", undefined]]);
    const r = await applyPlan(host, plan.steps);
    expect(r.changed).toBe(true);
    // enabled by the link `systemctl enable` would make, without running it
    expect(f.verbs).toEqual(["reset-failed containerd.service", "start --no-block containerd.service"]); // without the manager's socket: systemctl, the start limit cleared first
    expect(await host.readlink(WANTS_LINK)).toBe(UNIT);
    expect(r.steps.find((o) => o.kind === "link")).toMatchObject({ description: "Enable containerd.service", result: `Created ${WANTS_LINK} → ${UNIT}` });
    expect(await host.readText("/home/alice/.local/bin/containerd-rootless-systemd")).toBe("BINARY");

    // the bash and fish completions, in the XDG places their shells load them from, calling this binary
    const completion = Object.fromEntries(plan.completionSteps.map((s) => [(s as { path: string }).path, (s as { content: string }).content]));
    expect(Object.keys(completion)).toEqual(["/home/alice/.local/share/bash-completion/completions/containerd-rootless-systemd", "/home/alice/.config/fish/completions/containerd-rootless-systemd.fish"]);
    expect(await host.readText("/home/alice/.local/share/bash-completion/completions/containerd-rootless-systemd")).toContain("/home/alice/.local/bin/containerd-rootless-systemd complete -- ");
    expect(await host.readText("/home/alice/.config/fish/completions/containerd-rootless-systemd.fish")).toContain("/home/alice/.local/bin/containerd-rootless-systemd complete -- ");

    // nothing changed since: the plan is unchanged writes (binary, unit, completions), applying it changes nothing
    const again = await planInstall(host, f.paths);
    expect(again.steps.map((s) => s.kind)).toEqual(["copy", "write", "write", "write"]);
    expect((await applyPlan(host, again.steps)).changed).toBe(false);
    expect(f.verbs.length).toBe(2);
  });

  test("a changed unit is replaced and containerd restarted; a stopped one is started without a reload", async () => {
    const f = await fakeSystemd();
    host = f.h;
    await applyPlan(host, (await planInstall(host, f.paths)).steps);
    await host.writeFileAtomic(UNIT, (await host.readText(UNIT))!.replace("RestartSec=2", "RestartSec=9"));
    const changed = await planInstall(host, f.paths);
    expect(changed.unitChanged).toBe(true);
    expect(changed.steps.filter((s) => s.kind === "systemctl").map((s) => (s as { args: string[] }).args[0])).toEqual(["daemon-reload", "restart"]);
    await applyPlan(host, changed.steps);
    // disabled meanwhile and changed again: enabled before the reload, which then reads its link too
    f.unit.enabled = false;
    await host.remove(WANTS_LINK);
    await host.writeFileAtomic(UNIT, (await host.readText(UNIT))!.replace("RestartSec=2", "RestartSec=7"));
    const disabled = await planInstall(host, f.paths);
    expect(disabled.steps.filter((s) => s.kind === "systemctl" || s.kind === "link").map((s) => (s.kind === "link" ? "link" : s.args[0]))).toEqual(["link", "daemon-reload", "restart"]);
    await applyPlan(host, disabled.steps);
    f.unit.active = false; // stopped out of band
    const stopped = await planInstall(host, f.paths);
    expect(stopped.steps.map((s) => (s.kind === "systemctl" ? s.args[0] : s.kind))).toEqual(["copy", "write", "start", "write", "write", "wait", "wait"]);
  });

  test("a unit that does not come up: the wait stops early and the rollback leaves nothing behind", async () => {
    const f = await fakeSystemd({ unit: { active: false, enabled: false, failOnStart: true } });
    host = f.h;
    const plan = await planInstall(host, f.paths, { readyTimeoutMs: 10_000 });
    const started = performance.now();
    const err = (await applyPlan(host, plan.steps).catch((e) => e)) as ApplyError;
    expect(performance.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(ApplyError);
    expect(err.failure.reason).toContain("restarting");
    expect(await host.exists(UNIT)).toBe(false);
    expect(await host.exists("/home/alice/.local")).toBe(false);
    expect(await host.exists("/home/alice/.config")).toBe(false);
    // the start loaded the unit: once its file is gone, one reload makes systemd forget it
    expect(f.verbs).toEqual(["reset-failed containerd.service", "start --no-block containerd.service", "stop containerd.service", "reset-failed containerd.service", "daemon-reload"]);
    expect(await host.stat(WANTS_LINK)).toBeNull(); // the link undone with the rest
  });

  test("a failed start is diagnosed with the launcher's checks only (--validate, nothing started), in the service's environment: the drop-ins' settings, not the installer's", async () => {
    const launcher = "/home/alice/.local/bin/containerd-rootless-systemd";
    let seen: Record<string, string | undefined> = {};
    let argv: string[] = [];
    let clean = false;
    const f = await fakeSystemd({
      files: {
        [UNIT]: "[Service]\nEnvironment=PATH=/sbin:/usr/bin\n",
        "/home/alice/.config/systemd/user/containerd.service.d/override.conf": "[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_NET=bogus\n",
      },
      commands: {
        [launcher]: (a, opts) => {
          argv = a;
          seen = opts.env ?? {};
          clean = Boolean(opts.cleanEnv);
          return failed('[ERROR] invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_NET="bogus"');
        },
      },
    });
    host = f.h;
    Object.assign(host, { env: { ...host.env, CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU: "1400" } }); // the installer's shell, not the service's
    const text = await diagnoseStart(host, "containerd.service", { argv: [launcher, "launch"], env: environmentValues(await serviceEnvironment(host, f.paths)) });
    expect(clean).toBe(true);
    expect(seen).toEqual({ PATH: "/sbin:/usr/bin", CONTAINERD_ROOTLESS_ROOTLESSKIT_NET: "bogus" });
    expect(argv).toEqual([launcher, "launch", "--validate"]);
    expect(text).toContain(`the launcher's checks (${launcher} launch --validate; nothing started) exited with code 1:`);
    expect(f.h.calls.some((c) => c.includes("stop"))).toBe(false); // the service is left to systemd
    expect(text).toContain('invalid CONTAINERD_ROOTLESS_ROOTLESSKIT_NET="bogus"');
  });

  test("a symlink at the unit path or at the binary's place is refused before anything changes", async () => {
    for (const at of [UNIT, "/home/alice/.local/bin/containerd-rootless-systemd"]) {
      const f = await fakeSystemd({ files: { "/home/alice/dotfiles/theirs": "[Unit]\n" } });
      host = f.h;
      await mkdir(dirname(host.path(at)), { recursive: true });
      await symlink(host.path("/home/alice/dotfiles/theirs"), host.path(at));
      const err = (await planInstall(host, f.paths).catch((e) => e)) as Error;
      expect(err.message).toBe(`${at} is a symbolic link (to /home/alice/dotfiles/theirs); install writes its own file there and will not replace or write through it`);
      expect((err as UserError).fix).toContain(`mv ${at} ${at}.mine`);
      expect(await host.readText("/home/alice/dotfiles/theirs")).toBe("[Unit]\n");
      expect((await host.stat(at))?.isSymlink).toBe(true);
      host.cleanup();
    }
  });

  test("run from source, the unit runs bun with the script (no copy)", async () => {
    const f = await fakeSystemd();
    host = f.h;
    Object.assign(host, { scriptPath: "/src/cli.ts", execPath: "/node_modules/.bin/bun" });
    const plan = await planInstall(host, f.paths);
    expect(plan.execStart).toEqual(["/node_modules/.bin/bun", "/src/cli.ts", "launch"]);
    expect(plan.steps[0]!.kind).toBe("write");
  });
});

describe("uninstall plan", () => {
  test("stops, disables and removes only what this tool created; --purge removes data from inside the namespace", async () => {
    const f = await fakeSystemd({ files: { "/home/alice/.config/systemd/user/containerd.service.d/user.conf": "[Service]\nEnvironment=A=b\n", "/home/alice/.local/share/containerd/io/x": "layer" } });
    host = f.h;
    await applyPlan(host, (await planInstall(host, f.paths)).steps);
    await host.writeFileAtomic("/home/alice/.config/systemd/user/containerd.service.d/override.conf", "# Created by containerd-rootless-systemd\n[Service]\n");
    const plain = await planUninstall(host, f.paths, {});
    expect(plain.installed).toBe(true);
    const r = await applyPlan(host, plain.steps);
    expect(r.changed).toBe(true);
    expect(await host.exists(UNIT)).toBe(false);
    expect(await host.exists("/home/alice/.config/systemd/user/containerd.service.d/override.conf")).toBe(false);
    expect(await host.readText("/home/alice/.config/systemd/user/containerd.service.d/user.conf")).toContain("A=b");
    expect(await host.exists("/home/alice/.local/bin/containerd-rootless-systemd")).toBe(false);
    // the completions install wrote are gone too
    expect(await host.exists("/home/alice/.local/share/bash-completion/completions/containerd-rootless-systemd")).toBe(false);
    expect(await host.exists("/home/alice/.config/fish/completions/containerd-rootless-systemd.fish")).toBe(false);
    expect(await host.exists("/home/alice/.local/share/containerd/io/x")).toBe(true);
    // installed without a reload, so nothing holds the unit: once down and without its file, systemd forgot it, no reload
    // disabled by removing the link, no systemctl disable; the stop queued last
    expect(f.verbs.at(-1)).toBe("stop --no-block containerd.service");
    expect(await host.stat(WANTS_LINK)).toBeNull();
    expect(r.steps.at(-1)!.result).toBe("Not needed: systemd has already forgotten containerd.service");
    expect(f.unit.active).toBe(false);

    const nothing = await planUninstall(host, f.paths, {});
    expect(nothing.steps).toEqual([]);
    expect(nothing.installed).toBe(false);
    const purge = await planUninstall(host, f.paths, { purge: true });
    // --purge also removes the user's own drop-ins (config for a unit that is gone)
    expect(purge.steps.some((s) => s.kind === "remove" && s.path.endsWith("containerd.service.d/user.conf"))).toBe(true);
    const ns = purge.steps.find((s) => s.kind === "remove-tree-in-namespace")!;
    expect(ns).toMatchObject({ path: "/home/alice/.local/share/containerd", argv: ["/usr/bin/rootlesskit", "rm", "-rf", "/home/alice/.local/share/containerd"] });
    await applyPlan(host, purge.steps);
    expect(await host.exists("/home/alice/.local/share/containerd")).toBe(false);
  });

  test("a unit systemd still holds after the stop (default.target took it in at a reload since it was enabled): one reload makes it forget it", async () => {
    const f = await fakeSystemd();
    host = f.h;
    await applyPlan(host, (await planInstall(host, f.paths)).steps);
    f.unit.held = true;
    const r = await applyPlan(host, (await planUninstall(host, f.paths, {})).steps);
    expect(f.verbs.slice(-2)).toEqual(["stop --no-block containerd.service", "daemon-reload"]);
    expect(r.steps.at(-1)!.result).toBe("Ran systemctl --user daemon-reload");
    expect(f.unit.held).toBe(false);
  });

  test("a containerd.service written by someone else is left alone", async () => {
    const f = await fakeSystemd({ files: { [UNIT]: "[Unit]\nDescription=containerd (Rootless)\n" }, unit: { active: true, enabled: true } });
    host = f.h;
    const plan = await planUninstall(host, f.paths, {});
    expect(plan.foreign).toBe(true);
    expect(plan.steps.filter((s) => s.kind !== "remove" || s.path !== UNIT).every((s) => s.kind !== "systemctl")).toBe(true);
    expect(plan.steps.some((s) => s.kind === "remove" && s.path === UNIT)).toBe(false);
  });
});

describe("status", () => {
  test("units, versions, socket, linger and snapshotters", async () => {
    const f = await fakeSystemd({
      files: {
        "/var/lib/systemd/linger/alice": "",
        "/home/alice/.config/containerd/conf.d/fuse-overlayfs.toml": '[proxy_plugins."fuse-overlayfs"]\n  type = "snapshot"\n  address = "/run/user/1000/containerd-fuse-overlayfs.sock"\n',
      },
    });
    host = f.h;
    await applyPlan(host, (await planInstall(host, f.paths)).steps);
    const s = await collectStatus(host, f.paths);
    expect(s.units[0]).toMatchObject({ name: "containerd.service", installed: true, ours: true, enabled: true, active: true, pid: 4242, since: "Mon 2026-11-30 03:02:45 UTC" });
    expect(s.containerd).toMatchObject({ client: "1.6.20", socket: SOCKET, socketExists: true });
    expect(s.rootlesskit.version).toBe("1.1.0");
    expect(s.linger).toBe(true);
    expect(s.snapshotters.proxy.map((p) => p.name)).toEqual(["fuse-overlayfs"]);
    f.unit.active = false;
    const stopped = await collectStatus(host, f.paths);
    expect(stopped.units[0]).toMatchObject({ active: false, state: "inactive (dead)", pid: null, since: null });
  });

  test("settings from rootlessctl info and from a rootlesskit command line", () => {
    expect(flattenInfo({ networkDriver: { driver: "slirp4netns", dns: "10.0.2.3" }, portDriver: { driver: "builtin", protos: ["tcp", "udp"] } })).toEqual({ "networkDriver.driver": "slirp4netns", "networkDriver.dns": "10.0.2.3", "portDriver.driver": "builtin", "portDriver.protos": "tcp,udp" });
    expect(flagsFromCmdline(["rootlesskit", "--net=slirp4netns", "--mtu=65520", "--disable-host-loopback", "/bin/x", "--not-ours=1"].join("\0"))).toEqual({ net: "slirp4netns", mtu: "65520", "disable-host-loopback": "true" });
  });

  test("a broken config file does not break status", async () => {
    host = await makeTestHost({ files: { "/home/alice/.config/containerd/config.toml": "[broken" } });
    const s = await configuredSnapshotters(host, resolvePaths(host.env, host.uid));
    expect(s.proxy).toEqual([]);
  });
});

describe("install --force", () => {
  test("downgrades only a failed RootlessKit smoke test", async () => {
    const { applyForce } = await import("../../src/core/lifecycle/install.ts");
    const findings = [
      { id: "rootlesskit.smoke.failed", level: "error" as const, message: "RootlessKit does not work" },
      { id: "subid.missing", level: "error" as const, message: "no subuid range" },
    ];
    expect(applyForce(findings, false)).toEqual(findings);
    const forced = applyForce(findings, true);
    expect(forced.map((f) => f.level)).toEqual(["warning", "error"]);
    expect(forced[0]!.message).toContain("--force");
  });
});

describe("a containerd.service this tool did not write", () => {
  test("install replaces it and keeps the old one as a backup", async () => {
    const f = await fakeSystemd({ files: { [UNIT]: "[Unit]\nDescription=containerd (Rootless)\n[Service]\nExecStart=/home/alice/bin/containerd-rootless.sh\n" } });
    host = f.h;
    const plan = await planInstall(host, f.paths);
    expect(plan.replacesForeignUnit).toStartWith("/home/alice/.local/share/containerd-rootless-systemd/backups/containerd.service.");
    await applyPlan(host, plan.steps);
    expect(await host.readText(plan.replacesForeignUnit!)).toContain("containerd-rootless.sh");
    expect(await host.readText(UNIT)).toContain("# Created by containerd-rootless-systemd");
  });
});

describe("a new binary", () => {
  test("is copied over the old one and containerd restarted", async () => {
    const f = await fakeSystemd();
    host = f.h;
    await applyPlan(host, (await planInstall(host, f.paths)).steps);
    await host.writeFileAtomic("/home/alice/Downloads/containerd-rootless-systemd", "BINARY-2", 0o755);
    const plan = await planInstall(host, f.paths);
    expect(plan.unitChanged).toBe(false);
    expect(plan.steps.map((s) => (s.kind === "systemctl" ? s.args[0] : s.kind))).toEqual(["copy", "write", "restart", "write", "write", "wait", "wait"]);
    await applyPlan(host, plan.steps);
    expect(await host.readText("/home/alice/.local/bin/containerd-rootless-systemd")).toBe("BINARY-2");
    expect(f.verbs.at(-1)).toBe("restart containerd.service");
  });
});
