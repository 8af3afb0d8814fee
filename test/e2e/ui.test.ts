// The interactive installer for real: the COMPILED binary started with no command in a real
// terminal (tmux, 80x24) as a throwaway user with a real `systemd --user`, driven with keys
// through a full install, asserting the screen at each step, then the running containerd.
// Then: it opens on the status when installed, uninstalls from there; a quit during apply
// rolls back; a resize keeps the screen whole; NO_COLOR leaves no colour sequences.
import { test, expect, afterAll, describe } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { sandboxUser, useSandbox } from "../helpers/e2e.ts";
import { installSnapshotters } from "../helpers/snapshotter-e2e.ts";
import { Terminal } from "../ui/tmux.ts";
import { machine } from "../helpers/machine.ts";

/** The welcome screen's RootlessKit row, with the version the installed program prints. */
const RK_ROW = `RootlessKit   ${machine().rootlesskit.version}`;
/** detach-netns on the choose screen: offered where RootlessKit's --help lists --detach-netns (not ticked on a fresh machine), else "[-]" (not available) */
const DETACH_ROW = machine().rootlesskit.help.detachNetns ? /\[ \] detach-netns/ : /\[-\] detach-netns/;

const USER = sandboxUser("crsui-e2e");
let term: Terminal | null = null;
// registered before useSandbox's teardown, so the installer is gone before its user is
afterAll(() => term?.kill());

let withStandins = "";
const e2e = useSandbox("crsui-e2e", {
  setup: async () => {
    withStandins = (await installSnapshotters(e2e)).path; // the real snapshotter daemons (fuse-overlayfs among them)
  },
  setupTimeoutMs: 180_000,
});

const unitFile = () => `${e2e.sb.home}/.config/systemd/user/containerd.service`;
const override = () => `${e2e.sb.home}/.config/systemd/user/containerd.service.d/override.conf`;

function start(env: Record<string, string> = {}, size = { cols: 80, rows: 24 }, unset: string[] = []): Terminal {
  term?.kill();
  const all: Record<string, string> = { ...e2e.sb.baseEnv(), TERM: "xterm-256color", ...env };
  for (const k of unset) delete all[k];
  const vars = Object.entries(all).map(([k, v]) => `${k}=${v}`);
  term = Terminal.start(USER, ["runuser", "-u", e2e.sb.user, "--", "env", "-i", ...vars, "sh", "-c", `cd ~ && exec ${e2e.bin}`], size);
  return term;
}

/** every row of the screen fits the terminal width and the help line is there */
function whole(screen: string, cols = 80) {
  for (const l of screen.split("\n")) expect(Bun.stringWidth(l)).toBeLessThanOrEqual(cols);
  expect(screen).toMatch(/q quit|Ctrl\+C quit|q stop and undo/);
}

/** a foreground colour (not the reset 39) */
const COLOUR = /\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25];)/;
/** Pages through a scrollable screen from the top until `re` shows. */
async function scrollTo(t: Terminal, re: RegExp): Promise<boolean> {
  t.keys("Home");
  await t.waitFor(/rows 1-/);
  for (let i = 0; i < 10; i++) {
    const before = t.screen();
    if (re.test(before)) return true;
    if (!before.includes("↓ more")) return false;
    t.keys("PageDown");
    await t.waitFor((x) => x !== before);
  }
  return false;
}

/** The row the cursor is on ("› …"). */
const cursorRow = (screen: string) => /^› .*$/m.exec(screen)?.[0] ?? "";
/**
 * Moves the cursor down, one key at a time, each until the cursor row has moved (another
 * re-render, e.g. the bundle's size arriving, must not count as the move: the cursor would
 * overshoot on a busy machine), until its row matches `re`.
 */
async function cursorTo(t: Terminal, re: RegExp, most = 10): Promise<void> {
  for (let i = 0; i < most && !re.test(cursorRow(t.screen())); i++) {
    const before = cursorRow(t.screen());
    t.keys("Down");
    await t.waitFor((x) => cursorRow(x) !== before, 5000);
  }
  expect(cursorRow(t.screen())).toMatch(re);
}

const active = () => e2e.sb.systemctl("is-active", "containerd.service").stdout.trim();
/** the installer's process (the binary started by `start`) */
/** The newest installer process of the user (an earlier test's may still be exiting). */
const installerPid = () => Number(Bun.spawnSync(["pgrep", "-n", "-u", String(e2e.sb.uid), "-f", `^${e2e.bin}$`]).stdout.toString().trim());

/** The plan was applied and the installer left: fuse-overlayfs runs and the real containerd lists it. */
async function expectFuseOverlayfsRegistered(t: Terminal) {
  await t.waitFor("Done: ", 60_000);
  // the done screen says what the add-on set, read back from nerdctl.toml
  const done = await t.waitFor("Snapshotter:", 20_000);
  expect(done.replace(/\s+/g, " ")).toContain(`Snapshotter: nerdctl uses fuse-overlayfs (set in ${e2e.sb.home}/.config/nerdctl/nerdctl.toml).`);
  expect(done).not.toContain("nothing to set");
  t.keys("Enter");
  expect(await t.exited()).toBe(0);
  expect(e2e.sb.systemctl("is-active", "containerd-fuse-overlayfs.service").stdout.trim()).toBe("active");
  const plugins = e2e.run(["nsenter", "--", "ctr", "plugins", "ls"], { env: { PATH: withStandins } });
  expect(plugins.stdout).toMatch(/^io\.containerd\.snapshotter\.v1\s+fuse-overlayfs\s/m);
}

describe("interactive installer in a real terminal", () => {
  test("a failing check (no XDG_RUNTIME_DIR, as under su): its fix is shown and the installer does not go on", async () => {
    const t = start({}, undefined, ["XDG_RUNTIME_DIR"]);
    await t.waitFor(RK_ROW, 20_000);
    t.keys("Enter");
    let s = await t.waitFor("r check again", 30_000);
    expect(s).toContain("✗ Checking RootlessKit functionality");
    expect(s).toContain("✗ XDG_RUNTIME_DIR is not set");
    expect(s).toContain(`fix: export XDG_RUNTIME_DIR=/run/user/${e2e.sb.uid}`);
    expect(await scrollTo(t, /problems? must be fixed before installing/)).toBe(true);
    // Enter is refused with fatal findings: keys are handled in order, so once Home has
    // scrolled back to the top, the Enter before it was handled on this same screen
    t.keys("Enter", "Home");
    s = await t.waitFor(/rows 1-/);
    expect(s.split("\n")[0]).toContain("· Checks");
    expect(s).toContain("Esc back · q quit");
    // Esc goes back to the welcome, as on every other screen; q then quits
    t.keys("Escape");
    s = await t.waitFor("Enter run the checks");
    expect(s.split("\n")[0]).toContain("· Welcome");
    expect(t.exitStatus()).toBeNull();
    t.keys("q");
    expect(await t.exited()).toBe(0);
    expect(existsSync(unitFile())).toBe(false);
  }, 90_000);

  test("a quit during apply finishes the current step, rolls back, exits 130: nothing is left", async () => {
    const t = start();
    await t.waitFor(RK_ROW);
    t.keys("Enter");
    await t.waitFor("Requirements are satisfied.", 30_000);
    t.keys("Enter");
    await t.waitFor(DETACH_ROW); // the add-ons are listed
    t.keys("Enter");
    await t.waitFor("65520 (default)");
    t.keys("Enter");
    await t.waitFor("Enter apply", 15_000);
    t.keys("Enter");
    await t.waitFor("Applying");
    t.keys("q");
    const s = await t.waitFor("Cancelled.", 30_000);
    expect(s).toContain("What this run changed was undone");
    expect(await t.exited()).toBe(130);
    // the frame left on the terminal says what happened, not "Stopping after the current step"
    const last = t.screen();
    expect(last).not.toContain("Stopping after the current step");
    expect(last).toContain("Cancelled: what this run changed was undone; the machine is as it was before.");
    expect(existsSync(unitFile())).toBe(false);
    expect(existsSync(`${e2e.sb.home}/.local/bin/containerd-rootless-systemd`)).toBe(false);
    expect(active()).not.toBe("active");
  }, 90_000);

  test("the review lists the same steps, in the same order and words, as the headless `apply --dry-run` of the same choices", async () => {
    // one setting and one add-on, as a desired-state file for the headless side
    const file = `${e2e.sb.home}/ui-choices.toml`;
    e2e.sb.writeFile(file, 'addons = ["fuse-overlayfs"]\n\n[containerd]\ninstalled = true\n\n[settings]\nmtu = 1500\n');
    const dry = e2e.run(["apply", "-f", file, "--dry-run"], { env: { PATH: withStandins }, timeoutMs: 60_000 });
    expect(dry.code).toBe(0);
    const headless = [...dry.stdout.matchAll(/^ *\d+\. (.*)$/gm)].map((m) => m[1]!);
    expect(headless.length).toBeGreaterThan(4);
    // a screen tall and wide enough for the whole review: every label on one row, no scrolling
    const t = start({ PATH: withStandins }, { cols: 160, rows: 120 });
    await t.waitFor(RK_ROW, 20_000);
    t.keys("Enter");
    await t.waitFor("Requirements are satisfied.", 30_000);
    t.keys("Enter");
    await t.waitFor("fuse-overlayfs snapshotter");
    await cursorTo(t, /› \[ \] fuse-overlayfs/);
    t.keys("Space");
    await t.waitFor("[x] fuse-overlayfs snapshotter");
    t.keys("Enter");
    await t.waitFor("65520 (default)");
    t.keys("Down", "Down");
    t.type("1500");
    await t.waitFor(/MTU\s+1500/);
    t.keys("Enter");
    const s = await t.waitFor("Enter apply", 30_000);
    const body = s.split("\n");
    const from = body.findIndex((l) => /^Install containerd.*: \d+ steps\.$/.test(l));
    const to = body.findIndex((l) => l.startsWith("Then the add-ons"));
    expect(from).toBeGreaterThan(0);
    // a label starts at column 0; the why and the diffs under it are indented
    const ui = body.slice(from + 1, to).filter((l) => /^\S/.test(l)).map((l) => l.trimEnd());
    expect(ui).toEqual(headless);
    expect(s).toContain("Then the add-ons (fuse-overlayfs)");
    t.keys("q");
    expect(await t.exited()).toBe(0);
    expect(existsSync(unitFile())).toBe(false);
  }, 120_000);

  test("full install: welcome -> checks -> choose -> settings -> review -> apply -> done", async () => {
    const t = start();
    // welcome: the environment summary
    let s = await t.waitFor(RK_ROW);
    for (const x of [`User          ${USER}`, `Distribution  ${machine().os}`, "Kernel", "cgroup        v1 (hybrid", `containerd    ${machine().containerd}`, "Enter run the checks · ↑↓ PgUp PgDn scroll · q quit"]) expect(s).toContain(x);
    whole(s);
    // checks: live, then the verdict; the hybrid cgroup warning with its fix
    t.keys("Enter");
    s = await t.waitFor("Requirements are satisfied.", 30_000);
    expect(s).toContain("✓ Checking RootlessKit functionality");
    expect(s).toContain("! Checking cgroup v2");
    whole(s);
    // choose: add-ons with availability (Debian packages none of their daemons)
    t.keys("Enter");
    s = await t.waitFor(DETACH_ROW);
    expect(s).toContain("[x] containerd");
    expect(s).toContain("not available"); // BuildKit and bypass4netns: Debian packages neither daemon
    whole(s);
    // settings: validated as typed
    t.keys("Enter");
    s = await t.waitFor("65520 (default)");
    expect(s).toContain("slirp4netns (default)");
    expect(s).toContain("65520 (default)");
    t.keys("Down", "Down");
    t.type("70000");
    s = await t.waitFor("out of range: the MTU must be from 576 to 65520");
    t.keys("Enter"); // refused while invalid
    await Bun.sleep(100);
    expect(t.screen()).toContain("Leave a value empty");
    t.keys("BSpace", "BSpace", "BSpace", "BSpace", "BSpace");
    t.type("1500");
    await t.waitFor((x) => x.includes("1500") && !x.includes("out of range"));
    // a resize keeps the screen whole
    t.resize(100, 30);
    // laid out for 30 rows: the help line on the second-to-last row
    s = await t.waitFor((x) => x.split("\n")[28]?.includes("Ctrl+C quit") ?? false);
    whole(s, 100);
    t.resize(80, 24);
    // redrawn for 24 rows (a shrinking pane scrolls the old frame up: the title would be gone)
    s = await t.waitFor((x) => x.split("\n")[0]!.includes("· Settings") && (x.split("\n")[22]?.includes("Ctrl+C quit") ?? false));
    whole(s);
    // review: files with diffs and commands
    t.keys("Enter");
    s = await t.waitFor((x) => x.split("\n")[22]?.includes("Enter apply") ?? false, 15_000);
    expect(s).toContain("Write ~/.config/systemd/user/containerd.service.d/override.conf");
    expect(s).toContain("(MTU 1500)");
    expect(s).toContain('+Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"');
    t.keys("PageDown", "PageDown", "PageDown");
    s = await t.waitFor("Start containerd.service");
    expect(s).toContain("Enable containerd.service"); // before the start: systemd reads the new unit when it starts it, no reload
    whole(s);
    // apply, then done with next steps
    t.keys("Enter");
    await t.waitFor("Done: ", 60_000);
    s = await t.waitFor("Snapshotter:", 20_000); // the next steps, once the machine's state is read
    const text = s.replace(/\n +/g, " ");
    // the client the user has: Debian packages no nerdctl, so the hint says how to get it and how to reach containerd now
    if (Bun.which("nerdctl", { PATH: e2e.sb.baseEnv().PATH })) expect(text).toContain("Use `nerdctl` to connect to the rootless containerd.");
    else {
      expect(text).toContain("nerdctl is not installed (Debian has no package for it): `containerd-rootless-systemd components install` fetches nerdctl-full, which has it.");
      expect(text).toContain("Until then, reach containerd with ctr: `containerd-rootless-systemd nsenter -- ctr version`.");
    }
    expect(text).toContain(`sudo loginctl enable-linger ${USER}`);
    expect(text).toContain("Snapshotter: the default overlayfs works rootless here");
    // verify's probes on the new containerd, their outcome right under "Done"
    s = await t.waitFor("Containers work: 8 probes", 60_000);
    expect(s.indexOf("Containers work: 8 probes")).toBeLessThan(s.indexOf("To control containerd.service"));
    t.keys("Enter");
    expect(await t.exited()).toBe(0);
    // the running containerd, with the chosen MTU
    expect(active()).toBe("active");
    expect(readFileSync(override(), "utf8")).toContain('CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"');
    expect(e2e.rootlesskitArgs()).toContain("--mtu=1500");
    const v = e2e.run(["nsenter", "--", "ctr", "version"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/Server:\s*\n\s*Version:\s+1\.\d+/);
  }, 120_000);

  test("installed: change a setting from the status; containerd restarts with it", async () => {
    const t = start();
    await t.waitFor("mtu = 1500", 20_000);
    t.keys("s");
    let s = await t.waitFor(/MTU\s+1500/);
    t.keys("Down", "Down", "BSpace", "BSpace", "BSpace");
    t.type("400");
    await t.waitFor(/MTU\s+1400/);
    t.keys("Enter");
    s = await t.waitFor("Enter apply", 15_000);
    expect(s).toContain('-Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1500"');
    expect(s).toContain('+Environment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"');
    expect(s).toContain("Restart containerd.service");
    // exactly the MTU change: detach-netns, "installed" where it is in effect by default (RootlessKit >= 2.0), is not planned
    expect(s).toMatch(/^Change settings: /m);
    expect(s).not.toContain("detach-netns");
    expect(s).not.toContain("DETACH_NETNS");
    t.keys("Enter");
    await t.waitFor("Done: ", 60_000);
    t.keys("Enter");
    expect(await t.exited()).toBe(0);
    expect(e2e.rootlesskitArgs()).toContain("--mtu=1400");
  }, 90_000);

  test("installed: add an add-on from the status; the real containerd registers it", async () => {
    const t = start({ PATH: withStandins });
    await t.waitFor("a add-ons", 20_000);
    t.keys("a");
    // the status screen lists the add-ons too: wait for the checklist itself, with its cursor
    const cursorLine = (x: string) => x.split("\n").findIndex((l) => l.startsWith("›"));
    let s = await t.waitFor((x) => x.includes("Choose what to install") && x.includes("fuse-overlayfs snapshotter") && cursorLine(x) >= 0);
    // move to the fuse-overlayfs entry and tick it
    for (let i = 0; i < 6 && !/› \[ \] fuse-overlayfs/.test(t.screen()); i++) {
      // one key at a time, each until the cursor has moved (a busy machine redraws slowly)
      const from = cursorLine(t.screen());
      t.keys("Down");
      await t.waitFor((x) => cursorLine(x) !== from, 10_000);
    }
    t.keys("Space");
    await t.waitFor("[x] fuse-overlayfs snapshotter");
    t.keys("Enter");
    await t.waitFor(/MTU\s+1400/);
    t.keys("Enter");
    s = await t.waitFor("Enter apply", 30_000);
    expect(s).toMatch(/^Change add-ons: add fuse-overlayfs: /m); // and nothing else: not detach-netns, in effect by default where RootlessKit >= 2.0
    expect(s).not.toContain("DETACH_NETNS");
    t.keys("Enter");
    await expectFuseOverlayfsRegistered(t);
  }, 120_000);

  test("installed: opens on the status; NO_COLOR leaves no colour; uninstall from there", async () => {
    const t = start({ NO_COLOR: "1", PATH: withStandins });
    let s = await t.waitFor("containerd.service  active", 20_000);
    expect(s).toContain("· Installed");
    expect(s).toContain("mtu = 1400");
    expect(s).toContain("[x] fuse-overlayfs snapshotter  installed");
    expect(s).toContain("u uninstall");
    expect(t.screen(true)).not.toMatch(COLOUR);
    t.keys("u");
    s = await t.waitFor("Enter apply", 15_000);
    expect(s).toContain("Uninstall:");
    expect(s).toContain("Uninstall: ");
    expect(s).toContain("Stop and disable containerd-fuse-overlayfs.service"); // add-ons first
    expect(await scrollTo(t, /^(Stop|Stop and disable) containerd\.service/m)).toBe(true);
    t.keys("Enter");
    s = await t.waitFor("Done: ", 30_000);
    // the next steps appear once the done screen has read the machine's state; what is kept (and how to purge it) is the last
    // of them, below the fold at 80x24: End until it shows (End before they are read scrolls a shorter page)
    const joined = (screen: string) => screen.replace(/\n +/g, " ");
    for (let i = 0; i < 30 && !joined(s).includes("uninstall --purge"); i++) {
      t.keys("End");
      s = await t.waitFor((screen) => joined(screen).includes("uninstall --purge"), 1000).catch(() => t.screen());
    }
    expect(joined(s)).toContain("Images, containers and configuration are kept");
    expect(joined(s)).toContain("uninstall --purge");
    t.keys("q");
    expect(await t.exited()).toBe(0);
    expect(existsSync(unitFile())).toBe(false);
    expect(existsSync(`${e2e.sb.home}/.config/systemd/user/containerd-fuse-overlayfs.service`)).toBe(false);
    expect(active()).not.toBe("active");
    expect(existsSync(`${e2e.sb.home}/.local/share/containerd`)).toBe(true); // data kept
  }, 90_000);

  test("fresh install with an add-on: containerd first, then the add-on's own plan, reviewed, applied", async () => {
    const t = start({ PATH: withStandins });
    await t.waitFor(RK_ROW, 20_000);
    t.keys("Enter");
    await t.waitFor("Requirements are satisfied.", 30_000);
    t.keys("Enter");
    await t.waitFor("fuse-overlayfs snapshotter");
    await cursorTo(t, /› \[ \] fuse-overlayfs/);
    t.keys("Space");
    await t.waitFor("[x] fuse-overlayfs snapshotter");
    t.keys("Enter");
    // uninstall kept the settings drop-in (configuration is kept without --purge): shown as the current value
    await t.waitFor(/MTU\s+1400/);
    t.keys("Enter");
    let s = await t.waitFor("Enter apply", 15_000);
    expect(s).toContain("Install containerd (add-ons next)");
    expect(await scrollTo(t, /Then the add-ons \(fuse-overlayfs\)/)).toBe(true);
    t.keys("Enter");
    // containerd is up: the add-on's plan, made against the running containerd
    s = await t.waitFor("add fuse-overlayfs", 60_000);
    expect(active()).toBe("active");
    expect(existsSync(`${e2e.sb.home}/.config/systemd/user/containerd-fuse-overlayfs.service`)).toBe(false); // not before it is confirmed
    await t.waitFor("Enter apply");
    t.keys("Enter");
    await expectFuseOverlayfsRegistered(t);
  }, 120_000);

  test("with colours by default (no NO_COLOR)", async () => {
    const t = start();
    await t.waitFor("containerd.service  active", 20_000); // installed by the test before
    expect(t.screen(true)).toMatch(COLOUR);
    t.keys("C-c");
    expect(await t.exited()).toBe(0);
  }, 30_000);

  test("SIGTERM during apply is a quit request: the step finishes, the change is rolled back, exit 130", async () => {
    const t = start({ PATH: withStandins }); // the installed add-on's daemon must be found
    await t.waitFor("mtu = 1400", 20_000);
    t.keys("s");
    await t.waitFor(/MTU\s+1400/);
    // the form takes keys from its first frame (ui/contexts/keys-context.tsx): the first Down is not lost
    t.keys("Down");
    await t.waitFor("› Network driver");
    t.keys("Down");
    await t.waitFor("› MTU");
    t.keys("BSpace", "BSpace", "BSpace", "BSpace");
    t.type("9000");
    await t.waitFor(/MTU\s+9000/);
    t.keys("Enter");
    await t.waitFor("Enter apply", 15_000);
    const pid = installerPid();
    expect(pid).toBeGreaterThan(0);
    t.keys("Enter");
    await t.waitFor("Applying");
    process.kill(pid, "SIGTERM");
    const s = await t.waitFor("Cancelled.", 30_000);
    expect(s).toContain("What this run changed was undone");
    expect(await t.exited()).toBe(130);
    expect(t.screen()).toContain("Cancelled: what this run changed was undone; the machine is as it was before.");
    expect(readFileSync(override(), "utf8")).toContain('CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400"');
    expect(active()).toBe("active");
    expect(e2e.rootlesskitArgs()).toContain("--mtu=1400");
  }, 90_000);

  test("SIGTERM while nothing is being applied: exits at once, 0", async () => {
    const t = start();
    await t.waitFor("containerd.service  active", 20_000);
    const pid = installerPid();
    process.kill(pid, "SIGTERM");
    expect(await t.exited()).toBe(0);
  }, 30_000);
});
