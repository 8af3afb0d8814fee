import { test, expect, afterEach } from "bun:test";
import { chmod, chown } from "node:fs/promises";
import { join } from "node:path";
import { failed } from "../helpers/test-host.ts";
import { machine, check, byId, problems } from "./checks-fixture.ts";
import type { TestHost } from "../helpers/test-host.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

test("a healthy machine has no problems and is ok", async () => {
  host = await machine();
  const r = await check(host);
  expect(problems(r)).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.facts.systemdUser).toBe(true);
  expect(r.facts.dbusSession).toBe(true);
});

test("root is refused before any probe runs", async () => {
  host = await machine({ uid: 0 });
  const r = await check(host);
  expect(r.refused).toBe(true);
  expect(r.ok).toBe(false);
  expect(r.findings.map((f) => f.id)).toEqual(["session.root"]);
  expect(r.findings[0]!.message).toContain("Refusing");
  expect(host.calls).toEqual([]);
});

test("XDG_RUNTIME_DIR unset: error, export hint when /run/user/UID is there; systemd blamed on the missing session", async () => {
  host = await machine({ env: { XDG_RUNTIME_DIR: undefined }, commands: { systemctl: () => failed("Failed to connect to bus: No medium found") } });
  const r = await check(host);
  const f = byId(r, "session.xdg-runtime-dir.unset")!;
  expect(f.level).toBe("error");
  expect(f.fix).toBe("export XDG_RUNTIME_DIR=/run/user/1000");
  expect(byId(r, "session.systemd.no-session")?.level).toBe("error");
  // the dbus socket cannot be found without XDG_RUNTIME_DIR: no second-hand warning about it
  expect(byId(r, "session.dbus.inactive")).toBeUndefined();
  expect(byId(r, "session.dbus.unknown")?.level).toBe("ok");
  expect(r.ok).toBe(false);
});

test("XDG_RUNTIME_DIR relative", async () => {
  host = await machine({ env: { XDG_RUNTIME_DIR: "run/user/1000" } });
  expect(byId(await check(host), "session.xdg-runtime-dir.relative")?.level).toBe("error");
});

test("XDG_RUNTIME_DIR missing", async () => {
  host = await machine({ env: { XDG_RUNTIME_DIR: "/run/user/4242" } });
  const f = byId(await check(host), "session.xdg-runtime-dir.missing")!;
  expect(f.level).toBe("error");
  expect(f.fix).toContain("export XDG_RUNTIME_DIR=/run/user/1000");
});

test("XDG_RUNTIME_DIR not writable", async () => {
  host = await machine();
  const real = host.canAccess.bind(host);
  host.canAccess = async (p, m) => (p === "/run/user/1000" && m === "w" ? false : real(p, m));
  expect(byId(await check(host), "session.xdg-runtime-dir.unwritable")?.level).toBe("error");
});

test("XDG_RUNTIME_DIR owned by another user (after su)", async () => {
  host = await machine({ env: { XDG_RUNTIME_DIR: "/run/user/0" }, dirs: ["/run/user/0"] });
  const f = byId(await check(host), "session.xdg-runtime-dir.owner")!;
  expect(f.level).toBe("error");
  expect(f.message).toContain("uid 0");
});

test("XDG_RUNTIME_DIR others can enter (0755, or /tmp): an error with the fix", async () => {
  host = await machine();
  await chmod(join(host.root, "/run/user/1000"), 0o755);
  const f = byId(await check(host), "session.xdg-runtime-dir.mode")!;
  expect(f.level).toBe("error");
  expect(f.message).toContain("has mode 0755");
  expect(f.fix).toBe("chmod 700 /run/user/1000");
  await host.cleanup();
  host = await machine({ env: { XDG_RUNTIME_DIR: "/tmp" }, dirs: ["/tmp"] });
  await chown(join(host.root, "/tmp"), 1000, 1000);
  await chmod(join(host.root, "/tmp"), 0o1777);
  const t = byId(await check(host), "session.xdg-runtime-dir.mode")!;
  expect(t.message).toContain("XDG_RUNTIME_DIR (/tmp) has mode 01777");
  expect(t.fix).toBe("export XDG_RUNTIME_DIR=/run/user/1000");
});

test("HOME unset, relative, missing, not writable", async () => {
  host = await machine({ env: { HOME: undefined } });
  expect(byId(await check(host), "session.home.unset")?.level).toBe("error");
  await host.cleanup();
  host = await machine({ env: { HOME: "~alice" } });
  expect(byId(await check(host), "session.home.relative")?.level).toBe("error");
  await host.cleanup();
  host = await machine({ env: { HOME: "/home/nobody-here" }, files: { "/etc/passwd": "alice:x:1000:1000::/home/nobody-here:/bin/sh\n" } });
  const missing = byId(await check(host), "session.home.missing")!;
  expect(missing.sudoFix?.[0]).toContain("install -d");
  await host.cleanup();
  host = await machine();
  const real = host.canAccess.bind(host);
  host.canAccess = async (p, m) => (p === "/home/alice" && m === "w" ? false : real(p, m));
  expect(byId(await check(host), "session.home.unwritable")?.level).toBe("error");
});

test("systemd: not booted with systemd is diagnosed before anything else", async () => {
  host = await machine({ commands: { systemctl: () => failed("System has not been booted with systemd") } });
  await host.remove("/run/systemd/system", { recursive: true });
  const f = byId(await check(host), "session.systemd.not-booted")!;
  expect(f.level).toBe("error");
  expect(f.detail).toContain("not been booted");
});

test("systemd: sudo without a login session names sudo and offers linger", async () => {
  host = await machine({
    env: { XDG_RUNTIME_DIR: undefined, SUDO_USER: "admin" },
    files: { "/var/lib/systemd/linger/alice": null },
    commands: { systemctl: () => failed("Failed to connect to bus: No medium found") },
  });
  await host.remove("/run/user/1000", { recursive: true });
  const r = await check(host);
  const f = byId(r, "session.systemd.no-session")!;
  expect(f.message).toContain("sudo from admin");
  expect(f.fix).toContain("machinectl shell alice@");
  expect(f.sudoFix).toEqual(["loginctl enable-linger alice"]);
  expect(byId(r, "session.xdg-runtime-dir.unset")!.sudoFix).toEqual(["loginctl enable-linger alice"]);
});

test("systemd: no manager running and linger off", async () => {
  host = await machine({
    files: { "/var/lib/systemd/linger/alice": null, "/run/user/1000/systemd/private": null },
    commands: { systemctl: () => failed("Failed to connect to bus: No such file or directory") },
  });
  const f = byId(await check(host), "session.systemd.not-running")!;
  expect(f.message).toContain("linger is off");
  expect(f.sudoFix).toEqual(["loginctl enable-linger alice"]);
});

test("systemd: linger on but manager not running", async () => {
  host = await machine({ files: { "/run/user/1000/systemd/private": null }, commands: { systemctl: () => failed("Failed to connect to bus") } });
  const f = byId(await check(host), "session.systemd.not-running")!;
  expect(f.sudoFix).toEqual(["systemctl start user@1000.service"]);
});

test("systemd: reachable socket but systemctl fails shows its stderr", async () => {
  host = await machine({ files: { "/run/user/1000/systemd/private": null }, dirs: ["/run/user/1000/systemd"], commands: { systemctl: () => failed("Access denied") } });
  const listener = Bun.listen({ unix: host.path("/run/user/1000/systemd/private"), socket: { data() {} } });
  try {
    const f = byId(await check(host), "session.systemd.unreachable")!;
    expect(f.detail).toBe("Access denied");
  } finally {
    listener.stop(true);
  }
});

test("systemctl missing", async () => {
  host = await machine({ commands: { systemctl: null } });
  expect(byId(await check(host), "session.systemd.missing")?.level).toBe("error");
});

test("dbus: unit installed but not running, or not installed at all", async () => {
  host = await machine({ files: { "/run/user/1000/bus": null } });
  const inactive = byId(await check(host), "session.dbus.inactive")!;
  expect(inactive.level).toBe("warning");
  expect(inactive.fix).toContain("enable --now dbus.socket");
  await host.cleanup();
  host = await machine({ files: { "/run/user/1000/bus": null, "/usr/lib/systemd/user/dbus.socket": null } });
  const missing = byId(await check(host), "session.dbus.missing")!;
  expect(missing.sudoFix).toEqual(["apt-get install -y dbus-user-session"]);
});

test("dbus: a Fedora machine is told to install dbus-daemon", async () => {
  host = await machine({ files: { "/run/user/1000/bus": null, "/usr/lib/systemd/user/dbus.socket": null, "/etc/os-release": 'ID=fedora\nVERSION_ID=39\n' } });
  expect(byId(await check(host), "session.dbus.missing")!.sudoFix).toEqual(["dnf install -y dbus-daemon"]);
});

test("HOME=/ (not the user's home): the fix points at the real home, never a sudo chown of /", async () => {
  host = await machine({ env: { HOME: "/" } });
  const real = host.canAccess.bind(host);
  host.canAccess = async (p, m) => (p === "/" && m === "w" ? false : real(p, m));
  const f = byId(await check(host), "session.home.unwritable")!;
  expect(f.level).toBe("error");
  expect(f.sudoFix).toBeUndefined();
  expect(f.fix).toBe("export HOME=/home/alice");
  await host.cleanup();
  host = await machine({ env: { HOME: "/home/nobody-here" } });
  const missing = byId(await check(host), "session.home.missing")!;
  expect(missing.fix).toBe("export HOME=/home/alice");
  expect(missing.sudoFix).toBeUndefined();
});

test("HOME with shell characters: any root line quotes it", async () => {
  host = await machine({ env: { HOME: "/home/a b;touch x" }, files: { "/etc/passwd": "alice:x:1000:1000::/home/a b;touch x:/bin/sh\n" } });
  const f = byId(await check(host), "session.home.missing")!;
  expect(f.sudoFix).toEqual(["install -d -m 700 -o alice '/home/a b;touch x'"]);
});

test("systemd: a stale systemd/private file (manager stopped) is 'not running', not 'unreachable'", async () => {
  // the fixture's private is a plain file nobody listens on, as a stopped manager leaves behind
  host = await machine({ files: { "/var/lib/systemd/linger/alice": null }, commands: { systemctl: () => failed("Failed to connect to bus: Connection refused") } });
  const f = byId(await check(host), "session.systemd.not-running")!;
  expect(f.sudoFix).toEqual(["loginctl enable-linger alice"]);
  expect(f.detail).toContain("Connection refused");
});
