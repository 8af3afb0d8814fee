// `status` when systemd gave up on containerd: a crash loop hit StartLimitBurst=3 in 60 s, the
// unit is "failed" with Result=start-limit-hit and stays down until the limit is cleared. The
// `systemctl --user show` text below is what systemd 252 prints for such a unit (the same
// properties the e2e in test/e2e/faults.test.ts reads from the real user manager). After an
// automatic restart the limit refused, systemd 252 shows Result=exit-code with NRestarts=2.
// Starts and restarts on request that hit the limit leave NRestarts=0: not a crash loop.
import { afterEach, expect, test } from "bun:test";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { fakeSystemd } from "../helpers/fake-systemd.ts";
import { applyPlan } from "../../src/core/plan/execute.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { collectStatus } from "../../src/core/lifecycle/status.ts";
import { printStatus } from "../../src/core/lifecycle/status-output.ts";
import { Reporter } from "../../src/core/plan/reporter.ts";
import { parseShow } from "../../src/core/systemd/units.ts";
import { startLimitHit } from "../../src/core/systemd/start-limit.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const SHOW_LIMIT_HIT = [
  "Id=containerd.service",
  "LoadState=loaded",
  "ActiveState=failed",
  "SubState=failed",
  "MainPID=0",
  "ActiveEnterTimestamp=Mon 2026-11-30 03:02:45 UTC",
  "UnitFileState=enabled",
  "FragmentPath=/home/alice/.config/systemd/user/containerd.service",
  "NeedDaemonReload=no",
  "NRestarts=3",
  "Result=start-limit-hit",
  "Restart=always",
  "StartLimitBurst=3",
  "",
].join("\n");

test("a failed unit with Result=start-limit-hit is explained with the fix; other failures are not called that", () => {
  const [s] = parseShow(SHOW_LIMIT_HIT, ["containerd.service"]);
  expect(s).toMatchObject({ activeState: "failed", result: "start-limit-hit", nRestarts: 3 });
  const hit = startLimitHit(s!)!;
  expect(hit.reason).toContain("systemd stopped restarting it after 3 restarts: its start limit (StartLimitBurst=3 within StartLimitInterval) was hit (Result=start-limit-hit, NRestarts=3)");
  expect(hit.fix).toContain("systemctl --user reset-failed containerd.service && systemctl --user start containerd.service");
  expect(hit.fix).toContain("containerd-rootless-systemd install");
  // an automatic restart refused by the limit: systemd 252 keeps the first Result (exit-code)
  expect(startLimitHit({ ...s!, result: "exit-code", nRestarts: 2 })?.reason).toContain("after 2 restarts: its start limit (StartLimitBurst=3 within StartLimitInterval) was hit (Result=exit-code, NRestarts=2)");
  // a unit stopped by hand after one crash, or one without Restart=, is not "gave up"
  expect(startLimitHit({ ...s!, result: "exit-code", nRestarts: 1 })).toBeUndefined();
  expect(startLimitHit({ ...s!, result: "exit-code", restart: "no" })).toBeUndefined();
  expect(startLimitHit({ ...s!, activeState: "activating", subState: "auto-restart" })).toBeUndefined();
});

test("start-limit-hit with NRestarts=0 (started and restarted on request too often, nothing crashed) is said so, not called a crash loop", () => {
  // what systemd 252 and 257 record after four `systemctl --user restart` within a minute: the fourth start refused, no automatic restart
  const [s] = parseShow(SHOW_LIMIT_HIT.replace("NRestarts=3", "NRestarts=0"), ["containerd.service"]);
  const hit = startLimitHit(s!)!;
  expect(hit.reason).toContain("containerd.service was started or restarted on request (`systemctl --user start|restart`, by hand or by a tool) more often than its start limit allows, so systemd refused the last start; it did not crash");
  expect(hit.reason).toContain("(Result=start-limit-hit, NRestarts=0)");
  expect(hit.reason).not.toContain("kept exiting");
  expect(hit.fix).not.toContain("find the cause");
  expect(hit.fix).toContain("start it again once StartLimitInterval has passed, or clear the limit and start it now: `systemctl --user reset-failed containerd.service && systemctl --user start containerd.service`");
});

test("status (human and JSON) says systemd gave up, why, and how to clear it", async () => {
  const f = await fakeSystemd();
  host = f.h;
  await applyPlan(host, (await planInstall(host, f.paths)).steps);
  const real = host.commands.systemctl!;
  host.commands.systemctl = (argv, opts) => (argv[2] === "show" && argv.includes("containerd.service") ? ok(SHOW_LIMIT_HIT) : real(argv, opts));
  const report = await collectStatus(host, f.paths);
  expect(report.units[0]).toMatchObject({ name: "containerd.service", active: false, state: "failed (failed)", result: "start-limit-hit", restarts: 3 });
  expect(report.units[0]!.failure?.fix).toContain("systemctl --user reset-failed containerd.service");
  expect(JSON.parse(JSON.stringify(report)).units[0].failure.reason).toContain("start-limit-hit");
  printStatus(new Reporter(host), report, "alice");
  expect(host.err).toContain("[WARNING] containerd.service kept exiting right after it started, so systemd stopped restarting it after 3 restarts");
  expect(host.err).toContain("Fix: find the cause with `journalctl --user -u containerd.service`");
  expect(host.err).toContain("`systemctl --user reset-failed containerd.service && systemctl --user start containerd.service` (or re-run `containerd-rootless-systemd install`)");
  expect(host.err).not.toContain("start it with `systemctl --user start containerd.service`"); // not the plain "not running" hint
});

test("a unit that is simply stopped keeps the plain hint and no failure", async () => {
  const f = await fakeSystemd();
  host = f.h;
  await applyPlan(host, (await planInstall(host, f.paths)).steps);
  f.unit.active = false;
  const report = await collectStatus(host, f.paths);
  expect(report.units[0]!.failure).toBeNull();
  printStatus(new Reporter(host), report, "alice");
  expect(host.err).toContain("containerd is not running; start it with `systemctl --user start containerd.service`");
  expect(host.err).not.toContain("start-limit-hit");
});
