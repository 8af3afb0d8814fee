// install, status and containers on a systemd-booted cgroup v2 host: limits set with ctr's
// --memory-limit and --cpus reach the container's own cgroup through the delegation
// (read back from inside the container), which the e2e sandbox (cgroup v1, no logind) cannot show.
import { expect } from "bun:test";
import { alice, ctr, ctrRun, GUEST_UID, must, mustCrs, PAYLOAD, scenario, waitUntil } from "../helpers/vm.ts";

scenario("install --yes: containerd runs under the user's systemd, detach-netns on (RootlessKit 2), its network checked; status says so", () => {
  const out = mustCrs("install --yes");
  expect(out).toContain("[INFO] Installed containerd.service successfully.");
  expect(out).toContain("RootlessKit's network works");
  const status = JSON.parse(mustCrs("status --json"));
  expect(status.units.find((u: { name: string }) => u.name === "containerd.service")).toMatchObject({ ours: true, active: true, enabled: true });
  expect(status.containerd.answering).toBe(true);
  expect(status.rootlesskit.flags).toMatchObject({ net: "slirp4netns", "detach-netns": "true" });
});

scenario("a container with --memory-limit 64 MiB and --cpus 0.5: its cgroup v2 (a scope of alice's manager) has memory.max 67108864 and cpu.max 50000 100000", () => {
  must(ctr(`images import ${PAYLOAD}/busybox.tar`), "ctr images import");
  must(ctrRun("limits", "-d --memory-limit 67108864 --cpus 0.5", "busybox sleep 600"), "ctr run -d with limits");
  try {
    const pid = /^limits\s+(\d+)\s+RUNNING/m.exec(must(ctr("task ls"), "ctr task ls"))?.[1];
    // its cgroup as the kernel names it (the container has no cgroup namespace), read from the host's cgroup2 mount
    const cgroup = must(alice(`cut -d: -f3 /proc/${pid}/cgroup`), "its cgroup").trim();
    expect(cgroup).toBe(`/user.slice/user-${GUEST_UID}.slice/user@${GUEST_UID}.service/user.slice/crs-limits.scope`);
    expect(must(alice(`cat /sys/fs/cgroup${cgroup}/memory.max /sys/fs/cgroup${cgroup}/cpu.max`), "its limits").trim().split("\n")).toEqual(["67108864", "50000 100000"]);
  } finally {
    ctr("task kill -s KILL limits");
    waitUntil("the task to stop", () => !/^limits\s+\d+\s+RUNNING/m.test(ctr("task ls").stdout), 60_000);
    ctr("task rm -f limits");
    ctr("container rm limits");
  }
});
