// A plan as the review screen shows it, from the engine's own preview (core/plan/render.ts):
// each step's label and why, what it does to its object, and the diff of a file.
import type { Host } from "../../src/core/os/host.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import { previewPlan, type StepPreview } from "../../src/core/plan/render.ts";
import { changeParts } from "../../src/core/lifecycle/summary.ts";
import type { PlanItem, PlanView } from "./types.ts";

const FILE_KINDS = new Set(["write", "copy", "mkdir", "remove", "remove-tree-in-namespace"]);

function item(p: StepPreview): PlanItem {
  const kind = FILE_KINDS.has(p.kind) ? "file" : p.kind === "wait" ? "wait" : "command";
  const diff = (p.diff ?? "").split("\n").filter((l) => l && !l.startsWith("---") && !l.startsWith("+++"));
  return { kind, label: p.label, ...(p.detail ? { detail: p.detail } : {}), effect: p.effect, diff };
}

export async function planView(host: Host, title: string, steps: Step[], addons: { added?: string[]; removed?: string[] } = {}): Promise<PlanView> {
  const previews = await previewPlan(host, steps);
  return {
    title,
    steps,
    items: previews.map(item),
    unchanged: previews.every((p) => !p.willChange || p.kind === "wait"),
    notes: [],
    summary: changeParts({ steps, previews, addonsAdded: addons.added, addonsRemoved: addons.removed, home: host.env.HOME }),
  };
}
