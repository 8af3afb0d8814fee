// 4. Limits are enforced: on cgroup v2 with cpu and memory delegated to the user's manager, a
// container started with a memory and a CPU limit (through runc's systemd driver, a scope under
// the user's user.slice, as nerdctl does rootless on cgroup v2) must find them in its own cgroup
// (memory.max, cpu.max). On cgroup v1, or without delegation, limits are not enforced: check's
// cgroup findings say why, with the fix (`check`'s cgroup probe is asked for the facts).
import { join } from "node:path";
import { fail, offBySetting, pass } from "../outcome.ts";
import { AGENT_DEADLINE_MS } from "../session.ts";
import type { Probe } from "./probe.ts";
import { whyNoReport } from "./probe.ts";

const MEMORY = 64 * 1024 * 1024;
const CPUS = 0.5;
/** cpu.max for 0.5 CPU: quota and period in microseconds (runc: period 100000) */
const CPU_MAX = "50000 100000";

export const limitsProbe: Probe = {
  id: "limits",
  title: "Limits are enforced",
  async run(s) {
    const cg = await s.cgroup();
    const problem = cg.findings.find((f) => f.id === "cgroup.v1" || f.id === "cgroup.delegation.missing" || f.id === "cgroup.delegation.unknown");
    const missing = ["memory", "cpu"].filter((c) => !cg.delegated.includes(c));
    if (cg.version !== "v2" || missing.length) {
      const what = cg.version !== "v2" ? `cgroup ${cg.version === "unknown" ? "v2 is not detected" : `${cg.version === "hybrid" ? "v1 (hybrid layout)" : "v1"}`}` : `${missing.join(" and ")} not delegated to your user manager`;
      return offBySetting(`not enforced: ${what}, so \`nerdctl run --memory/--cpus\` run without limits`, problem ? [problem.message] : [], problem?.fix, problem?.sudoFix);
    }
    // runc's systemd driver asks the user's dbus for the scope ($XDG_RUNTIME_DIR/bus); without a dbus user session
    // (dbus-user-session not installed) it cannot: predicted, said with the fix (seen in the VM: "Permission denied")
    const bus = join(s.paths.runtimeDir, "bus");
    if (!(await s.host.exists(bus))) {
      return offBySetting(
        `not enforced: no dbus user session (${bus} does not exist), and runc's systemd cgroup driver, which applies limits rootless on cgroup v2 (as nerdctl does), needs it`,
        [],
        "Install dbus-user-session (Debian/Ubuntu; needs root), then `systemctl --user enable --now dbus` and log in again.",
      );
    }
    if (!(await s.imported).ok) return fail(`no container started: ${(await s.imported).detail}`);
    const c = await s.startContainer("limits", { cgroup: true, deadlineMs: AGENT_DEADLINE_MS }, { limits: { memoryBytes: MEMORY, cpus: CPUS } });
    const r = await c.part("cgroup");
    if (!r) {
      const why = await whyNoReport(s, c);
      const dbus = /dbus|Interactive authentication|bus/i.test(why);
      return fail(`a container with --memory ${MEMORY} --cpus ${CPUS} did not start: ${why.split("\n")[0]}`, [why], dbus ? "runc's systemd driver needs your dbus user session: install dbus-user-session (Debian/Ubuntu) and `systemctl --user enable --now dbus`, then log in again." : "See `containerd-rootless-systemd check` (cgroup v2, delegation).");
    }
    const evidence = [`memory.max ${r.memoryMax ?? "(missing)"}, cpu.max ${r.cpuMax ?? "(missing)"} (delegated: ${cg.delegated.join(" ")})`];
    if (r.memoryMax === String(MEMORY) && r.cpuMax === CPU_MAX) return pass(`a container started with a 64 MiB memory and 0.5 CPU limit has them in its cgroup (memory.max ${r.memoryMax}, cpu.max ${r.cpuMax})`, evidence);
    return fail(`limits not enforced: the container's cgroup has memory.max ${r.memoryMax ?? "(none)"} and cpu.max ${r.cpuMax ?? "(none)"}, not ${MEMORY} and ${CPU_MAX}`, evidence, problem?.fix, problem?.sudoFix);
  },
};
