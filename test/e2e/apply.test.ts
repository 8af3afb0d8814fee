// `apply -f` for real: the compiled binary converges a fresh user to examples/minimal.toml
// (containerd installed, RootlessKit MTU 1500) under a real systemd --user; the second run
// changes nothing; `status --export` writes back a file that applies with no change; a file
// with an error is refused with its key and line, and nothing changes.
import { test, expect } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ROOT, useSandbox } from "../helpers/e2e.ts";
import { installSnapshotters } from "../helpers/snapshotter-e2e.ts";
import { machine } from "../helpers/machine.ts";

// the snapshotter add-ons run their real daemons; Debian packages no BuildKit: its stand-in
const WITH_STANDINS = { PATH: "" };
const e2e = useSandbox("crsap-e2e-apply", {
  setup: async () => {
    for (const f of ["minimal.toml", "rootless.yaml"]) e2e.sb.writeFile(join(e2e.sb.home, f), readFileSync(join(ROOT, "examples", f), "utf8"));
    WITH_STANDINS.PATH = (await installSnapshotters(e2e)).path;
  },
  setupTimeoutMs: 180_000,
});
const unitFile = () => join(e2e.sb.home, ".config/systemd/user/containerd.service");
const override = () => join(e2e.sb.home, ".config/systemd/user/containerd.service.d/override.conf");
const mainPid = () => e2e.show("containerd.service", "MainPID");
const rootlesskitArgs = e2e.rootlesskitArgs;

test("apply -f examples/minimal.toml installs containerd with MTU 1500; the second run reports no change", () => {
  const dry = e2e.run(["apply", "-f", "minimal.toml", "--dry-run", "--json"], { timeoutMs: 60_000 });
  expect(dry.code).toBe(0);
  expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, changed: false, items: [{ item: "containerd", action: "install" }, { item: "settings", action: "update" }] });
  expect(existsSync(unitFile())).toBe(false);
  expect(existsSync(override())).toBe(false);

  const first = e2e.run(["apply", "-f", "minimal.toml", "--yes", "--json"], { timeoutMs: 90_000 });
  expect(first.code).toBe(0);
  const report = JSON.parse(first.stdout);
  expect(report).toMatchObject({ command: "apply", changed: true, dryRun: false });
  expect(report.items.filter((i: { changed: boolean }) => i.changed).map((i: { item: string }) => i.item)).toEqual(["containerd", "settings"]);
  expect(readFileSync(override(), "utf8")).toBe(`[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"\n`);
  expect(e2e.sb.systemctl("is-active", "containerd.service").stdout.trim()).toBe("active");
  // the settings were written before containerd first started: it never needed a restart
  expect(rootlesskitArgs()).toContain("--mtu=1500");
  expect(e2e.sb.systemctl("show", "-P", "NRestarts", "containerd.service").stdout.trim()).toBe("0");

  const pid = mainPid();
  const unitMtime = statSync(unitFile()).mtimeMs;
  const second = e2e.run(["apply", "-f", "minimal.toml", "--yes", "--json"], { timeoutMs: 60_000 });
  expect(second.code).toBe(0);
  const again = JSON.parse(second.stdout);
  expect(again.changed).toBe(false);
  expect(again.restartedContainerd).toBe(false);
  expect(again.items.every((i: { changed: boolean }) => !i.changed)).toBe(true);
  expect(mainPid()).toBe(pid);
  expect(statSync(unitFile()).mtimeMs).toBe(unitMtime);

  const human = e2e.run(["apply", "-f", "minimal.toml", "--yes"], { timeoutMs: 60_000 });
  expect(human.code).toBe(0);
  expect(human.stdout).toContain("everything is already as desired; nothing changed");

  // a change ends with the same one-line summary as install and the add-ons (issue 16)
  e2e.sb.writeFile(join(e2e.sb.home, "mtu1400.toml"), "[settings]\nmtu = 1400\n");
  const changedRun = e2e.run(["apply", "-f", "mtu1400.toml", "--yes"], { timeoutMs: 90_000 });
  expect(changedRun.code).toBe(0);
  expect(changedRun.stdout).toContain("[INFO] Applied mtu1400.toml. Summary: 1 setting changed; nothing else touched.");
  const back = e2e.run(["apply", "-f", "minimal.toml", "--yes"], { timeoutMs: 90_000 });
  expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0); // its output when it fails (once in a full Debian 13 run)
  expect(rootlesskitArgs()).toContain("--mtu=1500");
}, 240_000);

test("status --export writes back a file that applies with no change, in each format", () => {
  for (const format of ["toml", "yaml", "json"]) {
    const exp = e2e.run(["status", "--export", "--format", format]);
    expect(exp.code).toBe(0);
    expect(exp.stdout).toMatch(format === "json" ? /"mtu": 1500/ : format === "yaml" ? /mtu: 1500/ : /mtu = 1500/);
    const file = join(e2e.sb.home, `exported.${format}`);
    e2e.sb.writeFile(file, exp.stdout);
    const r = e2e.run(["apply", "-f", file, "--yes", "--json"], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).changed).toBe(false);
  }
  // stdin, format from the content
  const piped = e2e.run(["apply", "-f", "-", "--yes", "--json"], { input: e2e.run(["status", "--export", "--format", "json"]).stdout, timeoutMs: 60_000 });
  expect(piped.code).toBe(0);
  expect(JSON.parse(piped.stdout).changed).toBe(false);
}, 120_000);

test("a file with an error is refused with its key and line; nothing changes", () => {
  const before = readFileSync(override(), "utf8");
  const unitBefore = readFileSync(unitFile(), "utf8");
  const pid = mainPid();
  const cases: [text: string, name: string, expected: string][] = [
    ["[containerd]\ninstalled = true\n\n[settings]\nmtu = 9000\nnet = \"wifi\"\n", "bad.toml", "bad.toml:6:1: settings.net: expected one of:"],
    // valid syntax and values, impossible here: detach-netns where RootlessKit's --help has no --detach-netns (< 2.0); where it has, with the slirp4netns sandbox, which conflicts with it
    machine().rootlesskit.help.detachNetns
      ? ["containerd:\n  installed: true\nsettings:\n  mtu: 1400\n  detach-netns: true\n  slirp4netns-sandbox: true\n", "bad.yaml", "bad.yaml:6:3: settings.slirp4netns-sandbox: --slirp4netns-sandbox=true conflicts with detach-netns"]
      : ["containerd:\n  installed: true\nsettings:\n  mtu: 1400\n  detach-netns: true\n", "bad.yaml", "bad.yaml:5:3: settings.detach-netns: --detach-netns=true needs RootlessKit >= 2.0"],
    // an add-on whose daemon Debian does not package
    ['{"containerd": {"installed": true},\n "addons": ["stargz"]}', "bad.json", "bad.json:2:13: addons: stargz: cannot be installed here"],
  ];
  for (const [text, name, expected] of cases) {
    e2e.sb.writeFile(join(e2e.sb.home, name), text);
    const r = e2e.run(["apply", "-f", name, "--yes"], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(expected);
    expect(r.stderr).toContain("nothing was changed");
    expect(readFileSync(override(), "utf8")).toBe(before);
    expect(readFileSync(unitFile(), "utf8")).toBe(unitBefore);
    expect(mainPid()).toBe(pid);
  }
  expect(rootlesskitArgs()).toContain("--mtu=1500");
}, 120_000);

interface Report {
  changed: boolean;
  restartedContainerd: boolean;
  items: { item: string; action: string; changed: boolean }[];
  steps: { target: string; changed: boolean }[];
}
const restarts = (r: Report) => r.steps.filter((s) => s.changed && s.target === "systemctl --user restart containerd.service").length;
const changedItems = (r: Report) => r.items.filter((i) => i.changed).map((i) => `${i.item} ${i.action}`);

test("settings, add-ons and snapshotter together: containerd restarted once; again: nothing; then everything removed", () => {
  const pid = mainPid();
  const setup = "containerd:\n  installed: true\nsettings:\n  mtu: 1400\naddons:\n  - stargz\n  - name: buildkit\n    worker: oci\nsnapshotter: native\n";
  e2e.sb.writeFile(join(e2e.sb.home, "full.yaml"), setup);
  // BuildKit's stand-in cannot build: verify's probes (which build) are skipped here; verify.test.ts has them
  const r = e2e.run(["apply", "-f", "full.yaml", "--yes", "--json", "--no-verify"], { env: WITH_STANDINS, timeoutMs: 120_000 });
  expect(r.stderr).not.toContain("[ERROR]");
  expect(r.code).toBe(0);
  const report: Report = JSON.parse(r.stdout);
  // the stand-ins' directory on the caller's PATH does not reach containerd.service's PATH (it holds
  // nothing the service runs): the unit is unchanged, and containerd restarts once for the rest
  expect(changedItems(report)).toEqual(["settings update", "addon:stargz install", "addon:buildkit install", "snapshotter set"]);
  expect(restarts(report)).toBe(1);
  expect(report.restartedContainerd).toBe(true);
  expect(mainPid()).not.toBe(pid);
  expect(rootlesskitArgs()).toContain("--mtu=1400");
  for (const unit of ["stargz-snapshotter.service", "buildkit.service"]) expect(e2e.sb.systemctl("is-active", unit).stdout.trim()).toBe("active");
  expect(readFileSync(join(e2e.sb.home, ".config/nerdctl/nerdctl.toml"), "utf8")).toContain('snapshotter = "native"');
  expect(readFileSync(join(e2e.sb.home, ".config/containerd/conf.d/stargz.toml"), "utf8")).toContain("containerd-stargz-grpc.sock");

  const after = mainPid();
  const again: Report = JSON.parse(e2e.run(["apply", "-f", "full.yaml", "--yes", "--json"], { env: WITH_STANDINS, timeoutMs: 60_000 }).stdout);
  expect(again.changed).toBe(false);
  expect(restarts(again)).toBe(0);
  expect(mainPid()).toBe(after);

  const exported = e2e.run(["status", "--export", "--format", "yaml"], { env: WITH_STANDINS }).stdout;
  expect(exported).toContain("mtu: 1400");
  expect(exported).toMatch(/addons:\n\s+- stargz\n\s+- buildkit\n/);
  expect(exported).toContain("snapshotter: native");

  // back to the minimal file: settings reset to mtu 1500, add-ons removed, nerdctl's default given back
  const back: Report = JSON.parse(e2e.run(["apply", "-f", "minimal.toml", "--yes", "--json"], { env: WITH_STANDINS, timeoutMs: 120_000 }).stdout);
  expect(changedItems(back)).toEqual(["settings update", "addon:stargz remove", "addon:buildkit remove"]);
  expect(restarts(back)).toBe(1);
  expect(rootlesskitArgs()).toContain("--mtu=1500");
  expect(existsSync(join(e2e.sb.home, ".config/systemd/user/stargz-snapshotter.service"))).toBe(false);
  expect(existsSync(join(e2e.sb.home, ".config/systemd/user/buildkit.service"))).toBe(false);
}, 240_000);

test("both snapshotter add-ons: one default and true messages, the key decides when given, a second run changes nothing; nerdctl.toml behind a symlink stays a link", () => {
  const home = e2e.sb.home;
  const dotfile = join(home, "dotfiles/nerdctl.toml");
  const link = join(home, ".config/nerdctl/nerdctl.toml");
  const mine = '# from my dotfiles\nnamespace = "default"\n';
  mkdirSync(join(home, ".config/nerdctl"), { recursive: true });
  rmSync(link, { force: true }); // the previous test's nerdctl.toml: the user's own file is now the dotfile
  e2e.sb.writeFile(dotfile, mine);
  symlinkSync(dotfile, link);
  expect(Bun.spawnSync(["chown", "-hR", `${e2e.sb.user}:`, join(home, "dotfiles"), join(home, ".config/nerdctl")]).exitCode).toBe(0);
  const both = "containerd:\n  installed: true\nsettings:\n  mtu: 1500\naddons:\n  - fuse-overlayfs\n  - stargz\n";
  const run = (file: string, text: string) => {
    e2e.sb.writeFile(join(home, file), text);
    const r = e2e.run(["apply", "-f", file, "--yes"], { env: WITH_STANDINS, timeoutMs: 120_000 });
    expect(r.stderr).not.toContain("[ERROR]");
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const again = (file: string) => {
    const r: Report = JSON.parse(e2e.run(["apply", "-f", file, "--yes", "--json"], { env: WITH_STANDINS, timeoutMs: 60_000 }).stdout);
    expect(changedItems(r)).toEqual([]);
    expect(r.changed).toBe(false);
  };

  // no snapshotter key: the last add-on installed is the default, and only it says so
  const out = run("both.yaml", both);
  expect(out).toContain("nerdctl now uses the stargz snapshotter by default");
  expect(out).not.toContain("nerdctl now uses the fuse-overlayfs snapshotter");
  expect(out).toContain("`nerdctl --snapshotter=fuse-overlayfs` uses it");
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readFileSync(dotfile, "utf8")).toStartWith(mine);
  expect(readFileSync(dotfile, "utf8")).toContain('snapshotter = "stargz"');
  again("both.yaml");

  // the key decides, written through the link; again: nothing
  run("key.yaml", `${both}snapshotter: fuse-overlayfs\n`);
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readFileSync(dotfile, "utf8")).toContain('snapshotter = "fuse-overlayfs"');
  again("key.yaml");
  // the key left out again: the default stays as it is
  again("both.yaml");
  expect(readFileSync(dotfile, "utf8")).toContain('snapshotter = "fuse-overlayfs"');

  // back to minimal: both go, the user's file comes back byte for byte, still behind the link
  run("minimal.toml", readFileSync(join(ROOT, "examples/minimal.toml"), "utf8"));
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readFileSync(dotfile, "utf8")).toBe(mine);
}, 300_000);

test("containerd does not come up with the new settings: the run is rolled back, containerd runs with the old ones", () => {
  const before = readFileSync(override(), "utf8");
  e2e.sb.writeFile(join(e2e.sb.home, "broken.toml"), '[settings]\nmtu = 1500\nflags = "--no-such-rootlesskit-flag"\n');
  const r = e2e.run(["apply", "-f", "broken.toml", "--yes"], { env: WITH_STANDINS, timeoutMs: 120_000 });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("[WARNING] Undoing: restore " + override());
  expect(readFileSync(override(), "utf8")).toBe(before);
  expect(e2e.sb.systemctl("is-active", "containerd.service").stdout.trim()).toBe("active");
  expect(rootlesskitArgs()).not.toContain("--no-such-rootlesskit-flag");
  const again = e2e.run(["apply", "-f", "minimal.toml", "--yes", "--json"], { env: WITH_STANDINS, timeoutMs: 60_000 });
  expect(JSON.parse(again.stdout).changed).toBe(false);
}, 180_000);

test("containerd.installed = false uninstalls it; images and settings files are the user's to purge", () => {
  e2e.sb.writeFile(join(e2e.sb.home, "off.toml"), "[containerd]\ninstalled = false\n");
  const r = e2e.run(["apply", "-f", "off.toml", "--yes", "--json"], { timeoutMs: 60_000 });
  expect(r.code).toBe(0);
  expect(changedItems(JSON.parse(r.stdout))).toEqual(["containerd uninstall"]);
  expect(existsSync(unitFile())).toBe(false);
  expect(e2e.sb.systemctl("is-active", "containerd.service").stdout.trim()).not.toBe("active");
  const again = e2e.run(["apply", "-f", "off.toml", "--yes", "--json"], { timeoutMs: 60_000 });
  expect(JSON.parse(again.stdout).changed).toBe(false);
}, 120_000);
