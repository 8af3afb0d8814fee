// Applies a plan with live per-step progress. While it runs, the quit guard is "busy": a
// q / Esc / Ctrl+C lets the current step finish, then the engine rolls back what this run
// did and the app exits — nothing is left half-applied.
import { useEffect, useRef, useState } from "react";
import { useEngine } from "../contexts/app-context.tsx";
import { useQuit } from "../contexts/quit-context.tsx";
import type { ApplyOutcome, ApplyProgress, PlanView, StepState } from "../engine/types.ts";
import { errorText } from "./use-async.ts";

export interface ApplyState {
  states: StepState[];
  details: (string | undefined)[];
  /** the download under way in a step (its index), while it runs */
  download?: { index: number; figures: NonNullable<ApplyProgress["download"]> };
  outcome?: ApplyOutcome;
}

export function useApply(plan: PlanView): ApplyState {
  const engine = useEngine();
  const quit = useQuit();
  const started = useRef(false);
  const [state, setState] = useState<ApplyState>(() => ({
    states: plan.items.map(() => "pending"),
    details: plan.items.map(() => undefined),
  }));
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const signal = quit.enterBusy();
    engine
      .apply(
        plan,
        (p) =>
          setState((s) => ({
            ...s,
            states: s.states.map((x, i) => (i === p.index ? p.state : x)),
            details: s.details.map((x, i) => (i === p.index ? (p.detail ?? x) : x)),
            // a download's figures stay while its step runs; its end (done, failed) clears them
            download: p.download ? { index: p.index, figures: p.download } : p.state === "running" ? s.download : undefined,
          })),
        signal,
      )
      .catch((e): ApplyOutcome => ({ ok: false, changed: false, error: errorText(e) }))
      .then((outcome) => setState((s) => ({ ...s, outcome })));
  }, [engine, plan, quit]);
  // Leave the critical section only after the outcome frame is on screen.
  useEffect(() => {
    if (state.outcome) quit.leaveBusy();
  }, [state.outcome, quit]);
  return state;
}
