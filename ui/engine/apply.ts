// Applies a plan through the engine's applyPlan (journal + rollback), reporting each step.
// Cancelling (q / Esc / Ctrl+C / SIGTERM during apply) aborts `signal`; applyPlan checks it
// before each step, so the current step finishes, then what this run did is rolled back —
// the same rollback as any failure.
import type { Host } from "../../src/core/os/host.ts";
import { ApplyError, type ApplyEvent, type ApplyOptions, type StepFailure } from "../../src/core/plan/execute.ts";
import { applyInstallPlan } from "../../src/core/lifecycle/first-start.ts";
import type { ApplyOutcome, ApplyProgress, PlanView } from "./types.ts";

export const CANCELLED = "cancelled by the user";

export async function applyWithProgress(
  host: Host,
  plan: PlanView,
  onProgress: (p: ApplyProgress) => void,
  signal: AbortSignal,
  opts: Pick<ApplyOptions, "beforeRollback"> = {},
): Promise<ApplyOutcome> {
  const done: number[] = [];
  const onEvent = (e: ApplyEvent) => {
    if (e.type === "start") onProgress({ index: e.index, state: "running" });
    else if (e.type === "progress") onProgress({ index: e.index, state: "running", detail: `${(e.elapsedMs / 1000).toFixed(0)} s` });
    else if (e.type === "done") {
      if (e.outcome.changed) done.push(e.index);
      onProgress({ index: e.index, state: "done", detail: e.outcome.changed ? undefined : "unchanged" });
    }
  };
  try {
    // a unit's status after a cancel is not worth collecting: it would show what is about to be undone
    const beforeRollback = opts.beforeRollback && ((f: StepFailure) => (f.cancelled ? Promise.resolve(undefined) : opts.beforeRollback!(f)));
    // a failed first start also removes the (empty) directories its launcher made, as `install` does
    const r = await applyInstallPlan(host, plan.steps, plan.launcherDirs ?? [], { onEvent, signal, beforeRollback });
    return { ok: true, changed: r.changed };
  } catch (e) {
    if (!(e instanceof ApplyError)) return { ok: false, changed: false, error: (e as Error)?.message ?? String(e) };
    const cancelled = e.failure.cancelled === true;
    // a cancelled run stopped before this step: it never started, so it is not "failed"
    if (!cancelled) onProgress({ index: e.failure.index, state: "failed" });
    for (const i of done) onProgress({ index: i, state: "undone" });
    return {
      ok: false,
      changed: false,
      cancelled,
      error: cancelled ? CANCELLED : [e.message, e.fix].filter(Boolean).join("\n"),
      rolledBack: e.rolledBack.length > 0 || done.length === 0,
      diagnostics: [e.failure.output, e.diagnostics].filter((x): x is string => Boolean(x)),
    };
  }
}
