// install, status and containers on a systemd-booted cgroup v2 host: limits set with ctr's
// --memory-limit and --cpus reach the container's own cgroup through the delegation
// (read back from inside the container), which the e2e sandbox (cgroup v1, no logind) cannot show.
import { expect } from "bun:test";
import { ctr, ctrRun, must, mustCrs, PAYLOAD, scenario } from "../helpers/vm.ts";

scenario("install --yes: containerd runs under the user's systemd, detach-netns on (RootlessKit 2), its network checked; status says so", () => {
  const out = mustCrs("install --yes");
  expect(out).toContain("[INFO] Installed containerd.service successfully.");
  expect(out).toContain("RootlessKit's network works");
  const status = JSON.parse(mustCrs("status --json"));
  expect(status.units.find((u: { name: string }) => u.name === "containerd.service")).toMatchObject({ ours: true, active: true, enabled: true });
  expect(status.containerd.answering).toBe(true);
  expect(status.rootlesskit.flags).toMatchObject({ net: "slirp4netns", "detach-netns": "true" });
});

scenario("a container with --memory-limit 64 MiB and --cpus 0.5: its own cgroup v2 says memory.max 67108864 and cpu.max 50000 100000", () => {
  must(ctr(`images import ${PAYLOAD}/busybox.tar`), "ctr images import");
  // the container's cgroup from /proc/self/cgroup (ctr gives it no cgroup namespace), read inside it
  const r = must(ctrRun("limits", "--rm --memory-limit 67108864 --cpus 0.5", `busybox sh -c 'p=$(busybox cut -d: -f3 /proc/self/cgroup); busybox cat /sys/fs/cgroup$p/memory.max /sys/fs/cgroup$p/cpu.max'`), "ctr run with limits");
  expect(r.trim().split("\n")).toEqual(["67108864", "50000 100000"]);
});
