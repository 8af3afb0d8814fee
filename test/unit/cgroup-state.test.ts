// A unit's processes, from its cgroup's files (systemd/cgroup-state.ts): what the uninstall's stop
// wait reads instead of asking systemd at each look, on the two layouts systemd's unified
// hierarchy has, and null (ask systemd) wherever the files cannot tell.
import { afterEach, expect, test } from "bun:test";
import { makeTestHost, type TestHost } from "../helpers/test-host.ts";
import { cgroupState } from "../../src/core/systemd/cgroup-state.ts";

let host: TestHost;
afterEach(() => host?.cleanup());

const CG = "/user.slice/user-1000.slice/user@1000.service/app.slice/containerd.service";
const events = (populated: 0 | 1) => `populated ${populated}\nfrozen 0\n`;

for (const [layout, root] of [["hybrid (cgroup v1 controllers, unified for systemd)", "/sys/fs/cgroup/unified"], ["cgroup v2", "/sys/fs/cgroup"]] as const) {
  test(`${layout}: processes left, none left, and the unit's cgroup removed by systemd`, async () => {
    host = await makeTestHost({ files: { [`${root}/user.slice/user-1000.slice/user@1000.service/app.slice/cgroup.events`]: events(1), [`${root}${CG}/cgroup.events`]: events(1) } });
    expect(await cgroupState(host, CG)).toBe("busy");
    await host.writeFileAtomic(`${root}${CG}/cgroup.events`, events(0));
    expect(await cgroupState(host, CG)).toBe("empty");
    await host.remove(`${root}${CG}`, { recursive: true });
    expect(await cgroupState(host, CG)).toBe("gone");
  });
}

test("no unified hierarchy with the unit's slice (legacy cgroup v1), or no ControlGroup known: null, systemd is asked", async () => {
  host = await makeTestHost({ files: { [`/sys/fs/cgroup/systemd${CG}/cgroup.procs`]: "" } });
  expect(await cgroupState(host, CG)).toBeNull();
  expect(await cgroupState(host, "")).toBeNull();
  expect(await cgroupState(host, "/")).toBeNull();
});
