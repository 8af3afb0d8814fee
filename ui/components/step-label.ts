// How a plan step reads on screen.
import type { Step } from "../../src/core/plan/steps.ts";

export function stepLabel(step: Step): string {
  switch (step.kind) {
    case "write":
      return step.why ? `${step.why}` : `Write ${step.path}`;
    case "remove":
      return step.why ? `${step.why}` : `Remove ${step.path}`;
    case "systemctl":
      return `systemctl --user ${step.args.join(" ")}`;
    case "wait":
      return `Wait for ${step.what}`;
    default: {
      const s = step as { kind: string; why?: string; what?: string };
      return s.why ?? s.what ?? s.kind;
    }
  }
}
