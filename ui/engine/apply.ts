// Applies a plan through the engine's applyPlan (journal + rollback), reporting each step.
// Cancelling (q / Esc / Ctrl+C during apply) is honoured between steps: a no-op "cancel
// point" wait step sits before every step, and when the user has asked to stop it fails,
// which makes applyPlan roll back what this run did — the same rollback as any failure.
import type { Host } from "../../src/core/host.ts";
import type { Step, WaitStep } from "../../src/core/plan.ts";
import { applyPlan, ApplyError, type ApplyEvent, type ApplyOptions } from "../../src/core/plan-apply.ts";
import type { ApplyOutcome, ApplyProgress, PlanView } from "./types.ts";

export const CANCELLED = "cancelled by the user";

function cancelPoint(signal: AbortSignal): WaitStep {
  return {
    kind: "wait",
    what: "cancel point",
    timeoutMs: 0,
    ready: async () => !signal.aborted,
    failed: async () => (signal.aborted ? CANCELLED : undefined),
  };
}

/** The plan's steps with a cancel point before each (after the first); and back. */
export function withCancelPoints(steps: readonly Step[], signal: AbortSignal): Step[] {
  return steps.flatMap((s, i) => (i === 0 ? [s] : [cancelPoint(signal), s]));
}
const original = (i: number): number | null => (i % 2 === 0 ? i / 2 : null);

export async function applyWithProgress(
  host: Host,
  plan: PlanView,
  onProgress: (p: ApplyProgress) => void,
  signal: AbortSignal,
  opts: Pick<ApplyOptions, "beforeRollback"> = {},
): Promise<ApplyOutcome> {
  const done: number[] = [];
  const onEvent = (e: ApplyEvent) => {
    if (e.type === "rollback") return;
    const index = original(e.index);
    if (index === null) return;
    if (e.type === "start") onProgress({ index, state: "running" });
    else if (e.type === "progress") onProgress({ index, state: "running", detail: `${(e.elapsedMs / 1000).toFixed(0)} s` });
    else {
      if (e.outcome.changed) done.push(index);
      onProgress({ index, state: "done", detail: e.outcome.changed ? undefined : "unchanged" });
    }
  };
  try {
    const r = await applyPlan(host, withCancelPoints(plan.steps, signal), { onEvent, ...opts });
    return { ok: true, changed: r.changed };
  } catch (e) {
    if (!(e instanceof ApplyError)) return { ok: false, changed: false, error: (e as Error)?.message ?? String(e) };
    const cancelled = e.failure.reason === CANCELLED;
    const failedAt = original(e.failure.index);
    if (failedAt !== null) onProgress({ index: failedAt, state: "failed" });
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
