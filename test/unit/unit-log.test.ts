// Without journald, a unit's output is kept in its own log: the units' first process (this
// binary) redirects only when systemd runs it with no journal connected and standard error on
// /dev/null; a failure's diagnosis then shows the log's last lines where the journal has none.
import { afterEach, expect, test } from "bun:test";
import { symlink } from "node:fs/promises";
import { makeTestHost, ok, type TestHost } from "../helpers/test-host.ts";
import { resolvePaths } from "../../src/core/os/paths.ts";
import { discardedOutputLog } from "../../src/core/systemd/unit-log.ts";
import { diagnoseStart } from "../../src/core/systemd/diagnose.ts";

let host: TestHost;
afterEach(() => host?.cleanup());
const ENV = { HOME: "/home/alice", XDG_RUNTIME_DIR: "/run/user/1000", PATH: "/usr/bin:/bin" };
const LOG = "/run/user/1000/containerd-rootless-systemd/buildkit.service.log";

async function unitProcess(env: Record<string, string>, stderr: string) {
  host = await makeTestHost({
    env: { ...ENV, ...env },
    files: { "/proc/self/cgroup": "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/buildkit.service\n0::/user.slice/user-1000.slice/user@1000.service/app.slice/buildkit.service\n" },
    dirs: ["/proc/self/fd"],
    commands: {
      systemctl: (argv) => (argv[2] === "show" ? ok("Result=exit-code\nExecMainStatus=1\nNRestarts=2\n") : ok("● buildkit.service\n     Active: activating (auto-restart)")),
      journalctl: () => ok("-- No entries --\n"),
    },
  });
  await symlink(stderr, host.path("/proc/self/fd/2"));
  return resolvePaths(host.env, host.uid);
}

test("systemd with no journal connected and stderr on /dev/null: the unit's log, its directory private", async () => {
  const paths = await unitProcess({ INVOCATION_ID: "0123abcd" }, "/dev/null");
  expect(await discardedOutputLog(host, paths)).toBe(LOG);
  expect(((await host.stat("/run/user/1000/containerd-rootless-systemd"))!.mode & 0o777).toString(8)).toBe("700");
});

test("a journal connected, a terminal, or not run by systemd: left as it is", async () => {
  expect(await discardedOutputLog(host, await unitProcess({ INVOCATION_ID: "0123abcd", JOURNAL_STREAM: "8:12345" }, "/dev/null"))).toBeNull();
  await host.cleanup();
  expect(await discardedOutputLog(host, await unitProcess({ INVOCATION_ID: "0123abcd" }, "/dev/pts/3"))).toBeNull();
  await host.cleanup();
  expect(await discardedOutputLog(host, await unitProcess({}, "/dev/null"))).toBeNull();
});

test("a failure's diagnosis shows the unit's last output when the journal has none", async () => {
  await unitProcess({}, "/dev/null");
  await host.writeFileAtomic(LOG, "time=x level=info msg=starting\nbuildkitd: failed to find CNI bridge \"/opt/cni/bin/bridge\" or buildkit-cni-bridge\n");
  const text = await diagnoseStart(host, "buildkit.service");
  expect(text).toContain(`journalctl --user -u buildkit.service: no entries (journald is not running); the unit's last output (${LOG}):`);
  expect(text).toContain('    buildkitd: failed to find CNI bridge "/opt/cni/bin/bridge" or buildkit-cni-bridge');
});
