// Shows a plan before it runs: for each step what it would do and whether it changes
// anything, with a unified diff for every file that would be written. Reads only.
import { createTwoFilesPatch } from "diff";
import type { Host } from "../os/host.ts";
import { stepTarget, type Step } from "./steps.ts";
import { stepDetail, stepLabel } from "./label.ts";

/** What a step would do to its object: a new file, a changed one, a removal, nothing, or an action (a command, a wait). */
export type StepEffect = "create" | "update" | "remove" | "unchanged" | "act";

export interface StepPreview {
  kind: Step["kind"];
  /** the step's label (label.ts), the same words every face shows */
  label: string;
  /** why the step is there (the review's detail line) */
  detail?: string;
  effect: StepEffect;
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
  const base = { kind: step.kind, target: stepTarget(step), label: stepLabel(step, host.env.HOME), ...(stepDetail(step) ? { detail: stepDetail(step) } : {}) };
  const fileEffect = (exists: boolean, change: boolean): StepEffect => (!change ? "unchanged" : exists ? "update" : "create");
  switch (step.kind) {
    case "write": {
      const before = await host.readText(step.path);
      const st = await host.stat(step.path);
      const sameMode = st ? modeOf(st.mode) === (step.mode ?? 0o644) : false;
      const willChange = before !== step.content || !sameMode;
      const diff = before !== step.content && !step.noDiff ? unifiedDiff(step.path, before, step.content) : undefined;
      return { ...base, effect: fileEffect(before !== null, willChange), willChange, diff };
    }
    case "copy": {
      const exists = await host.exists(step.path);
      const same = exists && (await host.sameSizeAndMtime(step.from, step.path));
      return { ...base, effect: fileEffect(exists, !same), willChange: !same };
    }
    case "mkdir": {
      const exists = (await host.stat(step.path))?.isDirectory ?? false;
      return { ...base, effect: exists ? "unchanged" : "create", willChange: !exists };
    }
    case "link": {
      const same = (await host.stat(step.path))?.isSymlink && (await host.readlink(step.path)) === step.target;
      return { ...base, effect: same ? "unchanged" : "act", willChange: !same };
    }
    case "remove":
    case "remove-tree-in-namespace": {
      const st = await host.stat(step.path);
      if (!st) return { ...base, effect: "unchanged", willChange: false };
      // a diff only for small text files (a unit, a drop-in), never for a binary
      const text = st.isFile && step.kind === "remove" && !step.noDiff && st.size <= MAX_DIFF_BYTES ? await host.readText(step.path) : null;
      const before = text !== null && !text.includes("\0") ? text : null;
      return { ...base, effect: "remove", willChange: true, diff: before !== null ? unifiedDiff(step.path, before, null) : undefined };
    }
    default:
      return { ...base, effect: "act", willChange: true };
  }
}

export async function previewPlan(host: Host, steps: readonly Step[]): Promise<StepPreview[]> {
  const out: StepPreview[] = [];
  for (const s of steps) out.push(await previewStep(host, s));
  return out;
}

/** How a preview's effect reads after its label, in --dry-run and the review: " — new", " — unchanged", ... */
export const EFFECT_MARK: Record<StepEffect, string> = { create: " — new", update: " — changed", remove: "", unchanged: " — unchanged", act: "" };

/** The plan as text: numbered labels with their effect, the why under each, diffs indented under their step. */
export function renderPreviews(previews: readonly StepPreview[]): string {
  if (previews.length === 0) return "Nothing to do.";
  const lines: string[] = [];
  previews.forEach((p, i) => {
    lines.push(`${String(i + 1).padStart(2)}. ${p.label}${EFFECT_MARK[p.effect]}`);
    if (p.detail) lines.push(`      ${p.detail}`);
    if (p.diff) for (const d of p.diff.split("\n")) lines.push(`      ${d}`);
  });
  return lines.join("\n");
}

export async function renderPlan(host: Host, steps: readonly Step[]): Promise<string> {
  return renderPreviews(await previewPlan(host, steps));
}
