// The Host's test-only kill points, for the fault matrix (test/e2e/faults.test.ts): the process
// SIGKILLs itself at a chosen moment inside a step, as the OOM killer, a lost session or a power
// cut would end it there. Ignored unless CRS_TEST_KILL_INSIDE=POINT:N is set (Host reads it):
// the Nth time this process reaches POINT, it dies there. The Host's file code marks the points.
// CRS_TEST_KILL_INSIDE=trace kills nowhere and reports every arrival on stderr, numbered as a
// kill would count it and saying what it was at, so the matrix can pick one moment of each kind.

/**
 * copy-half: a copy with half its bytes written; written: a file's bytes written and synced
 * beside its target, not renamed into place; renamed: in place, but neither its directory synced
 * nor the step journaled as done; step-done: a step's work done (a unit started), not recorded.
 */
export const KILL_POINTS = ["copy-half", "written", "renamed", "step-done"] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

/** The start of each line the trace writes: `crs-kill-point POINT N WHAT`. */
export const TRACE_PREFIX = "crs-kill-point";

/** "written:3" -> the 3rd time this process has written a file but not renamed it; "trace" -> every arrival reported; anything else: no hook. */
export function parseKillPoint(value: string | undefined): { point: KillPoint; at: number } | "trace" | undefined {
  if (value === "trace") return "trace";
  const m = /^([a-z-]+):(\d+)$/.exec(value ?? "");
  return m && (KILL_POINTS as readonly string[]).includes(m[1]!) ? { point: m[1] as KillPoint, at: Number(m[2]) } : undefined;
}

export class HostKillPoints {
  /** the kill point inside a step (set from CRS_TEST_KILL_INSIDE; none unless set) */
  killInside?: { point: KillPoint; at: number } | "trace";
  private readonly pointsReached = new Map<KillPoint, number>();

  /** Ends this process at once with SIGKILL, as the kernel's OOM killer or `kill -9` would (the fault tests); SIGSTOP freezes it (CRS_TEST_PAUSE_AFTER_STEP). */
  killSelf(signal: "SIGKILL" | "SIGSTOP" = "SIGKILL"): void {
    process.kill(process.pid, signal);
  }

  /** Counts one arrival at `point` (`what`: the file or step it is at, for the trace); true when the hook kills this process here. */
  protected dueToDie(point: KillPoint, what = ""): boolean {
    const hook = this.killInside;
    if (hook === undefined || (hook !== "trace" && hook.point !== point)) return false;
    const n = (this.pointsReached.get(point) ?? 0) + 1;
    this.pointsReached.set(point, n);
    if (hook === "trace") process.stderr.write(`${TRACE_PREFIX} ${point} ${n} ${what}\n`);
    return hook !== "trace" && n === hook.at;
  }

  /** SIGKILL here when CRS_TEST_KILL_INSIDE names this point and arrival; a no-op otherwise. */
  testPoint(point: KillPoint, what = ""): void {
    if (this.dueToDie(point, what)) this.killSelf();
  }
}
