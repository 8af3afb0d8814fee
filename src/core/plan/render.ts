// Shows a plan before it runs: for each step what it would do and whether it changes
// anything, with a unified diff for every file that would be written. Reads only.
import { createTwoFilesPatch } from "diff";
import type { Host } from "../os/host.ts";
import { describeStep, stepTarget, type Step } from "./steps.ts";

export interface StepPreview {
  kind: Step["kind"];
  description: string;
  target: string;
  /** false when the step would leave things as they are (a write of identical content) */
  willChange: boolean;
  /** unified diff for writes and removals of text files */
  diff?: string;
}

const modeOf = (m: number) => m & 0o7777;
const MAX_DIFF_BYTES = 256 * 1024;

/** The unified diff between two texts, labelled with the path; "" when equal. */
export function unifiedDiff(path: string, before: string | null, after: string | null): string {
  if (before === after) return "";
  const patch = createTwoFilesPatch(before === null ? "/dev/null" : `a${path}`, after === null ? "/dev/null" : `b${path}`, before ?? "", after ?? "", undefined, undefined, { context: 3 });
  // drop the "Index:"/"===" header lines createTwoFilesPatch adds
  return patch
    .split("\n")
    .filter((l) => !l.startsWith("Index:") && !/^=+$/.test(l))
    .join("\n")
    .trimEnd();
}

export async function previewStep(host: Host, step: Step): Promise<StepPreview> {
  const base = { kind: step.kind, target: stepTarget(step) };
  switch (step.kind) {
    case "write": {
      const before = await host.readText(step.path);
      const st = await host.stat(step.path);
      const sameMode = st ? modeOf(st.mode) === (step.mode ?? 0o644) : false;
      const willChange = before !== step.content || !sameMode;
      const verb = before === null ? "Create" : willChange ? "Update" : "Keep";
      const diff = before !== step.content && !step.noDiff ? unifiedDiff(step.path, before, step.content) : undefined;
      return { ...base, description: `${verb} ${step.path}${before !== null && before === step.content && !sameMode ? " (permissions)" : ""}`, willChange, diff };
    }
    case "copy": {
      const exists = await host.exists(step.path);
      const same = exists && (await host.sameSizeAndMtime(step.from, step.path));
      return { ...base, description: same ? `Keep ${step.path}` : `${exists ? "Replace" : "Create"} ${step.path} (copy of ${step.from})`, willChange: !same };
    }
    case "mkdir": {
      const exists = (await host.stat(step.path))?.isDirectory ?? false;
      return { ...base, description: exists ? `Keep directory ${step.path}` : describeStep(step), willChange: !exists };
    }
    case "remove":
    case "remove-tree-in-namespace": {
      const st = await host.stat(step.path);
      if (!st) return { ...base, description: `${step.path} is already absent`, willChange: false };
      // a diff only for small text files (a unit, a drop-in), never for a binary
      const text = st.isFile && step.kind === "remove" && !step.noDiff && st.size <= MAX_DIFF_BYTES ? await host.readText(step.path) : null;
      const before = text !== null && !text.includes("\0") ? text : null;
      return { ...base, description: describeStep(step), willChange: true, diff: before !== null ? unifiedDiff(step.path, before, null) : undefined };
    }
    default:
      return { ...base, description: describeStep(step), willChange: true };
  }
}

export async function previewPlan(host: Host, steps: readonly Step[]): Promise<StepPreview[]> {
  const out: StepPreview[] = [];
  for (const s of steps) out.push(await previewStep(host, s));
  return out;
}

/** The plan as text: numbered steps, "(unchanged)" marks, diffs indented under their step. */
export function renderPreviews(previews: readonly StepPreview[]): string {
  if (previews.length === 0) return "Nothing to do.";
  const lines: string[] = [];
  previews.forEach((p, i) => {
    lines.push(`${String(i + 1).padStart(2)}. ${p.description}${p.willChange ? "" : " (unchanged)"}`);
    if (p.diff) for (const d of p.diff.split("\n")) lines.push(`      ${d}`);
  });
  return lines.join("\n");
}

export async function renderPlan(host: Host, steps: readonly Step[]): Promise<string> {
  return renderPreviews(await previewPlan(host, steps));
}
