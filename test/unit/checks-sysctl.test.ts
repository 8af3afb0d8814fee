import { test, expect, afterEach } from "bun:test";
import { ok, type TestHost } from "../helpers/test-host.ts";
import { machine, check, byId, SMOKE_STDOUT } from "./checks-fixture.ts";
import { apparmorProfileName, apparmorProfileFix } from "../../src/core/checks/sysctl.ts";

let host: TestHost | undefined;
afterEach(async () => host?.cleanup());

test("kernel.unprivileged_userns_clone=0 is an error with the sysctl fix", async () => {
  host = await machine({ files: { "/proc/sys/kernel/unprivileged_userns_clone": "0\n" } });
  const f = byId(await check(host), "sysctl.unprivileged_userns_clone")!;
  expect(f.level).toBe("error");
  expect(f.sudoFix).toContain("sysctl -w kernel.unprivileged_userns_clone=1");
});

test("a mainline kernel without unprivileged_userns_clone is fine", async () => {
  host = await machine({ files: { "/proc/sys/kernel/unprivileged_userns_clone": null } });
  expect(byId(await check(host), "sysctl.unprivileged_userns_clone")?.level).toBe("ok");
});

test("user.max_user_namespaces=0 is an error; garbage a warning", async () => {
  host = await machine({ files: { "/proc/sys/user/max_user_namespaces": "0\n" } });
  expect(byId(await check(host), "sysctl.max_user_namespaces")!.sudoFix).toContain("sysctl -w user.max_user_namespaces=28633");
  await host.cleanup();
  host = await machine({ files: { "/proc/sys/user/max_user_namespaces": "lots\n" } });
  expect(byId(await check(host), "sysctl.max_user_namespaces.unknown")?.level).toBe("warning");
});

test("AppArmor restriction: /usr/bin/rootlesskit is covered", async () => {
  host = await machine({ files: { "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n" } });
  expect(byId(await check(host), "sysctl.apparmor_restrict_unprivileged_userns")?.level).toBe("info");
});

test("AppArmor restriction: a rootlesskit elsewhere gets the profile fix", async () => {
  const rk = (argv: string[]) => (argv[1] === "--version" ? ok("rootlesskit version 2.3.1\n") : ok(SMOKE_STDOUT));
  host = await machine({
    files: { "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n", "/home/alice/bin/rootlesskit": { content: "elf", mode: 0o755 } },
    commands: { rootlesskit: null, "/usr/bin/rootlesskit": null, "/home/alice/bin/rootlesskit": rk },
  });
  const f = byId(await check(host), "sysctl.apparmor_restrict_unprivileged_userns.profile")!;
  expect(f.level).toBe("error");
  expect(f.sudoFix![0]).toContain("cat > /etc/apparmor.d/home.alice.bin.rootlesskit <<'EOT'");
  expect(f.sudoFix![0]).toContain('"/home/alice/bin/rootlesskit" flags=(unconfined) {');
  expect(f.sudoFix![0]).toContain("userns,");
  expect(f.sudoFix).toContain("systemctl restart apparmor.service");
});

test("profile name", () => {
  expect(apparmorProfileName("/usr/local/bin/rootlesskit")).toBe("usr.local.bin.rootlesskit");
});

test("a rootlesskit path with a space: the profile file is one shell word", () => {
  expect(apparmorProfileFix("/opt/my tools/rootlesskit")[0]!.split("\n")[0]).toBe("cat > '/etc/apparmor.d/opt.my tools.rootlesskit' <<'EOT'");
});
