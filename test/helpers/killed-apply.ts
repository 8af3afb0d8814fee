// A plan applied on a TestHost over ROOT in a process of its own, which dies as the fault matrix's
// binary does: CRS_TEST_KILL_INSIDE=POINT:N (src/core/os/kill-points.ts) ends it with a real
// SIGKILL at the Nth arrival at POINT, so what is left on disk is exactly what a killed run leaves
// (a "kill" thrown inside the test's own process would run the write's cleanup instead).
// Usage: bun killed-apply.ts ROOT POINT:N STEPS_JSON (exits 0 when the plan got through).
import { TestHost } from "./test-host.ts";
import { applyPlan } from "../../src/core/plan/execute.ts";
import type { Step } from "../../src/core/plan/steps.ts";

export const KILLED_APPLY = import.meta.path;

if (import.meta.main) {
  const [root, kill, steps] = process.argv.slice(2);
  const env = { HOME: "/home/alice", USER: "alice", XDG_RUNTIME_DIR: "/run/user/1000", PATH: "/usr/bin:/bin", CRS_TEST_KILL_INSIDE: kill! };
  await applyPlan(new TestHost(root!, { env }), JSON.parse(steps!) as Step[]);
}
