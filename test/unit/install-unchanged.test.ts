// A second install with nothing to change is told from files alone (installedAsPlanned):
// the copy, the exact unit text, the enablement link, RootlessKit's child alive, the socket.
// Anything that differs sends install down the full path.
import { afterEach, expect, test } from "bun:test";
import { fakeSystemd, UNIT } from "../helpers/fake-systemd.ts";
import type { TestHost } from "../helpers/test-host.ts";
import { planInstall } from "../../src/core/lifecycle/install-plan.ts";
import { applyPlan } from "../../src/core/plan/execute.ts";
import { installedAsPlanned } from "../../src/core/lifecycle/unchanged.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

test("installed, enabled and running as install would leave it: yes; any difference: no", async () => {
  const f = await fakeSystemd({ files: { "/usr/lib/systemd/user/dbus.socket": "[Socket]\n" } });
  host = f.h;
  await applyPlan(host, (await planInstall(host, f.paths, { readyTimeoutMs: 2000 })).steps);
  // install made the enabling link itself; what RootlessKit leaves behind
  const link = "/home/alice/.config/systemd/user/default.target.wants/containerd.service";
  expect(await host.readlink(link)).toBe(UNIT);
  await host.writeFileAtomic("/run/user/1000/containerd-rootless/child_pid", "4242\n");
  await host.mkdirp("/proc/4242");
  expect(await installedAsPlanned(host, f.paths)).toEqual({ unitFile: UNIT, execStart: ["/home/alice/.local/bin/containerd-rootless-systemd", "launch"] });

  await host.remove(link); // disabled
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
  await host.symlink(UNIT, link);
  await host.remove("/proc/4242", { recursive: true }); // RootlessKit's child is gone
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
  await host.mkdirp("/proc/4242");
  const unit = (await host.readText(UNIT))!;
  await host.writeFileAtomic(UNIT, unit.replace("RestartSec=2", "RestartSec=5")); // edited by hand
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
  await host.writeFileAtomic(UNIT, unit);
  await host.writeFileAtomic("/home/alice/Downloads/containerd-rootless-systemd", "NEWER BINARY"); // a new download
  expect(await installedAsPlanned(host, f.paths)).toBeNull();
});
