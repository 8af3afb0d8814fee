// The user manager's cgroup comes from systemd (`systemctl --user show -p ControlGroup`), so a
// WSL 2.9 layout (/wsl-user/...) is read where it is; /user.slice/... is only the fallback.
import { test, expect, afterEach } from "bun:test";
import { ok, failed, type Handler, type TestHost } from "../helpers/test-host.ts";
import { machine, check, byId } from "./checks-fixture.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

const WSL = "/wsl-user/user-1000.slice/user@1000.service";
const manager = (cgroup: string | null): Handler => (argv) =>
  argv.includes("ControlGroup") ? (cgroup === null ? failed("Failed to connect to bus") : ok(`${cgroup}\n`)) : ok("HOME=/home/alice\nXDG_RUNTIME_DIR=/run/user/1000\n");

test("WSL: the controllers are read from the cgroup systemd reports, not from /user.slice", async () => {
  host = await machine({
    commands: { systemctl: manager(WSL) },
    files: { "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers": null, [`/sys/fs/cgroup${WSL}/cgroup.controllers`]: "cpu memory pids\n" },
  });
  const r = await check(host);
  expect(r.facts.delegatedControllers).toEqual(["cpu", "memory", "pids"]);
  expect(byId(r, "cgroup.delegation.missing")?.level).toBe("info"); // io and cpuset only
  expect(byId(r, "cgroup.delegation.unknown")).toBeUndefined();
  expect(host.calls.some((c) => c.join(" ") === "systemctl --user show -p ControlGroup --value")).toBe(true);
});

test("WSL path with every controller: ok, naming the cgroup it read", async () => {
  host = await machine({ commands: { systemctl: manager(WSL) }, files: { [`/sys/fs/cgroup${WSL}/cgroup.controllers`]: "cpuset cpu io memory pids\n" } });
  expect(byId(await check(host), "cgroup.delegation")?.message).toBe(`Delegated controllers: cpuset cpu io memory pids (${WSL})`);
});

test("systemd reports a cgroup whose directory is missing: the warning names that path", async () => {
  host = await machine({ commands: { systemctl: manager(WSL) } });
  const f = byId(await check(host), "cgroup.delegation.unknown")!;
  expect(f.level).toBe("warning");
  expect(f.message).toContain(`/sys/fs/cgroup${WSL}/cgroup.controllers is missing: the user manager's cgroup as systemd reports it`);
});

test("no answer from systemd: the usual /user.slice path is the fallback", async () => {
  host = await machine({ commands: { systemctl: manager(null) } });
  expect((await check(host)).facts.delegatedControllers).toEqual(["cpuset", "cpu", "io", "memory", "pids"]);
});

test("a reply that is not a cgroup path (garbage, a relative or ../ path) is not used", async () => {
  for (const reply of ["HOME=/x", "../../etc", "/a/../../etc"]) {
    host = await machine({ commands: { systemctl: manager(reply) } });
    expect((await check(host)).facts.delegatedControllers).toEqual(["cpuset", "cpu", "io", "memory", "pids"]);
    await host.cleanup();
    host = undefined;
  }
});
