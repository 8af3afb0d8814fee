// The user manager asked on its own socket (src/core/systemd/bus*.ts) answers as systemctl does:
// the same unit states (a running service with its PID, cgroup and start time, a socket, a
// stopped one, one that does not exist, one that failed), load states and environment, from the
// real systemd --user, a stop queued that way takes the unit down, and a start queued that way
// brings up a unit its start limit held (the start clears the limit first); the commands use these
// instead of a systemctl process each. The comparison runs as the sandbox user from copies in its
// home (the fixture bundled into one file, Bun copied beside it): the checkout's directory need
// not be readable by that user (/root is 0700, as it is in the other Debian release's root).
import { expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT, useSandbox } from "../helpers/e2e.ts";

const e2e = useSandbox("crsbus");

const UNIT = "[Unit]\nDescription=bus test\n[Service]\nExecStart=/bin/sleep 600\n";

test("unit states and the manager's environment over the bus are systemctl's; a stop queued over it happens, a start clears the start limit first", async () => {
  const dir = `${e2e.sb.home}/.config/systemd/user`;
  e2e.sb.writeFile(`${dir}/crs-running.service`, UNIT);
  e2e.sb.writeFile(`${dir}/crs-stopped.service`, UNIT);
  e2e.sb.writeFile(`${dir}/crs-failed.service`, "[Service]\nExecStart=/bin/false\n");
  e2e.sb.systemctl("daemon-reload");
  e2e.sb.systemctl("set-environment", "CRS_BUS_TEST=a value with spaces");
  expect(e2e.sb.systemctl("start", "crs-running.service").code).toBe(0);
  e2e.sb.systemctl("start", "crs-failed.service");
  // a unit its start limit holds (one start per minute): its second start is refused, as systemd 257 refused a rollback's start
  e2e.sb.writeFile(`${dir}/crs-limited.service`, "[Unit]\nStartLimitBurst=1\nStartLimitIntervalSec=60\n[Service]\nExecStart=/bin/sleep 600\n");
  e2e.sb.systemctl("daemon-reload");
  expect(e2e.sb.systemctl("start", "crs-limited.service").code).toBe(0);
  expect(e2e.sb.systemctl("restart", "crs-limited.service").code).not.toBe(0);
  expect(e2e.show("crs-limited.service", "Result")).toBe("start-limit-hit");
  const names = ["crs-running.service", "crs-stopped.service", "crs-failed.service", "dbus.socket", "default.target", "no-such.service"];
  const out = join(e2e.sb.home, "bus-compare");
  const built = await Bun.build({ entrypoints: [join(ROOT, "test/fixtures/bus/compare.ts")], target: "bun", outdir: out });
  expect(built.success, built.logs.join("\n")).toBe(true);
  expect(Bun.spawnSync(["chown", "-R", `${e2e.sb.user}:`, out]).exitCode).toBe(0);
  const bun = e2e.sb.installBinary(process.execPath, "bun");
  const r = e2e.sb.run([bun, join(out, "compare.js"), ...names, "--start-limited", "crs-limited.service"]);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout);
  expect(doc.bus).toEqual(doc.show);
  expect(doc.bus.map((s: { loadState: string; activeState: string }) => `${s.loadState}/${s.activeState}`)).toEqual(["loaded/active", "loaded/inactive", "loaded/failed", "loaded/active", "loaded/active", "not-found/inactive"]);
  expect(doc.bus[0].mainPid).toBeGreaterThan(0);
  expect(doc.bus[0].controlGroup).toEndWith("/crs-running.service");
  expect(doc.environment).toEqual(doc.showEnvironment);
  expect(doc.environment.CRS_BUS_TEST).toBe("a value with spaces");
  expect(doc.loadStates).toEqual(doc.show.map((s: { loadState: string }) => s.loadState));
  // `stop --no-block` over the bus: queued, and the unit goes down
  expect(doc.stopQueued).toBe(true);
  expect(doc.after).toBe("inactive");
  // a start queued over the bus clears the start limit first (ResetFailedUnit): the held unit runs
  expect(doc.limitedStart).toEqual({ queued: true, state: "active" });
}, 60_000);
