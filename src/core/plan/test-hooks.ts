// Step-boundary hooks for the fault and signal tests, ignored unless their variable is set:
// CRS_TEST_KILL_AFTER_STEP=N kills the process after the Nth finished step (the fault matrix),
// CRS_TEST_PAUSE_AFTER_STEP=N stops it with SIGSTOP there (a signal test sends its signal at
// that exact boundary, then SIGCONT). Steps are counted per host (one per process), across plans.
// Inside a step, CRS_TEST_KILL_INSIDE=POINT:N kills at the Nth arrival at POINT (os/files.ts:
// a copy half written, a file written but not renamed, renamed but not journaled, a step's work
// done but not recorded).
import type { Host } from "../os/host.ts";
import type { Step } from "./steps.ts";

const stepsFinished = new WeakMap<Host, number>();

/** Called once per finished step. */
export function stepFinished(host: Host): void {
  const n = (stepsFinished.get(host) ?? 0) + 1;
  stepsFinished.set(host, n);
  if (n === Number(host.env.CRS_TEST_KILL_AFTER_STEP ?? NaN)) host.killSelf();
  if (n === Number(host.env.CRS_TEST_PAUSE_AFTER_STEP ?? NaN)) host.killSelf("SIGSTOP");
}

/**
 * A step's kind as the kill points' trace names it (CRS_TEST_KILL_INSIDE=trace): steps of one
 * kind are killed and recovered alike, so the fault matrix kills one of each. A unit started,
 * restarted or stopped differ (what a rollback must undo); a write with a backup writes twice.
 */
export function stepKind(step: Step): string {
  switch (step.kind) {
    case "write":
      return step.backupTo ? "write with a backup" : "write";
    case "remove":
      return step.recursive ? "remove a tree" : step.restoreFrom ? "remove and restore" : "remove";
    case "systemctl":
      return `systemctl ${step.args.find((a) => !a.startsWith("-")) ?? ""}`;
    case "run":
      return `run ${step.argv[0]?.split("/").pop() ?? ""}`;
    default:
      return step.kind;
  }
}
