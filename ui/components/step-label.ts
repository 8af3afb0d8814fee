// How a plan step reads on the apply screen: the label the engine gave it (src/core/plan/label.ts),
// the same words as the review, --dry-run and the headless transcript.
import { stepLabel } from "../../src/core/plan/label.ts";
import type { PlanView } from "../engine/types.ts";

export function planStepLabel(plan: PlanView, index: number): string {
  return plan.items[index]?.label ?? stepLabel(plan.steps[index]!);
}
