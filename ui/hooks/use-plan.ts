// The plan for what was chosen (or the uninstall plan), from the engine's planner: the
// same call the headless commands make, so both paths produce the same steps.
import { useEngine } from "../contexts/app-context.tsx";
import type { Choices } from "../engine/types.ts";
import { useAsync } from "./use-async.ts";

export type PlanRequest = { kind: "choices"; choices: Choices } | { kind: "uninstall"; purge: boolean };

export const usePlan = (request: PlanRequest) => {
  const engine = useEngine();
  return useAsync(
    () => (request.kind === "choices" ? engine.plan(request.choices) : engine.uninstallPlan(request.purge)),
    [engine, request],
  );
};
