// The fault matrix, on the compiled binary as a throwaway user with a real `systemd --user`,
// RootlessKit and containerd. CRS_TEST_KILL_AFTER_STEP=N makes the binary SIGKILL itself right
// after its Nth step, CRS_TEST_KILL_INSIDE=POINT:N at the Nth arrival at a moment inside a step (a
// copy half written, a file written but not renamed, renamed but not journaled, a step's work done
// but not recorded). For every step boundary, and one such moment of each kind (the first of its
// kind, test/helpers/kill-trace.ts), of install, uninstall,
// configure, apply -f and an add-on install the next run (`status`) must find the journal, say what
// was interrupted and leave the machine exactly as before the killed run or exactly as the complete
// run leaves it: every file under ~/.config, ~/.local and the state directory (bytes and mode;
// containerd's own data under ~/.local/share/{containerd,cni} is its store, not ours, and is left
// out) and the units' is-active/is-enabled (test/helpers/fault-matrix.ts). Then: 20 runs at once, a
// full disk, a read-only ~/.config, a foreign unit, a garbage config.toml, containerd crash-looping
// into systemd's start limit, a corrupted override.conf, the user manager stopping mid-run,
// XDG_RUNTIME_DIR=/tmp, and a 0600 config.toml after an add-on.
// Each `held(...)` call counts a scenario instance that held, for the README's table.
import { test, expect, describe, afterAll } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, chownSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../scripts/sandbox.ts";
import { useSandbox } from "../helpers/e2e.ts";
import { installSnapshotters } from "../helpers/snapshotter-e2e.ts";
import { faultMatrix, held, heldCounts, INSIDE, STATE, type Killable } from "../helpers/fault-matrix.ts";

let standins: string;
const e2e = useSandbox("crsflt", {
  setup: async () => void (standins = (await installSnapshotters(e2e)).path),
  setupTimeoutMs: 240_000,
});
afterAll(() => {
  for (const line of heldCounts()) console.log(line);
});

function cli(args: string[], env: Record<string, string> = {}) {
  return e2e.run(args, { env: { PATH: standins, ...env }, timeoutMs: 120_000 });
}
const mustRun = (...args: string[]) => {
  const r = cli(args);
  if (r.code !== 0) throw new Error(`${args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
};
const home = () => e2e.sb.home;
const { machineState, settled, killMatrix, killInside } = faultMatrix(e2e, cli);

describe("faults", () => {
  // each command's states are taken by its step-boundary test; its in-step tests follow it
  const install: Killable = { name: "install", args: ["install", "--yes"], before: [], after: [], reset: () => void mustRun("uninstall", "--yes") };
  const uninstall: Killable = { name: "uninstall", args: ["uninstall", "--yes"], before: [], after: [], reset: () => void mustRun("install", "--yes") };
  const resetMtu = () => void mustRun("configure", "--reset", "mtu", "--yes");
  const apply: Killable = { name: "apply -f", args: [], before: [], after: [], reset: resetMtu };
  const configure: Killable = { name: "configure", args: ["configure", "--mtu", "1400", "--yes"], before: [], after: [], reset: resetMtu };
  const stargzUnits = ["containerd.service", "stargz-snapshotter.service"];
  const stargz: Killable = { name: "install stargz", args: ["install", "stargz", "--yes"], units: stargzUnits, before: [], after: [], reset: () => void mustRun("uninstall", "stargz", "--yes") };

  /**
   * Inside `k`'s steps, at each point: one kill at each kind of moment (the journal's own writes
   * included) no earlier matrix killed at; install's come first and take most kinds, the others
   * add theirs (a replaced file, a backup, a unit restarted or stopped, a file moved aside). Only
   * install copies a file (the binary), so only its matrix has "copy-half".
   */
  function inStep(k: Killable, points = ["written", "renamed", "step-done"]) {
    for (const point of points) {
      test(`SIGKILL ${INSIDE[point]!.where}, at each kind of such moment of ${k.name}: the next run converges, nothing half-written is left`, async () => {
        const { moments, killed } = await killInside(k, point);
        expect(moments, `${k.name} reaches ${point}`).toBeGreaterThan(0);
        if (k === install) expect(killed.length).toBeGreaterThan(0);
      }, 1_200_000);
    }
  }

  test("SIGKILL after every step of install: the next run rolls it back (or finishes it)", async () => {
    mustRun("install", "--yes");
    await settled();
    install.after = uninstall.before = machineState();
    expect(install.after.at(-1)).toBe("containerd.service active enabled");
    mustRun("uninstall", "--yes");
    install.before = uninstall.after = machineState(); // what uninstall leaves: the emptied directories stay
    expect(install.before.at(-1)).toBe("containerd.service absent");
    expect(install.before.join("\n")).not.toContain("containerd.service 644");
    expect(await killMatrix(install)).toBeGreaterThan(3);
  }, 600_000);
  inStep(install, Object.keys(INSIDE));

  test("SIGKILL after every step of uninstall: rolled back to the installed state (or finished)", async () => {
    mustRun("install", "--yes");
    await settled();
    expect(await killMatrix(uninstall)).toBeGreaterThan(1);
  }, 600_000);
  inStep(uninstall);

  test("SIGKILL after every step of apply -f (a new MTU for a running containerd)", async () => {
    const file = join(home(), "setup.toml");
    e2e.sb.writeFile(file, "addons = []\n\n[containerd]\ninstalled = true\n\n[settings]\nmtu = 1400\n");
    apply.args = ["apply", "-f", file, "--yes"];
    mustRun(...apply.args);
    await settled();
    apply.after = machineState();
    resetMtu();
    await settled();
    apply.before = machineState(); // containerd at the default MTU (configure keeps the emptied drop-in directory)
    expect(apply.after).not.toEqual(apply.before);
    expect(await killMatrix(apply)).toBeGreaterThan(1);
  }, 600_000);
  inStep(apply);

  test("SIGKILL after every step of configure (a new MTU, containerd restarted)", async () => {
    configure.before = machineState(); // the default MTU, as the apply tests left it
    mustRun(...configure.args);
    await settled();
    configure.after = machineState();
    expect(configure.after).not.toEqual(configure.before);
    resetMtu();
    await settled();
    expect(await killMatrix(configure)).toBeGreaterThan(1);
  }, 600_000);
  inStep(configure);

  test("SIGKILL after every step of an add-on install (stargz); a 0600 config.toml stays 0600", async () => {
    const config = join(home(), ".config/containerd/config.toml");
    e2e.sb.writeFile(config, "# mine\nversion = 2\n", 0o600);
    mustRun("install", "--yes");
    await settled(stargzUnits);
    stargz.before = machineState(stargzUnits);
    mustRun(...stargz.args);
    await settled(stargzUnits);
    stargz.after = machineState(stargzUnits);
    const mode = statSync(config).mode & 0o777;
    held("a 0600 config.toml after `install stargz`", mode === 0o600);
    expect(mode).toBe(0o600);
    stargz.reset();
    await settled(stargzUnits);
    expect(await killMatrix(stargz)).toBeGreaterThan(1);
  }, 600_000);
  inStep(stargz);

  test("the user's own empty ~/.config/containerd-stargz-grpc survives install stargz and uninstall stargz", async () => {
    const dir = join(home(), ".config/containerd-stargz-grpc");
    expect(existsSync(dir)).toBe(false); // as the matrices left it: their install made it, their rollbacks and resets removed it
    mkdirSync(dir);
    chownSync(dir, e2e.sb.uid, e2e.sb.gid);
    const before = machineState(stargzUnits);
    mustRun(...stargz.args);
    await settled(stargzUnits);
    stargz.reset();
    await settled(stargzUnits);
    const now = machineState(stargzUnits);
    held("a user's own empty ~/.config/containerd-stargz-grpc after install + uninstall stargz", now.join("\n") === before.join("\n"));
    expect(now).toEqual(before);
    rmSync(dir, { recursive: true });
  }, 300_000);

  test("20 runs started at the same instant: one changes the machine at a time, the others wait or refuse naming it", async () => {
    mustRun("uninstall", "--yes");
    rmSync(join(home(), ".config/containerd/config.toml"), { force: true });
    const runs = await Promise.all(Array.from({ length: 20 }, () => e2e.sb.runAsync([e2e.bin, "install", "--yes", "--json"], { env: { PATH: standins }, timeoutMs: 300_000 })));
    const codes = runs.map((r) => r.code);
    const refused = runs.filter((r) => r.code === 1);
    const changed = runs.filter((r) => r.code === 0 && JSON.parse(r.stdout).changed === true).length;
    await settled();
    const ok = codes.every((c) => c === 0 || c === 1) && refused.every((r) => r.stderr.includes("another containerd-rootless-systemd run is in progress (pid ")) && changed === 1;
    held("20 runs started at once", ok && machineState().at(-1) === "containerd.service active enabled");
    expect(codes.filter((c) => c !== 0 && c !== 1)).toEqual([]);
    for (const r of refused) expect(r.stderr).toContain("another containerd-rootless-systemd run is in progress (pid ");
    expect(changed).toBe(1);
    expect(machineState()).toEqual(install.after);
  }, 600_000);

  test("no room for the binary copy (~/.local/bin on a 4 MB tmpfs): exit 1 naming the step, nothing changed", () => {
    mustRun("uninstall", "--yes");
    const bin = join(home(), ".local/bin");
    mkdirSync(bin, { recursive: true });
    chownSync(bin, e2e.sb.uid, e2e.sb.gid);
    const before = machineState();
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `size=4m,uid=${e2e.sb.uid},gid=${e2e.sb.gid},mode=0755`, "tmpfs", bin]).exitCode).toBe(0);
    try {
      const r = cli(["install", "--yes"]);
      const ok = r.code === 1 && /step \d+ \(copy .* would not fit/.test(r.stderr) && machineState().join("\n") === before.join("\n");
      held("ENOSPC: no room for the binary copy", ok);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/step \d+ \(copy .* would not fit: it needs .* MB free\. Nothing was changed\./);
      expect(machineState()).toEqual(before);
    } finally {
      Bun.spawnSync(["umount", bin]);
    }
  }, 120_000);

  test("a read-only ~/.config/systemd/user: exit 1 naming the failed step, everything undone", () => {
    mustRun("uninstall", "--yes");
    const dir = join(home(), ".config/systemd/user");
    mkdirSync(dir, { recursive: true });
    chownSync(dir, e2e.sb.uid, e2e.sb.gid);
    chmodSync(dir, 0o555);
    try {
      const before = machineState();
      const r = cli(["install", "--yes"]);
      const ok = r.code === 1 && /install failed at step \d+ of \d+: (Write|Create directory)/.test(r.stderr) && machineState().join("\n") === before.join("\n");
      held("read-only ~/.config/systemd/user", ok);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/install failed at step \d+ of \d+: (Write|Create directory) .*(EACCES|permission denied)/i);
      expect(machineState()).toEqual(before);
    } finally {
      chmodSync(dir, 0o755);
    }
  }, 120_000);

  test("a garbage config.toml: exit 1 with the launcher's checks naming it, nothing changed, nothing started by hand", () => {
    mustRun("uninstall", "--yes");
    const config = join(home(), ".config/containerd/config.toml");
    e2e.sb.writeFile(config, "version = 2\n[plugins\n\u0000\u00ff garbage");
    try {
      const before = machineState();
      const r = cli(["install", "--yes"]);
      const ok = r.code === 1 && r.stderr.includes("launch --validate; nothing started") && r.stderr.includes("is not valid TOML") && machineState().join("\n") === before.join("\n");
      held("a garbage config.toml", ok);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("is not valid TOML");
      expect(machineState()).toEqual(before);
    } finally {
      rmSync(config, { force: true });
    }
  }, 120_000);

  test("containerd crash-looping into systemd's start limit: status explains it and the fix; re-running install clears it", async () => {
    mustRun("install", "--yes");
    await settled();
    const complete = machineState();
    expect(complete.at(-1)).toBe("containerd.service active enabled");
    const config = join(home(), ".config/containerd/config.toml");
    e2e.sb.writeFile(config, "version = 2\n[plugins\n\u0000\u00ff garbage"); // containerd now exits at every start
    let ok = false;
    try {
      e2e.sb.systemctl("restart", "containerd.service");
      // systemd gave up: "failed" after StartLimitBurst-1 automatic restarts (Result stays exit-code; see units.ts)
      const limitHit = () => e2e.show("containerd.service", "ActiveState") === "failed" && Number(e2e.show("containerd.service", "NRestarts")) >= 2;
      await waitFor("containerd.service to hit its start limit", limitHit, 180_000, 200);
      const before = machineState();
      const text = cli(["status"]);
      const json = cli(["status", "--json"]);
      const unit = JSON.parse(json.stdout).units[0];
      expect(machineState()).toEqual(before); // status explains; it changes nothing
      ok = text.code === 0 && text.stderr.includes("its start limit (StartLimitBurst=3 within StartLimitInterval) was hit") && text.stderr.includes("systemctl --user reset-failed containerd.service") && json.code === 0 && unit.failure?.fix.includes("reset-failed");
      // as systemd recorded it: 252 keeps Result=exit-code after the refused automatic restart, later releases may say start-limit-hit
      const [result, restarts] = [e2e.show("containerd.service", "Result"), Number(e2e.show("containerd.service", "NRestarts"))];
      expect(text.code).toBe(0);
      expect(text.stderr).toContain("containerd.service kept exiting right after it started, so systemd stopped restarting it");
      expect(text.stderr).toContain(`after ${restarts} restarts: its start limit (StartLimitBurst=3 within StartLimitInterval) was hit (Result=${result}, NRestarts=${restarts})`);
      expect(text.stderr).toContain("`systemctl --user reset-failed containerd.service && systemctl --user start containerd.service` (or re-run `containerd-rootless-systemd install`)");
      expect(unit).toMatchObject({ name: "containerd.service", active: false, result, restarts });
      expect(unit.failure.reason).toContain("its start limit");
      // and systemd does refuse a start now (Type=simple: a start it runs succeeds at once), so the limit is real
      const start = e2e.sb.systemctl("start", "containerd.service");
      ok &&= start.code !== 0 && e2e.show("containerd.service", "ActiveState") === "failed";
      expect(start.code).not.toBe(0);
      expect(e2e.show("containerd.service", "ActiveState")).toBe("failed");
    } finally {
      rmSync(config, { force: true });
    }
    const again = cli(["install", "--yes"]); // the cause is gone: install clears the limit and starts it
    await settled();
    ok &&= again.code === 0 && machineState().join("\n") === complete.join("\n");
    held("containerd crash-looping into the start limit", ok);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(machineState()).toEqual(complete);
    mustRun("uninstall", "--yes");
  }, 420_000);

  test("restarted by hand into the start limit (nothing crashed): status says so, not a crash loop; the tool's own restart is not refused", async () => {
    mustRun("install", "--yes");
    await settled();
    let refused = 0;
    // systemctl --user restart until systemd refuses one (StartLimitBurst=3 starts within StartLimitInterval)
    for (let i = 0; i < 6 && refused === 0; i++) if (e2e.sb.systemctl("restart", "containerd.service").code !== 0) refused = i + 1;
    expect(refused).toBeGreaterThan(0);
    expect([e2e.show("containerd.service", "ActiveState"), e2e.show("containerd.service", "Result"), e2e.show("containerd.service", "NRestarts")]).toEqual(["failed", "start-limit-hit", "0"]);
    const text = cli(["status"]);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain("containerd.service was started or restarted on request (`systemctl --user start|restart`, by hand or by a tool) more often than its start limit allows, so systemd refused the last start; it did not crash");
    expect(text.stderr).toContain("(Result=start-limit-hit, NRestarts=0)");
    expect(text.stderr).not.toContain("kept exiting");
    expect(text.stderr).toContain("clear the limit and start it now: `systemctl --user reset-failed containerd.service && systemctl --user start containerd.service`");
    // install clears the limit and starts it; two more restarts by hand use up the limit again (3 starts), and a restart
    // the tool asks for still goes through: it clears the limit first (systemd 257 keeps the count across daemon-reload)
    mustRun("install", "--yes");
    await settled();
    for (let i = 0; i < 2; i++) expect(e2e.sb.systemctl("restart", "containerd.service").code).toBe(0);
    const mtu = cli(["configure", "--mtu", "1400", "--yes"]);
    expect(mtu.code, mtu.stderr).toBe(0);
    expect(e2e.rootlesskitArgs()).toContain("--mtu=1400");
    held("restarted by hand into the start limit", true);
    mustRun("configure", "--reset", "mtu", "--yes");
    mustRun("uninstall", "--yes");
  }, 240_000);

  test("a corrupted override.conf (an unterminated quote, a garbage line): install and configure exit 1 naming file, line and fix; nothing changed", async () => {
    mustRun("install", "--yes");
    await settled();
    const override = join(home(), ".config/systemd/user/containerd.service.d/override.conf");
    e2e.sb.writeFile(override, '# mine\n[Service]\nEnvironment=CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400\nthis is garbage\n');
    try {
      const before = machineState();
      const runs = [cli(["install", "--yes"]), cli(["configure", "--mtu", "1500", "--yes"])];
      const after = machineState();
      const ok = runs.every((r) => r.code === 1 && r.stderr.includes(`${override}, line 3: `) && r.stderr.includes(`${override}, line 4: `) && r.stderr.includes("Fix or remove those lines")) && after.join("\n") === before.join("\n");
      held("a corrupted override.conf (install, configure)", ok);
      for (const r of runs) {
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`${override}, line 3: \`CONTAINERD_ROOTLESS_ROOTLESSKIT_MTU="1400\` is not a NAME=VALUE assignment systemd can read: an unterminated quote`);
        expect(r.stderr).toContain(`${override}, line 4: no \`=\``);
        expect(r.stderr).toContain(`Fix or remove those lines (\`$EDITOR ${override}\`)`);
      }
      expect(after).toEqual(before);
    } finally {
      rmSync(override, { force: true });
    }
    mustRun("uninstall", "--yes");
  }, 240_000);

  test("the user manager stops in the middle of install: exit 1 saying so; once it is back, the next run converges", async () => {
    mustRun("install", "--yes");
    await settled();
    const complete = machineState();
    mustRun("uninstall", "--yes");
    const journal = join(home(), STATE, "journal.json");
    const run = e2e.sb.runAsync([e2e.bin, "install", "--yes"], { env: { PATH: standins }, timeoutMs: 300_000 });
    let ok = false;
    try {
      // mid-run: the journal is written before the first change and cleared at the end
      await waitFor("install to be under way", () => existsSync(journal), 120_000, 20);
      await e2e.sb.stopManager();
      const r = await run;
      ok = r.code === 1 && r.stderr.includes("the systemd user manager stopped during the run") && r.stderr.includes("run install again");
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain("the systemd user manager stopped during the run");
      expect(r.stderr).toContain(`Once your user manager runs again (log in again; as root: \`systemctl start user@${e2e.sb.uid}.service\`), run install again`);
    } finally {
      await e2e.sb.startManager();
    }
    const next = cli(["install", "--yes"]);
    await settled();
    ok &&= next.code === 0 && machineState().join("\n") === complete.join("\n");
    held("the user manager stopping mid-run", ok);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(machineState()).toEqual(complete);
    mustRun("uninstall", "--yes");
  }, 420_000);

  test("a foreign unit file in the way: replaced with a warning, the original kept beside our state", () => {
    const unit = join(home(), ".config/systemd/user/containerd.service");
    const theirs = "[Unit]\nDescription=someone else's containerd\n[Service]\nExecStart=/bin/true\n";
    e2e.sb.writeFile(unit, theirs);
    const r = cli(["install", "--yes"]);
    const kept = /kept as (\S+)/.exec(r.stderr)?.[1];
    const ok = r.code === 0 && r.stderr.includes("was not created by this tool") && kept !== undefined && readFileSync(kept, "utf8") === theirs;
    held("a foreign unit file in the way", ok);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("was not created by this tool");
    expect(readFileSync(kept!, "utf8")).toBe(theirs);
    mustRun("uninstall", "--yes");
  }, 120_000);

  test("XDG_RUNTIME_DIR=/tmp: refused with the fix, nothing changed", () => {
    const before = machineState();
    const r = cli(["install", "--yes"], { XDG_RUNTIME_DIR: "/tmp" });
    const ok = r.code === 1 && r.stderr.includes("XDG_RUNTIME_DIR (/tmp)") && (r.stdout + r.stderr).includes(e2e.sb.runtimeDir) && machineState().join("\n") === before.join("\n");
    held("XDG_RUNTIME_DIR=/tmp", ok);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("XDG_RUNTIME_DIR (/tmp)");
    expect(r.stdout + r.stderr).toContain(e2e.sb.runtimeDir); // the fix names the session's own directory
    expect(machineState()).toEqual(before);
  }, 60_000);
});
