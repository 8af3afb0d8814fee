// A plan as the review screen shows it, from the engine's own preview (core/plan/render.ts):
// files with their action and diff, commands, waits.
import type { Host } from "../../src/core/os/host.ts";
import type { Step } from "../../src/core/plan/steps.ts";
import { previewPlan, type StepPreview } from "../../src/core/plan/render.ts";
import type { PlanItem, PlanView } from "./types.ts";

const FILE_KINDS = new Set(["write", "copy", "mkdir", "remove", "remove-tree-in-namespace"]);

function item(p: StepPreview): PlanItem {
  if (FILE_KINDS.has(p.kind)) {
    const action = !p.willChange ? "unchanged" : p.kind.startsWith("remove") ? "remove" : /^(Create|Created)/.test(p.description) ? "create" : "update";
    const diff = (p.diff ?? "").split("\n").filter((l) => l && !l.startsWith("---") && !l.startsWith("+++"));
    return { kind: "file", path: p.target, action, diff: p.kind === "write" || p.kind === "remove" ? diff : [p.description] };
  }
  if (p.kind === "wait") return { kind: "wait", text: p.description };
  return { kind: "command", text: p.target };
}

export async function planView(host: Host, title: string, steps: Step[]): Promise<PlanView> {
  const previews = await previewPlan(host, steps);
  return { title, steps, items: previews.map(item), unchanged: previews.every((p) => !p.willChange || p.kind === "wait"), notes: [] };
}
